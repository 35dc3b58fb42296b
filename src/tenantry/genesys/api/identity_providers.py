"""SAML identity providers (one per type in an org): SSO for people; automation keeps using OAuth."""

from __future__ import annotations

from typing import Any

from tenantry.genesys.api._util import delete
from tenantry.genesys.errors import NotFoundError
from tenantry.genesys.http import GenesysClient
from tenantry.genesys.models import IdentityProvider
from tenantry.genesys.paging import read_entity_listing

BASE = "/api/v2/identityproviders"
ONE = BASE + "/{providerType}"
PROVIDER_TYPES = ("okta", "adfs", "onelogin", "ping", "gsuite", "salesforce", "generic")


def _check(provider_type: str) -> None:
    if provider_type not in PROVIDER_TYPES:
        raise ValueError(f"identity provider type must be one of {', '.join(PROVIDER_TYPES)}")


async def list_identity_providers(client: GenesysClient) -> list[IdentityProvider]:
    listing = await read_entity_listing(client, BASE, page_size=100)
    return [IdentityProvider.model_validate(p) for p in listing.entities]


async def get_identity_provider(client: GenesysClient, provider_type: str) -> IdentityProvider | None:
    _check(provider_type)
    try:
        return IdentityProvider.model_validate(await client.get(ONE, path={"providerType": provider_type}))
    except NotFoundError:
        return None


async def put_identity_provider(
    client: GenesysClient, provider_type: str, provider: IdentityProvider | dict[str, Any]
) -> IdentityProvider:
    """Create or replace the provider of this type (PUT is idempotent, so retried freely).

    The platform keeps a provider's `certificates` list unless it is sent: a new `certificate`
    alone would leave the old one in force, so both are sent, the list holding just that one."""
    _check(provider_type)
    body = dict(provider.to_api() if isinstance(provider, IdentityProvider) else provider)
    if body.get("certificate"):
        body["certificates"] = [body["certificate"]]
    data = await client.call("PUT", ONE, path={"providerType": provider_type}, json=body)
    return IdentityProvider.model_validate(data)


async def delete_identity_provider(client: GenesysClient, provider_type: str) -> bool:
    _check(provider_type)
    return await delete(client, ONE, {"providerType": provider_type})
