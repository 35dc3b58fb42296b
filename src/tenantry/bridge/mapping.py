"""A SCIM user and the names of its IdP groups → the Person the membership rules already understand.

Rule attributes (tenants.yaml `members:`): `title`, `department`, `division`, `organization`,
`cost_center`, `employee_number`, `manager`, `user_type`, `locale`, `user_name`, `external_id`,
`source`, plus the Person core fields; `idp_group:` tests the IdP group names. An inactive or
hard-deleted user is a leaver. Pure.
"""

from __future__ import annotations

from typing import Any

from tenantry.bridge.schema import ENTERPRISE
from tenantry.inputs.people import Person


def email_of(data: dict[str, Any]) -> str:
    """The work (or primary, or first) email; the userName when it is an address and none is given."""
    emails = [e for e in data.get("emails") or [] if isinstance(e, dict) and e.get("value")]
    chosen = (
        next((e for e in emails if str(e.get("type", "")).lower() == "work"), None)
        or next((e for e in emails if e.get("primary")), None)
        or (emails[0] if emails else None)
    )
    if chosen:
        return str(chosen["value"]).strip().lower()
    name = str(data.get("userName") or "").strip().lower()
    return name if "@" in name else ""


def _names(data: dict[str, Any]) -> tuple[str, str]:
    name = data.get("name") or {}
    given, family = str(name.get("givenName") or ""), str(name.get("familyName") or "")
    if not given and not family:
        parts = str(data.get("displayName") or name.get("formatted") or "").split(" ", 1)
        given, family = parts[0], (parts[1] if len(parts) > 1 else "")
    return given, family


def attributes(source: str, data: dict[str, Any]) -> dict[str, str]:
    ext = data.get(ENTERPRISE) or {}
    manager = ext.get("manager") or {}
    pairs = {
        "title": data.get("title"),
        "department": ext.get("department"),
        "division": ext.get("division"),
        "organization": ext.get("organization"),
        "cost_center": ext.get("costCenter"),
        "employee_number": ext.get("employeeNumber"),
        "manager": manager.get("value") if isinstance(manager, dict) else None,
        "user_type": data.get("userType"),
        "locale": data.get("locale"),
        "user_name": data.get("userName"),
        "external_id": data.get("externalId"),
        "source": source,
    }
    return {k: str(v) for k, v in pairs.items() if v not in (None, "")}


def person(
    source: str, user_id: str, data: dict[str, Any], groups: frozenset[str], *, deleted: bool = False
) -> Person | None:
    """None when the user has no email address to be known by in Genesys."""
    email = email_of(data)
    if not email:
        return None
    given, family = _names(data)
    ext = data.get(ENTERPRISE) or {}
    active = bool(data.get("active", True)) and not deleted
    return Person(
        hr_id=str(ext.get("employeeNumber") or data.get("externalId") or user_id),
        email=email,
        given_name=given,
        family_name=family,
        status="active" if active else "leaver",
        attributes=attributes(source, data),
        idp_groups=groups,
    )
