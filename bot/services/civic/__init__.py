"""Civic standards: Open311 GeoReport v2 and referrals to and from outside desks (12345, property, utilities)."""
