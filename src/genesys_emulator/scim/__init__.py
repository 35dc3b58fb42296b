"""Emulated scim API: models.py holds state and rules, responses.py the HTTP layer."""
