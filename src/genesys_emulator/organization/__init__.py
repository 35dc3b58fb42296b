"""Emulated organization API: GET /api/v2/organizations/me."""
