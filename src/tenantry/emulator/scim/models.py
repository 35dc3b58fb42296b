"""SCIM users and groups (placeholder until the SCIM area lands)."""
