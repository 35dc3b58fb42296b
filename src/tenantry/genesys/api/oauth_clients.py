"""OAuth clients: a tenant's own client-credentials clients, whose roleDivisions name only its division.

The secret comes back once, on create. If a create ends without a clear answer and the lookup
finds the client, its secret is unknown to us, so a new one is generated and returned instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tenantry.genesys.api._util import camel, delete
from tenantry.genesys.errors import NotFoundError
from tenantry.genesys.http import GenesysClient
from tenantry.genesys.models import OAuthClient, RoleDivision
from tenantry.genesys.paging import read_entity_listing

BASE = "/api/v2/oauth/clients"
ONE = BASE + "/{clientId}"
SECRET = ONE + "/secret"
_WRITABLE = (
    "name",
    "description",
    "authorizedGrantType",
    "roleDivisions",
    "accessTokenValiditySeconds",
    "state",
)


async def list_oauth_clients(client: GenesysClient) -> list[OAuthClient]:
    listing = await read_entity_listing(client, BASE, page_size=100)
    return [OAuthClient.model_validate(c) for c in listing.entities]


async def find_oauth_client(client: GenesysClient, name: str) -> OAuthClient | None:
    return next((c for c in await list_oauth_clients(client) if c.name == name), None)


async def get_oauth_client(client: GenesysClient, client_id: str) -> OAuthClient:
    return OAuthClient.model_validate(await client.get(ONE, path={"clientId": client_id}))


async def create_oauth_client(
    client: GenesysClient,
    name: str,
    role_divisions: Sequence[RoleDivision],
    *,
    description: str | None = None,
    token_seconds: int | None = None,
) -> OAuthClient:
    body: dict[str, Any] = {
        "name": name,
        "authorizedGrantType": "CLIENT-CREDENTIALS",
        "roleDivisions": [rd.to_api() for rd in role_divisions],
    }
    if description is not None:
        body["description"] = description
    if token_seconds is not None:
        body["accessTokenValiditySeconds"] = token_seconds

    async def lookup() -> dict[str, Any] | None:
        found = await find_oauth_client(client, name)
        if found is None:
            return None
        return await _new_secret(client, found.id)

    data = await client.create(BASE, body, lookup=lookup)
    return OAuthClient.model_validate(data)


async def regenerate_secret(client: GenesysClient, client_id: str) -> OAuthClient:
    """A new secret (the old one stops working); repeating it only rotates once more."""
    return OAuthClient.model_validate(await _new_secret(client, client_id))


async def _new_secret(client: GenesysClient, client_id: str) -> dict[str, Any]:
    return await client.call("POST", SECRET, path={"clientId": client_id}, idempotent=True)


async def update_oauth_client(
    client: GenesysClient,
    client_id: str,
    *,
    role_divisions: Sequence[RoleDivision] | None = None,
    **changes: Any,
) -> OAuthClient:
    """Read the client, change the given fields, PUT it back (the platform wants the whole body)."""
    current = (await get_oauth_client(client, client_id)).to_api()
    body = {k: current[k] for k in _WRITABLE if k in current}
    body.update({camel(k): v for k, v in changes.items()})
    if role_divisions is not None:
        body["roleDivisions"] = [rd.to_api() for rd in role_divisions]
    return OAuthClient.model_validate(await client.call("PUT", ONE, path={"clientId": client_id}, json=body))


async def delete_oauth_client(client: GenesysClient, client_id: str) -> bool:
    """Set the client `inactive` (the platform refuses to delete an active one), then delete it;
    False when it was already gone."""
    try:
        current = await get_oauth_client(client, client_id)
        if (current.to_api().get("state") or "active") != "inactive":
            await update_oauth_client(client, client_id, state="inactive")
    except NotFoundError:
        return False
    return await delete(client, ONE, {"clientId": client_id})
