"""Attribute names per schema, looked up case-insensitively (RFC 7643 §2.1)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from .errors import invalid_path
from .urns import CORE_GROUP, CORE_USER, ENTERPRISE, GENESYS

# canonical attribute names per schema; lookups are case-insensitive (RFC 7643 §2.1)
USER_ATTRS: dict[str, tuple[str, ...]] = {
    CORE_USER: (
        "id",
        "externalId",
        "userName",
        "displayName",
        "title",
        "active",
        "password",
        "emails",
        "phoneNumbers",
        "roles",
        "groups",
        "meta",
        "schemas",
    ),
    ENTERPRISE: ("division", "department", "manager", "employeeNumber", "dateHire"),
    GENESYS: ("routingSkills", "routingLanguages", "externalIds"),
}
GROUP_ATTRS: dict[str, tuple[str, ...]] = {
    CORE_GROUP: ("id", "externalId", "displayName", "members", "meta", "schemas"),
}
MULTI = {
    "emails",
    "phoneNumbers",
    "roles",
    "groups",
    "members",
    "routingSkills",
    "routingLanguages",
    "externalIds",
}
READ_ONLY = {"id", "meta", "groups", "schemas"}
CASE_EXACT = {"id", "externalId", "externalIds", "groups", "members", "manager"}
FILTER_ALIASES = {"email": (CORE_USER, "emails")}  # the Genesys docs filter on `email eq …`
IDENT = re.compile(r"[A-Za-z$][\w$-]*")


def canon(name: str, names: Iterable[str]) -> str | None:
    low = name.lower()
    return next((n for n in names if n.lower() == low), None)


def split_urn(path: str, attrs: dict[str, tuple[str, ...]]) -> tuple[str | None, str]:
    """('urn', rest) for a path that starts with a known schema URN, (None, path) otherwise."""
    low = path.lower()
    if not low.startswith("urn:"):
        return None, path
    for urn in sorted(attrs, key=len, reverse=True):
        if low == urn.lower():
            return urn, ""
        if low.startswith(urn.lower() + ":"):
            return urn, path[len(urn) + 1 :]
    raise invalid_path(f"Unknown schema in {path!r}.")


def resolve(
    path: str, attrs: dict[str, tuple[str, ...]], *, aliases: bool = False
) -> tuple[str, str, str | None]:
    """`[urn:]attr[.sub]` -> (schema, canonical attr, sub or None); unknown -> invalidPath."""
    core = next(iter(attrs))
    urn, rest = split_urn(path.strip(), attrs)
    attr, _, sub = rest.partition(".")
    if not IDENT.fullmatch(attr) or (sub and not IDENT.fullmatch(sub)):
        raise invalid_path(f"{path!r} is not an attribute path.")
    if urn is not None:
        name = canon(attr, attrs[urn])
        if name is None:
            raise invalid_path(f"{path!r} is not an attribute of {urn}.")
        return urn, name, sub or None
    name = canon(attr, attrs[core])
    if name is not None:
        return core, name, sub or None
    if aliases and attr.lower() in FILTER_ALIASES:
        schema, name = FILTER_ALIASES[attr.lower()]
        return schema, name, sub or None
    for schema, names in attrs.items():  # extension attributes named without their URN
        name = canon(attr, names)
        if name is not None:
            return schema, name, sub or None
    raise invalid_path(f"{path!r} is not a known attribute.")
