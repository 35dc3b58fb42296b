"""SCIM 2.0 (the Genesys flavour) under /api/v2/scim/v2: users, and groups that can only be changed.

Paths are those of the SDK's ScimApi. A user's division is the enterprise extension's
`division` (a name). Groups have no create or delete: an IdP group maps to an existing Genesys
group by name. Writes carry `If-Match` with the resource's version; a stale one answers 400
`invalidVers`, which the client treats as a conflict (re-read, re-apply).

Filters are built with `scim_eq`, which escapes the value: pasting raw input into
`emails eq "..."` lets that input rewrite the filter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tenantry.genesys.api._util import delete
from tenantry.genesys.http import GenesysClient
from tenantry.genesys.models import SCIM_PATCH_SCHEMA, ScimGroup, ScimUser
from tenantry.genesys.paging import Listing, read_scim_listing

USERS = "/api/v2/scim/v2/users"
USER = USERS + "/{userId}"
GROUPS = "/api/v2/scim/v2/groups"
GROUP = GROUPS + "/{groupId}"
COUNT_FULL = 25  # wider pages of full resources may answer 429
COUNT_TRIMMED = 100


def scim_eq(attribute: str, value: str) -> str:
    """`attribute eq "value"` with the value escaped as RFC 7644 string literals require."""
    if not attribute.replace(".", "").replace(":", "").isalnum():
        raise ValueError(f"not a SCIM attribute path: {attribute!r}")
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'{attribute} eq "{escaped}"'


def _etag(version: str | None) -> dict[str, str]:
    if not version:
        return {}
    tag = version if version.startswith(('"', "W/")) else f'"{version}"'
    return {"If-Match": tag}


def _listing_params(
    filter_: str | None, attributes: Sequence[str], excluded: Sequence[str]
) -> tuple[dict[str, Any], int]:
    params: dict[str, Any] = {}
    if filter_:
        params["filter"] = filter_
    if attributes:
        params["attributes"] = ",".join(attributes)
    if excluded:
        params["excludedAttributes"] = ",".join(excluded)
    return params, COUNT_TRIMMED if (attributes or excluded) else COUNT_FULL


async def list_scim_users(
    client: GenesysClient,
    *,
    filter: str | None = None,
    attributes: Sequence[str] = (),
    excluded_attributes: Sequence[str] = (),
) -> tuple[list[ScimUser], Listing]:
    params, count = _listing_params(filter, attributes, excluded_attributes)
    listing = await read_scim_listing(client, USERS, params=params, count=count)
    return [ScimUser.model_validate(u) for u in listing.entities], listing


async def get_scim_user(client: GenesysClient, user_id: str) -> ScimUser:
    return ScimUser.model_validate(await client.get(USER, path={"userId": user_id}))


async def find_scim_user(client: GenesysClient, user_name: str) -> ScimUser | None:
    users, _ = await list_scim_users(client, filter=scim_eq("userName", user_name))
    return next((u for u in users if (u.user_name or "").lower() == user_name.lower()), None)


async def create_scim_user(client: GenesysClient, user: ScimUser) -> ScimUser:
    """Create through SCIM; after an unclear answer the userName decides whether it exists."""
    if not user.user_name:
        raise ValueError("a SCIM user needs a userName")
    user_name = user.user_name

    async def lookup() -> dict[str, Any] | None:
        found = await find_scim_user(client, user_name)
        return found.to_api() if found else None

    return ScimUser.model_validate(await client.create(USERS, user.to_api(), lookup=lookup))


async def replace_scim_user(client: GenesysClient, user_id: str, user: ScimUser) -> ScimUser:
    """PUT the whole user at its current version (If-Match), re-reading on a version conflict."""

    async def write(current: ScimUser) -> ScimUser:
        version = current.meta.version if current.meta else None
        data = await client.call(
            "PUT", USER, path={"userId": user_id}, json=user.to_api(), headers=_etag(version)
        )
        return ScimUser.model_validate(data)

    return await client.update_versioned(
        lambda: get_scim_user(client, user_id), lambda current: current, write, template=USER
    )


def patch_ops(*operations: tuple[str, str | None, Any]) -> dict[str, Any]:
    """A PatchOp body from (op, path, value) triples."""
    ops = []
    for op, path, value in operations:
        item: dict[str, Any] = {"op": op}
        if path is not None:
            item["path"] = path
        if value is not None:
            item["value"] = value
        ops.append(item)
    return {"schemas": [SCIM_PATCH_SCHEMA], "Operations": ops}


async def patch_scim_user(client: GenesysClient, user_id: str, body: dict[str, Any]) -> ScimUser:
    async def write(current: ScimUser) -> ScimUser:
        version = current.meta.version if current.meta else None
        data = await client.call("PATCH", USER, path={"userId": user_id}, json=body, headers=_etag(version))
        return ScimUser.model_validate(data)

    return await client.update_versioned(
        lambda: get_scim_user(client, user_id), lambda current: current, write, template=USER
    )


async def delete_scim_user(client: GenesysClient, user_id: str) -> bool:
    return await delete(client, USER, {"userId": user_id})


async def list_scim_groups(client: GenesysClient, *, filter: str | None = None) -> list[ScimGroup]:
    params, count = _listing_params(filter, (), ())
    listing = await read_scim_listing(client, GROUPS, params=params, count=count)
    return [ScimGroup.model_validate(g) for g in listing.entities]


async def find_scim_group(client: GenesysClient, display_name: str) -> ScimGroup | None:
    groups = await list_scim_groups(client, filter=scim_eq("displayName", display_name))
    return next((g for g in groups if g.display_name == display_name), None)


async def get_scim_group(client: GenesysClient, group_id: str) -> ScimGroup:
    return ScimGroup.model_validate(await client.get(GROUP, path={"groupId": group_id}))


async def patch_scim_group(client: GenesysClient, group_id: str, body: dict[str, Any]) -> ScimGroup:
    """Change an existing group's members (there is no SCIM create or delete for groups)."""

    async def write(current: ScimGroup) -> ScimGroup:
        version = current.meta.version if current.meta else None
        data = await client.call(
            "PATCH", GROUP, path={"groupId": group_id}, json=body, headers=_etag(version)
        )
        return ScimGroup.model_validate(data)

    return await client.update_versioned(
        lambda: get_scim_group(client, group_id), lambda current: current, write, template=GROUP
    )
