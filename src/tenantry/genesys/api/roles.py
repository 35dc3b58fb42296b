"""Roles: read-only for tenantry (tenants reuse the org's roles, scoped by division)."""

from __future__ import annotations

from tenantry.genesys.http import GenesysClient
from tenantry.genesys.models import Role, SubjectDivisionGrants
from tenantry.genesys.paging import read_entity_listing

BASE = "/api/v2/authorization/roles"
ONE = BASE + "/{roleId}"


async def list_roles(client: GenesysClient, *, name: str | None = None) -> list[Role]:
    params = {"name": name} if name else None
    listing = await read_entity_listing(client, BASE, params=params, page_size=100)
    return [Role.model_validate(r) for r in listing.entities]


async def find_role(client: GenesysClient, name: str) -> Role | None:
    for role in await list_roles(client, name=name):
        if role.name.lower() == name.lower():
            return role
    return None


async def get_role(client: GenesysClient, role_id: str) -> Role:
    return Role.model_validate(await client.get(ONE, path={"roleId": role_id}))


async def role_subject_grants(client: GenesysClient, role_id: str) -> list[SubjectDivisionGrants]:
    """Every subject holding the role, with the divisions it holds it in."""
    listing = await read_entity_listing(
        client, ONE + "/subjectgrants", path={"roleId": role_id}, page_size=100
    )
    return [SubjectDivisionGrants.model_validate(s) for s in listing.entities]


def role_permits(role: Role, permission: str) -> bool:
    """Whether the role grants `domain:entity:action`, honouring `*` in policies and strings."""
    domain, entity, action = permission.split(":", 2)
    for policy in role.permission_policies:
        if (
            policy.domain in (domain, "*")
            and policy.entity_name in (entity, "*")
            and (action in policy.action_set or "*" in policy.action_set)
        ):
            return True
    for held in role.permissions:
        parts = held.split(":")
        if len(parts) == 3 and all(
            h in (w, "*") for h, w in zip(parts, (domain, entity, action), strict=True)
        ):
            return True
    return False
