"""A resident's personal data on request (erasure) and after a configured time (retention)."""
