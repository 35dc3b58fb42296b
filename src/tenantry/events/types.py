"""The event types tenantry emits: short names in tenants.yaml, reverse-DNS CloudEvents types on the wire."""

from __future__ import annotations

PREFIX = "dev.tenantry."
PERSON_TYPES = ("joiner", "mover", "leaver", "rejoiner", "deleted")
ACCESS_TYPES = ("grant", "revoke", "membership")
ORG_TYPES = ("oauth_client_created", "oauth_client_changed", "sso_changed", "object_changed")
AUDIT_TYPES = ("leak_found",)
EVENT_TYPES = PERSON_TYPES + ACCESS_TYPES + ORG_TYPES + AUDIT_TYPES


def ce_type(short: str) -> str:
    return PREFIX + short


def short_type(ce: str) -> str:
    return ce.removeprefix(PREFIX)
