"""The ground floor every app may use (DESIGN §3): shared mechanisms that belong to no feature
app. It imports no feature app."""
