"""Mechanisms the feature apps share: URL converters, error pages, degradation, idempotency."""
