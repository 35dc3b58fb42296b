"""The emulator's SCIM documents read by scim2-models, an independent RFC 7643/7644 implementation:
users (with the enterprise and the Genesys extensions), groups, list responses, errors and the
discovery documents validate as the RFC defines them, not only as our own tests expect."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from scim2_models import (
    URN,
    ComplexAttribute,
    Context,
    EnterpriseUser,
    Error,
    Extension,
    Group,
    ListResponse,
    ResourceType,
    Schema,
    ServiceProviderConfig,
    User,
)

SCIM = "/api/v2/scim/v2"


class Proficiency(ComplexAttribute):
    name: str | None = None
    proficiency: float | None = None


class ExternalId(ComplexAttribute):
    authority: str | None = None
    value: str | None = None


class GenesysUser(Extension):
    """The Genesys extension (routing skills and languages, external ids)."""

    __schema__ = URN("urn:ietf:params:scim:schemas:extension:genesys:purecloud:2.0:User")

    routing_skills: list[Proficiency] | None = None
    routing_languages: list[Proficiency] | None = None
    external_ids: list[ExternalId] | None = None


GenesysScimUser = User[EnterpriseUser | GenesysUser]


def scim_get(api: httpx.Client, path: str, **params: Any) -> Any:
    r = api.get(SCIM + path, params=params)
    assert r.headers["content-type"].startswith("application/scim+json"), r.headers
    return r.json()


def test_users_and_their_listing_are_rfc_resources(api: httpx.Client) -> None:
    listing = ListResponse[GenesysScimUser].model_validate(
        scim_get(api, "/Users"), scim_ctx=Context.SEARCH_RESPONSE
    )
    assert listing.total_results == 11 and len(listing.resources) == 11
    user = next(u for u in listing.resources if u.user_name == "agent1@acme.bpo.example")
    assert user.active is True and user.meta.resource_type == "User"
    assert user[EnterpriseUser].division == "Acme Insurance"
    assert user[GenesysUser].routing_skills == []
    one = GenesysScimUser.model_validate(
        scim_get(api, f"/Users/{user.id}"), scim_ctx=Context.RESOURCE_QUERY_RESPONSE
    )
    assert one.id == user.id and one.meta.version == '"1"'


def test_groups_are_rfc_resources(api: httpx.Client) -> None:
    body = scim_get(api, "/Groups", filter='displayName eq "Acme Insurance Agents"')
    listing = ListResponse[Group].model_validate(body, scim_ctx=Context.SEARCH_RESPONSE)
    (group,) = listing.resources
    assert group.display_name == "Acme Insurance Agents" and len(group.members) == 4
    assert all(m.type == "User" for m in group.members)


@pytest.mark.parametrize(
    ("path", "model"),
    [
        ("/ServiceProviderConfig", ServiceProviderConfig),
        ("/ResourceTypes/User", ResourceType),
        ("/ResourceTypes/Group", ResourceType),
        ("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", Schema),
        ("/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group", Schema),
        ("/Schemas/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", Schema),
    ],
)
def test_discovery_documents_are_rfc_documents(api: httpx.Client, path: str, model: type) -> None:
    doc = model.model_validate(scim_get(api, path))
    assert doc.meta is not None and doc.meta.location.lower().endswith(path.split("/")[-1].lower())


def test_errors_are_rfc_errors(api: httpx.Client) -> None:
    err = Error.model_validate(scim_get(api, "/Users/no-such-user"))
    assert err.status == 404 and err.detail
    err = Error.model_validate(scim_get(api, "/Groups"))
    assert err.status == 400 and err.scim_type == "invalidFilter"
