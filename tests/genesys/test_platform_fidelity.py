"""The client survives what the real platform does (issue 12), over real HTTP.

Each test scripts the platform's real answer (tests/genesys/realhttp.py serves it on a socket)
and would fail against a client that assumed the emulator's kinder behaviour.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tenantry.domain.model import Grant
from tenantry.genesys import Credentials, GenesysClient, RetryPolicy, api, resolve_target
from tenantry.genesys.models import RoleDivision
from tenantry.genesys.snapshot import read_user_grants

from .conftest import SECRET, FakePlatform, body_of, emu_client, error, ok
from .realhttp import serving

MISMATCH = "The version supplied (3) does not match the current version (4)."


@pytest.fixture
def platform() -> Iterator[tuple[FakePlatform, str]]:
    fake = FakePlatform()
    with serving(fake.handle) as base:
        yield fake, base


@pytest.fixture
def api_http(api: httpx.Client) -> httpx.Client:
    """The admin's plain HTTP client (tests/conftest.py `api`), for what tenantry never does."""
    return api


def client_for(base: str, **policy: Any) -> GenesysClient:
    policy = {"base_delay": 0.001, "max_delay": 0.01, "index_lag": 0.0, **policy}
    return GenesysClient(resolve_target(base), [Credentials.of("c", SECRET)], retry=RetryPolicy(**policy))


def stale_once(then: httpx.Response) -> Any:
    """The platform's 400 form of a version conflict once, then `then`."""
    answers = [error(400, "bad.request", MISMATCH)]
    return lambda request: answers.pop() if answers else then


async def test_version_conflict_as_400_is_retried_on_member_removal_and_deletes(platform) -> None:
    fake, base = platform
    fake.route("DELETE", "/api/v2/groups/g1/members")(stale_once(ok(status=202)))
    fake.route("DELETE", "/api/v2/groups/g1")(stale_once(ok(status=200)))
    fake.route("DELETE", "/api/v2/users/u1")(stale_once(ok(status=200)))
    async with client_for(base) as client:
        await api.groups.remove_group_members(client, "g1", ["u1", "u2"])
        assert await api.groups.delete_group(client, "g1") is True
        assert await api.users.delete_user(client, "u1") is True
    for path in ("/api/v2/groups/g1/members", "/api/v2/groups/g1", "/api/v2/users/u1"):
        assert fake.calls("DELETE", path) == 2


async def test_version_conflict_as_400_rereads_the_version_on_patch_put_and_member_add(platform) -> None:
    fake, base = platform
    user = {"id": "u1", "name": "Ann", "state": "active", "version": 3}
    group = {"id": "g1", "name": "G", "type": "official", "version": 3}

    def versioned(obj: dict, writes_fields: bool) -> Any:
        def handler(request: httpx.Request) -> httpx.Response:
            body = body_of(request)
            if obj["version"] == 3:  # someone else wrote meanwhile
                obj["version"] = 4
            if body["version"] != obj["version"]:
                return error(400, "bad.request", MISMATCH)
            if writes_fields:
                obj.update({k: v for k, v in body.items() if k not in ("version", "memberIds")})
            obj["version"] += 1
            return ok(dict(obj))

        return handler

    fake.route("GET", "/api/v2/users/u1")(lambda r: ok(dict(user)))
    fake.route("PATCH", "/api/v2/users/u1")(versioned(user, True))
    fake.route("GET", "/api/v2/groups/g1")(lambda r: ok(dict(group)))
    fake.route("PUT", "/api/v2/groups/g1")(versioned(group, True))
    async with client_for(base) as client:
        assert (await api.users.update_user(client, "u1", title="Lead")).title == "Lead"
        assert (await api.groups.update_group(client, "g1", description="d")).description == "d"
        group["version"] = 3
        fake.route("POST", "/api/v2/groups/g1/members")(versioned(group, False))
        await api.groups.add_group_members(client, "g1", ["u1"])
    assert fake.calls("PATCH", "/api/v2/users/u1") == 2
    assert fake.calls("PUT", "/api/v2/groups/g1") == 2
    assert fake.calls("POST", "/api/v2/groups/g1/members") == 2


async def test_group_put_never_sends_type(platform) -> None:
    fake, base = platform
    group = {"id": "g1", "name": "G", "type": "official", "visibility": "members", "version": 1}
    fake.route("GET", "/api/v2/groups/g1")(lambda r: ok(dict(group)))

    @fake.route("PUT", "/api/v2/groups/g1")
    def put(request: httpx.Request) -> httpx.Response:
        body = body_of(request)
        if "type" in body:  # GroupUpdate has no type: a strict platform refuses it
            return error(400, "bad.request", "Unrecognized field 'type'")
        return ok({**group, **body, "version": 2})

    async with client_for(base) as client:
        assert (await api.groups.update_group(client, "g1", rolesEnabled=True)).version == 2


async def test_state_change_is_patched_alone_then_the_other_fields(platform) -> None:
    fake, base = platform
    user = {"id": "u1", "name": "Ann", "state": "inactive", "title": "Agent", "version": 1}
    fake.route("GET", "/api/v2/users/u1")(lambda r: ok(dict(user)))
    bodies: list[dict] = []

    @fake.route("PATCH", "/api/v2/users/u1")
    def patch(request: httpx.Request) -> httpx.Response:
        body = body_of(request)
        bodies.append(body)
        if body["version"] != user["version"]:
            return error(409, "general.conflict", "stale")
        if "state" in body and body["state"] != user["state"]:
            user["state"] = body["state"]  # the platform ignores every other field here
        else:
            user.update({k: v for k, v in body.items() if k != "version"})
        user["version"] += 1
        return ok(dict(user))

    async with client_for(base) as client:
        done = await api.users.update_user(client, "u1", state="active", name="Ann B", title="Lead")
    assert (done.state, done.name, done.title) == ("active", "Ann B", "Lead")
    assert [set(b) - {"version"} for b in bodies] == [{"state"}, {"name", "title"}]


def _deleted_user_platform(fake: FakePlatform) -> dict:
    """A platform where ann@x.example was deleted: her email stays taken, search finds her by
    state, GET ?state=deleted reads her, and a PATCH of state with the version restores her."""
    ann = {"id": "u-ann", "name": "Ann", "email": "ann@x.example", "state": "deleted", "version": 7}
    ann["division"] = {"id": "d-old"}

    @fake.route("POST", "/api/v2/users")
    def create(request: httpx.Request) -> httpx.Response:
        if body_of(request)["email"] == ann["email"]:
            return error(409, "general.conflict", "A user with this email already exists.")
        return error(500, "unexpected", "only ann in this script")

    @fake.route("POST", "/api/v2/users/search")
    def search(request: httpx.Request) -> httpx.Response:
        states = body_of(request)["query"][1]["values"]
        hits = [dict(ann)] if ann["state"] in states else []
        return ok({"total": len(hits), "pageCount": 1, "results": hits})

    @fake.route("GET", "/api/v2/users/u-ann")
    def get(request: httpx.Request) -> httpx.Response:
        wants_deleted = request.url.params.get("state") == "deleted"
        if wants_deleted != (ann["state"] == "deleted"):
            return error(404, "not.found", "no such user")
        return ok(dict(ann))

    @fake.route("PATCH", "/api/v2/users/u-ann")
    def patch(request: httpx.Request) -> httpx.Response:
        body = body_of(request)
        if body.get("version") != ann["version"]:
            return error(409, "general.conflict", "stale")
        if ann["state"] == "deleted" and set(body) != {"state", "version"}:
            return error(400, "bad.request", "a restore changes the state alone")
        ann.update({k: v for k, v in body.items() if k != "version"}, version=ann["version"] + 1)
        return ok(dict(ann))

    @fake.route("POST", "/api/v2/authorization/divisions/d-new/objects/USER")
    def move(request: httpx.Request) -> httpx.Response:
        assert body_of(request) == [ann["id"]]
        ann["division"] = {"id": "d-new"}
        return ok(status=204)

    return ann


async def test_a_deleted_user_is_restored_with_its_id_not_created_again(platform) -> None:
    fake, base = platform
    ann = _deleted_user_platform(fake)
    async with client_for(base) as client:
        user = await api.users.create_user(
            client, name="Ann Again", email="ann@x.example", division_id="d-new", title="Lead"
        )
    assert (user.id, user.state, user.name, user.title) == ("u-ann", "active", "Ann Again", "Lead")
    assert user.division and user.division.id == "d-new"
    assert ann["state"] == "active"
    assert fake.calls("POST", "/api/v2/users") == 1


async def test_lookup_after_an_unclear_create_waits_out_the_index_lag(platform) -> None:
    fake, base = platform
    made: list[dict] = []
    misses = {"left": 3}  # the listing shows the new client only after three looks

    @fake.route("POST", "/api/v2/oauth/clients")
    def create(request: httpx.Request) -> httpx.Response:
        made.append({"id": f"oc{len(made)}", "name": body_of(request)["name"], "roleDivisions": []})
        return error(504, "gateway.timeout", "the write happened, the answer was lost")

    @fake.route("GET", "/api/v2/oauth/clients")
    def listing(request: httpx.Request) -> httpx.Response:
        if misses["left"]:
            misses["left"] -= 1
            return ok({"entities": [], "total": 0, "pageCount": 1})
        return ok({"entities": made, "total": len(made), "pageCount": 1})

    fake.route("POST", "/api/v2/oauth/clients/oc0/secret")(lambda r: ok({**made[0], "secret": "fresh"}))
    async with client_for(base, index_lag=5.0, index_lag_step=0.01) as client:
        created = await api.oauth_clients.create_oauth_client(client, "Acme Reporting", [])
    assert created.id == "oc0" and len(made) == 1  # no duplicate client
    assert fake.calls("GET", "/api/v2/oauth/clients") == 4


async def test_408_is_retried(platform) -> None:
    fake, base = platform
    answers = [error(408, "request.timeout", "The client did not produce a request in time")]
    fake.route("GET", "/api/v2/users/u1")(lambda r: answers.pop() if answers else ok({"id": "u1"}))
    async with client_for(base) as client:
        assert (await api.users.get_user(client, "u1")).id == "u1"
    assert fake.calls("GET", "/api/v2/users/u1") == 2


async def test_bulk_remove_falls_back_to_one_delete_per_grant_when_a_role_is_gone(
    demo: Any, api_http
) -> None:
    """The platform keeps the grants of a deleted role; a bulkremove naming one fails whole."""
    async with emu_client(demo) as client:
        agent = await api.roles.find_role(client, "Agent")
        home = await api.divisions.get_home_division(client)
        temp = api_http.post(
            "/api/v2/authorization/roles",
            json={
                "name": "Temp Role",
                "permissionPolicies": [{"domain": "routing", "entityName": "queue", "actionSet": ["view"]}],
            },
        ).json()
        user = await api.users.create_user(
            client, name="Orphan", email="orphan@x.example", division_id=home.id
        )
        pairs = [
            RoleDivision(role_id=agent.id, division_id=home.id),
            RoleDivision(role_id=temp["id"], division_id=home.id),
        ]
        await api.grants.bulk_add(client, user.id, pairs)
        api_http.delete(f"/api/v2/authorization/roles/{temp['id']}").raise_for_status()
        await api.grants.bulk_remove(client, user.id, pairs)
        left = await api.grants.direct_grants(client, user.id)
    assert (agent.id, home.id) not in left and (temp["id"], home.id) not in left


async def test_a_users_direct_grants_leave_out_those_inherited_from_its_groups(demo: Any) -> None:
    async with emu_client(demo) as client:
        agent = await api.roles.find_role(client, "Agent")
        viewer = await api.roles.find_role(client, "Reporting Viewer")
        home = await api.divisions.get_home_division(client)
        group = await api.groups.create_group(client, "Inheritors")
        await api.grants.bulk_add(
            client, group.id, [RoleDivision(role_id=agent.id, division_id=home.id)], "PC_GROUP"
        )
        user = await api.users.create_user(client, name="Heir", email="heir@x.example", division_id=home.id)
        await api.groups.add_group_members(client, group.id, [user.id])
        await api.grants.bulk_add(client, user.id, [RoleDivision(role_id=viewer.id, division_id=home.id)])
        subject = await api.grants.get_subject(client, user.id)
        direct = await api.grants.direct_grants(client, user.id)
        own = await read_user_grants(client, user.id)
    assert (agent.id, home.id) in {(g.role.id, g.division.id) for g in subject.grants}  # inherited, listed
    assert (viewer.id, home.id) in direct and (agent.id, home.id) not in direct
    assert Grant(viewer.id, home.id) in own and Grant(agent.id, home.id) not in own


async def test_an_oauth_client_is_set_inactive_before_it_is_deleted(demo: Any) -> None:
    async with emu_client(demo) as client:
        made = await api.oauth_clients.create_oauth_client(client, "Short-lived", [])
        assert await api.oauth_clients.delete_oauth_client(client, made.id) is True
        assert await api.oauth_clients.find_oauth_client(client, "Short-lived") is None
        assert await api.oauth_clients.delete_oauth_client(client, made.id) is False


async def test_queue_put_keeps_team_and_skillgroup_bindings(demo: Any, api_http) -> None:
    async with emu_client(demo) as client:
        home = await api.divisions.get_home_division(client)
        mine = await api.groups.create_group(client, "Queue Binders")
        other = await api.groups.create_group(client, "Queue Binders 2")
        queue = await api.queues.create_queue(client, "Bound Queue", home.id, member_group_ids=[mine.id])
        body = api_http.get(f"/api/v2/routing/queues/{queue.id}").json()
        body["memberGroups"].append({"id": "team-1", "type": "TEAM"})
        api_http.put(f"/api/v2/routing/queues/{queue.id}", json=body).raise_for_status()
        updated = await api.queues.update_queue(client, queue.id, member_group_ids=[other.id])
    assert sorted((mg.id, mg.type) for mg in updated.member_groups) == sorted(
        [(other.id, "GROUP"), ("team-1", "TEAM")]
    )


async def test_sso_put_sends_the_certificate_list_too(platform) -> None:
    fake, base = platform
    stored: dict[str, Any] = {"certificate": "OLD", "certificates": ["OLD"]}

    @fake.route("PUT", "/api/v2/identityproviders/generic")
    def put(request: httpx.Request) -> httpx.Response:
        stored.update(body_of(request))  # the platform keeps a list it is not sent
        return ok(dict(stored))

    async with client_for(base) as client:
        await api.identity_providers.put_identity_provider(
            client, "generic", {"issuerURI": "https://idp", "certificate": "NEW"}
        )
    assert stored["certificates"] == ["NEW"]


async def test_a_group_description_is_set_by_a_put_after_the_post(demo: Any) -> None:
    """The platform's group POST ignores `description`."""
    async with emu_client(demo) as client:
        made = await api.groups.create_group(client, "Described", description="Acme agents")
        read = await api.groups.get_group(client, made.id)
    assert made.description == read.description == "Acme agents"


async def test_the_auth_flow_serves_another_httpx_client_and_refreshes_once_on_401(platform) -> None:
    """Issue 10: auth is an httpx.Auth that other callers (SCIM bridge, analytics) reuse."""
    fake, base = platform

    @fake.route("GET", "/api/v2/analytics/ping")
    def ping(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] == "Bearer tok-1":  # revoked meanwhile
            return error(401, "bad.credentials", "Invalid login credentials.")
        return ok({"token": request.headers["Authorization"]})

    async with client_for(base) as client, httpx.AsyncClient(base_url=base, auth=client.auth()) as other:
        answer = await other.get("/api/v2/analytics/ping")
    assert answer.status_code == 200 and answer.json() == {"token": "Bearer tok-2"}
    assert fake.tokens_minted == 2
