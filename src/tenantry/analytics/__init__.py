"""Tenant-scoped conversation reporting (the seed's analytics query, with the division as the wall)."""
