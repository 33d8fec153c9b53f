"""The API foundations every app shares (errors, schema, paging)."""
