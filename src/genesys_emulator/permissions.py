"""Genesys permission strings (`domain:entity:action`) matched against role permission policies.

A caller holds grants (role, division). A permission is held *in a division* when a granted
role's policy matches it there, or on `*` (all divisions, present and future).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

ALL_DIVISIONS = "*"


def policy(domain: str, entity: str, *actions: str) -> dict:
    return {"domain": domain, "entityName": entity, "actionSet": list(actions)}


def policy_matches(pol: dict, permission: str) -> bool:
    domain, entity, action = permission.split(":", 2)
    if pol["domain"] not in (domain, "*"):
        return False
    if pol["entityName"] not in (entity, "*"):
        return False
    actions = pol["actionSet"]
    return action in actions or "*" in actions


def role_has(role: dict, permission: str) -> bool:
    return any(policy_matches(p, permission) for p in role["permissionPolicies"])


@dataclass(frozen=True)
class Scope:
    """Where a caller holds one permission: everywhere, or in a set of divisions."""

    everywhere: bool
    divisions: frozenset[str]

    def covers(self, division_id: str | None) -> bool:
        """None means an object outside divisions (groups, roles): any grant will do."""
        if division_id is None:
            return self.everywhere or bool(self.divisions)
        return self.everywhere or division_id in self.divisions

    @property
    def any(self) -> bool:
        return self.everywhere or bool(self.divisions)


def scope_of(grants: Iterable[tuple[str, str]], roles: dict[str, dict], permission: str) -> Scope:
    everywhere = False
    divisions: set[str] = set()
    for role_id, division_id in grants:
        role = roles.get(role_id)
        if role is None or not role_has(role, permission):
            continue
        if division_id == ALL_DIVISIONS:
            everywhere = True
        else:
            divisions.add(division_id)
    return Scope(everywhere, frozenset(divisions))
