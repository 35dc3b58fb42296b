"""The official Python SDK drives the emulator: every answer deserializes into the SDK's models with
ids, names and division ids intact. The SDK is synchronous; it runs in the test thread."""

from __future__ import annotations

from typing import Any

import PureCloudPlatformClientV2 as gc
import pytest
from PureCloudPlatformClientV2.rest import ApiException

from genesys_emulator import RunningEmulator


def mk(cls: type, **fields: Any) -> Any:
    """SDK models take no constructor arguments; their fields are properties."""
    obj = cls()
    for key, value in fields.items():
        setattr(obj, key, value)
    return obj


def intact(model: Any) -> Any:
    """The SDK maps an enum value it does not know to "outdated_sdk_version": none may appear."""
    text = repr(model.to_dict())
    assert "outdated_sdk_version" not in text, text
    return model


def test_token_through_the_sdk_is_a_working_bearer_token(sdk: gc.ApiClient) -> None:
    home = gc.AuthorizationApi(sdk).get_authorization_divisions_home()
    assert home.name == "Home"
    assert home.home_division is True


def test_sdk_builds_a_tenant_end_to_end(sdk: gc.ApiClient, name) -> None:
    authz = gc.AuthorizationApi(sdk)
    users_api = gc.UsersApi(sdk)
    groups_api = gc.GroupsApi(sdk)
    routing = gc.RoutingApi(sdk)

    # a division
    div_name = name("Initech")
    division = authz.post_authorization_divisions(mk(gc.AuthzDivision, name=div_name, description="client"))
    assert isinstance(division, gc.AuthzDivision)
    assert division.name == div_name and division.id and division.home_division is False
    assert authz.get_authorization_division(division.id).name == div_name

    # a user in it
    user = users_api.post_users(
        mk(gc.CreateUser, name="Peter Gibbons", email=f"peter.{division.id[:8]}@initech.example",
           division_id=division.id)
    )  # fmt: skip
    assert isinstance(user, gc.User)
    assert user.name == "Peter Gibbons"
    assert user.division.id == division.id and user.division.name == div_name
    again = users_api.get_user(user.id)
    assert again.id == user.id and again.division.id == division.id and again.version == user.version

    # a grant
    agent = authz.get_authorization_roles(name="Agent").entities[0]
    assert agent.name == "Agent" and agent.permission_policies
    authz.post_authorization_subject_bulkadd(
        user.id,
        mk(gc.RoleDivisionGrants, grants=[mk(gc.RoleDivision, role_id=agent.id, division_id=division.id)]),
        subject_type="PC_USER",
    )
    subject = authz.get_authorization_subject(user.id)
    assert subject.id == user.id
    home = authz.get_authorization_divisions_home()
    employee = authz.get_authorization_roles(name="employee").entities[0]
    # every new user also holds the platform's default role, employee in Home
    assert sorted((g.role.id, g.role.name, g.division.id, g.division.name) for g in subject.grants) == sorted(
        [(agent.id, "Agent", division.id, div_name), (employee.id, "employee", home.id, "Home")]
    )
    assert all(g.subject_id == user.id and g.grant_made_at is not None for g in subject.grants)

    # a group with members
    group = groups_api.post_groups(
        mk(
            gc.GroupCreate,
            name=f"{div_name} Agents",
            type="official",
            visibility="public",
            roles_enabled=True,
        )
    )
    assert isinstance(group, gc.Group)
    assert group.name == f"{div_name} Agents" and group.roles_enabled is True and group.version == 1
    groups_api.post_group_members(
        group.id, mk(gc.GroupMembersUpdate, member_ids=[user.id], version=group.version)
    )
    members = groups_api.get_group_members(group.id)
    assert [m.id for m in members.entities] == [user.id]
    assert members.entities[0].division.id == division.id
    assert groups_api.get_group(group.id).member_count == 1

    # a queue in the division, bound to the group
    queue = routing.post_routing_queues(
        mk(
            gc.CreateQueueRequest,
            name=f"{div_name} Support",
            division=mk(gc.WritableDivision, id=division.id),
            member_groups=[mk(gc.MemberGroup, id=group.id, type="GROUP")],
        )
    )
    assert isinstance(queue, gc.Queue)
    assert queue.division.id == division.id and queue.division.name == div_name
    assert [(g.id, g.type) for g in queue.member_groups] == [(group.id, "GROUP")]
    qmembers = routing.get_routing_queue_members(queue.id)
    assert [(m.id, m.member_by) for m in qmembers.entities] == [(user.id, "group")]
    assert qmembers.entities[0].user.division.id == division.id
    listed = routing.get_routing_queues(division_id=[division.id])
    assert [q.id for q in listed.entities] == [queue.id]
    for model in (division, user, again, agent, subject, group, members, queue, qmembers, listed):
        intact(model)


def test_sdk_oauth_client_with_role_divisions(sdk: gc.ApiClient, emu: RunningEmulator, name) -> None:
    authz = gc.AuthorizationApi(sdk)
    oauth = gc.OAuthApi(sdk)
    acme = authz.get_authorization_divisions(name="Acme Insurance").entities[0]
    supervisor = authz.get_authorization_roles(name="Supervisor").entities[0]
    client_name = name("Acme reporting bot")
    created = oauth.post_oauth_clients(
        mk(
            gc.OAuthClientRequest,
            name=client_name,
            authorized_grant_type="CLIENT-CREDENTIALS",
            access_token_validity_seconds=3600,
            role_divisions=[mk(gc.RoleDivision, role_id=supervisor.id, division_id=acme.id)],
        )
    )
    assert isinstance(created, gc.OAuthClient)
    assert created.name == client_name and created.secret
    assert created.authorized_grant_type == "CLIENT-CREDENTIALS"
    assert created.access_token_validity_seconds == 3600
    assert [(rd.role_id, rd.division_id) for rd in created.role_divisions] == [(supervisor.id, acme.id)]
    fetched = intact(oauth.get_oauth_client(created.id))
    intact(created)
    assert fetched.secret is None  # shown once, on create
    assert [(rd.role_id, rd.division_id) for rd in fetched.role_divisions] == [(supervisor.id, acme.id)]

    # the new client's own SDK session sees only its division
    tenant = gc.api_client.ApiClient(host=emu.base_url)
    tenant.get_client_credentials_token(created.id, created.secret)
    queues = intact(gc.RoutingApi(tenant).get_routing_queues(page_size=100))
    assert queues.entities and {q.division.id for q in queues.entities} == {acme.id}


def test_sdk_generic_saml_identity_provider(sdk: gc.ApiClient) -> None:
    idp = gc.IdentityProviderApi(sdk)
    body = mk(
        gc.GenericSAML,
        name="Initech SSO",
        issuer_uri="https://idp.initech.example/saml",
        sso_target_uri="https://idp.initech.example/sso",
        relying_party_identifier="urn:genesys:initech",
        certificate="MIIC0zCCAbugAwIBAgIJAKZ",
        name_identifier_format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
        disabled=False,
    )
    saved = idp.put_identityproviders_generic(body)
    assert saved.id and saved.name == "Initech SSO" and saved.disabled is False
    got = intact(idp.get_identityproviders_generic())
    assert isinstance(got, gc.GenericSAML)
    assert got.id == saved.id
    assert got.issuer_uri == "https://idp.initech.example/saml"
    assert got.sso_target_uri == "https://idp.initech.example/sso"
    assert got.relying_party_identifier == "urn:genesys:initech"
    assert got.certificate == "MIIC0zCCAbugAwIBAgIJAKZ"
    listed = idp.get_identityproviders()
    assert saved.id in [p.id for p in listed.entities]
    idp.delete_identityproviders_generic()
    with pytest.raises(ApiException) as exc:
        idp.get_identityproviders_generic()
    assert exc.value.status == 404


def test_sdk_analytics_query_filtered_by_division(sdk: gc.ApiClient) -> None:
    authz = gc.AuthorizationApi(sdk)
    analytics = gc.AnalyticsApi(sdk)
    acme = authz.get_authorization_divisions(name="Acme Insurance").entities[0]
    query = mk(
        gc.ConversationQuery,
        interval="2026-10-15T00:00:00.000Z/2026-11-15T00:00:00.000Z",
        order="asc",
        conversation_filters=[
            mk(
                gc.ConversationDetailQueryFilter,
                type="and",
                predicates=[
                    mk(
                        gc.ConversationDetailQueryPredicate,
                        type="dimension",
                        dimension="divisionId",
                        operator="matches",
                        value=acme.id,
                    )
                ],
            )
        ],
        paging=mk(gc.PagingSpec, page_size=25, page_number=1),
    )
    result = intact(analytics.post_analytics_conversations_details_query(query))
    assert isinstance(result, gc.AnalyticsConversationQueryResponse)
    assert result.total_hits == 40  # the demo seeds 120 over Home, Acme and Globex
    assert len(result.conversations) == 25
    for conv in result.conversations:
        assert conv.division_ids == [acme.id]
        assert conv.conversation_id and conv.conversation_start is not None
        assert conv.originating_direction in ("inbound", "outbound")
    starts = [c.conversation_start for c in result.conversations]
    assert starts == sorted(starts)


def test_sdk_sees_platform_errors_as_api_exceptions(sdk: gc.ApiClient) -> None:
    with pytest.raises(ApiException) as exc:
        gc.UsersApi(sdk).get_user("00000000-0000-0000-0000-000000000000")
    assert exc.value.status == 404
    assert '"code"' in exc.value.body and '"contextId"' in exc.value.body
