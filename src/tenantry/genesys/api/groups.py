"""Groups: role-enabled groups carry a tenant's grants; agents get roles through them.

Member additions carry the group's version and take at most 50 ids a call, so they go one
batch after the other per group; a 409 re-reads the version and sends the batch again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tenantry.genesys.api._util import camel, chunks, delete
from tenantry.genesys.http import GenesysClient
from tenantry.genesys.models import Group, User
from tenantry.genesys.paging import read_entity_listing

BASE = "/api/v2/groups"
ONE = BASE + "/{groupId}"
MEMBERS = ONE + "/members"
MEMBERS_PER_CALL = 50


async def list_groups(client: GenesysClient) -> list[Group]:
    listing = await read_entity_listing(client, BASE, page_size=100)
    return [Group.model_validate(g) for g in listing.entities]


async def find_group(client: GenesysClient, name: str) -> Group | None:
    """The group with exactly this name, or None.

    Reads the listing: POST /api/v2/groups/search would be cheaper on a large org, but the
    emulator does not serve it yet.
    """
    return next((g for g in await list_groups(client) if g.name == name), None)


async def get_group(client: GenesysClient, group_id: str) -> Group:
    return Group.model_validate(await client.get(ONE, path={"groupId": group_id}))


async def create_group(
    client: GenesysClient,
    name: str,
    *,
    description: str | None = None,
    roles_enabled: bool = True,
    visibility: str = "members",
    group_type: str = "official",
) -> Group:
    body: dict[str, Any] = {
        "name": name,
        "type": group_type,
        "visibility": visibility,
        "rolesEnabled": roles_enabled,
    }
    if description is not None:
        body["description"] = description

    async def lookup() -> dict[str, Any] | None:
        found = await find_group(client, name)
        return found.to_api() if found else None

    group = Group.model_validate(await client.create(BASE, body, lookup=lookup))
    if description is not None and group.description != description:
        group = await update_group(client, group.id, description=description)  # POST ignores it
    return group


_WRITABLE = ("name", "description", "visibility", "rolesEnabled", "state")  # GroupUpdate has no type


async def update_group(client: GenesysClient, group_id: str, **changes: Any) -> Group:
    """PUT the group with `changes` (description=..., roles_enabled=...) at its current version."""
    wire = {camel(k): v for k, v in changes.items()}

    def apply(current: Group) -> dict[str, Any] | None:
        data = current.to_api()
        if all(data.get(k) == v for k, v in wire.items()):
            return None
        body = {k: data[k] for k in _WRITABLE if k in data}
        return {**body, **wire, "version": current.version}

    async def write(body: dict[str, Any]) -> Group:
        return Group.model_validate(await client.call("PUT", ONE, path={"groupId": group_id}, json=body))

    return await client.update_versioned(lambda: get_group(client, group_id), apply, write, template=ONE)


async def delete_group(client: GenesysClient, group_id: str) -> bool:
    return await delete(client, ONE, {"groupId": group_id}, versioned=True)


async def list_group_members(client: GenesysClient, group_id: str) -> list[User]:
    listing = await read_entity_listing(client, MEMBERS, path={"groupId": group_id}, page_size=100)
    return [User.model_validate(u) for u in listing.entities]


async def add_group_members(client: GenesysClient, group_id: str, user_ids: Sequence[str]) -> None:
    """Add users, 50 a call, each call at the group's current version."""
    for batch in chunks(user_ids, MEMBERS_PER_CALL):

        async def write(body: dict[str, Any]) -> None:
            await client.request("POST", MEMBERS, path={"groupId": group_id}, json=body, idempotent=True)

        def body(group: Group, ids: list[str] = batch) -> dict[str, Any]:
            return {"memberIds": ids, "version": group.version}

        await client.update_versioned(lambda: get_group(client, group_id), body, write, template=MEMBERS)


async def remove_group_members(client: GenesysClient, group_id: str, user_ids: Sequence[str]) -> None:
    """Remove users, 50 a call; removing a non-member is harmless, so retries are safe (a version
    conflict, which the platform also answers here, included)."""
    for batch in chunks(user_ids, MEMBERS_PER_CALL):

        async def once(ids: list[str] = batch) -> None:
            await client.request("DELETE", MEMBERS, path={"groupId": group_id}, params={"ids": ",".join(ids)})

        await client.retry_conflicts(once, template=MEMBERS)
