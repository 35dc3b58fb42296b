"""Divisions: one per tenant. Never deleted with `force` (that deletes the division's objects)."""

from __future__ import annotations

from collections.abc import Sequence

from tenantry.genesys.api._util import chunks, delete
from tenantry.genesys.http import GenesysClient
from tenantry.genesys.models import Division
from tenantry.genesys.paging import read_entity_listing

BASE = "/api/v2/authorization/divisions"
ONE = BASE + "/{divisionId}"
OBJECTS = ONE + "/objects/{objectType}"
MOVE_BATCH = 50


async def list_divisions(client: GenesysClient, *, name: str | None = None) -> list[Division]:
    params = {"name": name} if name else None
    listing = await read_entity_listing(client, BASE, params=params, page_size=100)
    return [Division.model_validate(d) for d in listing.entities]


async def find_division(client: GenesysClient, name: str) -> Division | None:
    """The division with exactly this name (names are unique in an org), or None."""
    for division in await list_divisions(client, name=name):
        if division.name.lower() == name.lower():
            return division
    return None


async def get_division(client: GenesysClient, division_id: str) -> Division:
    return Division.model_validate(await client.get(ONE, path={"divisionId": division_id}))


async def get_home_division(client: GenesysClient) -> Division:
    return Division.model_validate(await client.get(BASE + "/home"))


async def create_division(client: GenesysClient, name: str, description: str | None = None) -> Division:
    body = {"name": name, **({"description": description} if description is not None else {})}

    async def lookup() -> dict | None:
        found = await find_division(client, name)
        return found.to_api() if found else None

    return Division.model_validate(await client.create(BASE, body, lookup=lookup))


async def update_division(
    client: GenesysClient, division_id: str, name: str, description: str | None = None
) -> Division:
    body = {"name": name, **({"description": description} if description is not None else {})}
    return Division.model_validate(await client.call("PUT", ONE, path={"divisionId": division_id}, json=body))


async def delete_division(client: GenesysClient, division_id: str) -> bool:
    """Delete an empty division; False if it was already gone. Never sends force=true."""
    return await delete(client, ONE, {"divisionId": division_id})


async def move_objects(
    client: GenesysClient, division_id: str, object_type: str, object_ids: Sequence[str]
) -> None:
    """Move objects (USER, QUEUE, ...) into a division; moving twice is harmless, so retries are safe."""
    for batch in chunks(object_ids, MOVE_BATCH):
        await client.request(
            "POST",
            OBJECTS,
            path={"divisionId": division_id, "objectType": object_type},
            json=batch,
            idempotent=True,
        )
