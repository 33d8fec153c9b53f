"""The ground floor every app may use (DESIGN §3): shared mechanisms that belong to no feature
app (safe redirects, URL converters, error pages, degradation, idempotency). It imports no
feature app."""
