"""Routing queues: in a tenant's division, bound to tenant groups (`memberGroups`) or direct members.

Direct members change 100 a call through POST .../members (`?delete=true` removes); both are
set operations, so retries are safe. A queue has no version: an update reads the queue, changes
the wanted fields and PUTs it whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tenantry.genesys.api._util import camel, chunks, delete
from tenantry.genesys.http import GenesysClient
from tenantry.genesys.models import MemberGroup, Queue, QueueMember
from tenantry.genesys.paging import read_entity_listing, read_sequential

BASE = "/api/v2/routing/queues"
ONE = BASE + "/{queueId}"
MEMBERS = ONE + "/members"
MEMBERS_PER_CALL = 100


async def list_queues(
    client: GenesysClient, *, name: str | None = None, division_ids: Sequence[str] = ()
) -> list[Queue]:
    params: dict[str, Any] = {}
    if name:
        params["name"] = name
    if division_ids:
        params["divisionId"] = list(division_ids)
    listing = await read_entity_listing(client, BASE, params=params, page_size=100)
    return [Queue.model_validate(q) for q in listing.entities]


async def find_queue(client: GenesysClient, name: str) -> Queue | None:
    return next((q for q in await list_queues(client, name=name) if q.name == name), None)


async def get_queue(client: GenesysClient, queue_id: str) -> Queue:
    return Queue.model_validate(await client.get(ONE, path={"queueId": queue_id}))


def _groups(group_ids: Sequence[str]) -> list[dict[str, str]]:
    return [MemberGroup(id=g).to_api() for g in dict.fromkeys(group_ids)]


async def create_queue(
    client: GenesysClient,
    name: str,
    division_id: str,
    *,
    member_group_ids: Sequence[str] = (),
    description: str | None = None,
) -> Queue:
    body: dict[str, Any] = {"name": name, "division": {"id": division_id}}
    if member_group_ids:
        body["memberGroups"] = _groups(member_group_ids)
    if description is not None:
        body["description"] = description

    async def lookup() -> dict[str, Any] | None:
        found = await find_queue(client, name)
        return found.to_api() if found else None

    return Queue.model_validate(await client.create(BASE, body, lookup=lookup))


async def update_queue(
    client: GenesysClient, queue_id: str, *, member_group_ids: Sequence[str] | None = None, **changes: Any
) -> Queue:
    """Read the queue, change the given fields (and member groups), PUT it back.

    `member_group_ids` are the GROUP bindings tenantry manages; the TEAM and SKILLGROUP
    bindings someone else made are kept as they are (a PUT without them would drop them)."""
    current = (await get_queue(client, queue_id)).to_api()
    body = {**current, **{camel(k): v for k, v in changes.items()}}
    if member_group_ids is not None:
        others = [mg for mg in current.get("memberGroups") or [] if (mg.get("type") or "GROUP") != "GROUP"]
        body["memberGroups"] = others + _groups(member_group_ids)
    return Queue.model_validate(await client.call("PUT", ONE, path={"queueId": queue_id}, json=body))


async def delete_queue(client: GenesysClient, queue_id: str) -> bool:
    return await delete(client, ONE, {"queueId": queue_id})


async def list_queue_members(
    client: GenesysClient, queue_id: str, *, member_by: str | None = None
) -> list[QueueMember]:
    """Members of a queue; `member_by="user"` gives the direct ones, `"group"` those via groups."""
    params = {"memberBy": member_by} if member_by else None
    # QueueMemberEntityListing has no total (SDK model): page until a short page.
    entities = await read_sequential(
        client, MEMBERS, path={"queueId": queue_id}, params=params, page_size=MEMBERS_PER_CALL
    )
    return [QueueMember.model_validate(m) for m in entities]


async def _change_members(
    client: GenesysClient, queue_id: str, user_ids: Sequence[str], delete: bool
) -> None:
    for batch in chunks(user_ids, MEMBERS_PER_CALL):
        await client.request(
            "POST",
            MEMBERS,
            path={"queueId": queue_id},
            params={"delete": "true"} if delete else None,
            json=[{"id": u} for u in batch],
            idempotent=True,
        )


async def add_queue_members(client: GenesysClient, queue_id: str, user_ids: Sequence[str]) -> None:
    await _change_members(client, queue_id, user_ids, delete=False)


async def remove_queue_members(client: GenesysClient, queue_id: str, user_ids: Sequence[str]) -> None:
    await _change_members(client, queue_id, user_ids, delete=True)
