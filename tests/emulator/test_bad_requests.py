"""Bad requests answer like the platform: malformed JSON → 400 with the Genesys error body, unknown
id → 404, stale version → 409, oversized batch → 400; never a 500 for bad input, and a refused
write changes nothing."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from genesys_emulator import RunningEmulator

MISSING = "00000000-0000-4000-8000-000000000000"
WRONG = [None, 0, -1, 1.5, True, "", "zz", [], {}, [1], {"a": 1}]
INTERVAL = "2026-10-01T00:00:00Z/2027-01-01T00:00:00Z"


@dataclass
class Ctx:
    home: str
    division: str
    user: dict
    other_user: str
    group: dict
    queue: str
    role: str
    oauth_client: str


@pytest.fixture
def ctx(api: httpx.Client, demo, name) -> Ctx:
    div = api.post("/api/v2/authorization/divisions", json={"name": name("Bad input")}).json()["id"]
    role = api.post(
        "/api/v2/authorization/roles",
        json={
            "name": name("Bad input role"),
            "permissionPolicies": [{"domain": "routing", "entityName": "queue", "actionSet": ["view"]}],
        },
    ).json()["id"]
    user = demo.users["dana.ops@bpo.example"]
    # the role is granted, so its name shows in the org summary that proves refused writes changed nothing
    api.post(
        f"/api/v2/authorization/subjects/{user['id']}/bulkadd",
        json={"grants": [{"roleId": role, "divisionId": div}]},
    ).raise_for_status()
    group = api.post("/api/v2/groups", json={"name": name("Bad input group"), "rolesEnabled": True}).json()
    queue = api.post(
        "/api/v2/routing/queues", json={"name": name("Bad input queue"), "division": {"id": div}}
    )
    client = api.post(
        "/api/v2/oauth/clients",
        json={"name": name("Bad input client"), "roleDivisions": [{"roleId": role, "divisionId": div}]},
    )
    api.put("/api/v2/identityproviders/generic", json={"issuerURI": "https://idp.example"}).raise_for_status()
    return Ctx(
        home=demo.divisions["Home"],
        division=div,
        user=user,
        other_user=demo.users["lee.wfm@bpo.example"]["id"],
        group=group,
        queue=queue.json()["id"],
        role=role,
        oauth_client=client.json()["id"],
    )


_n = itertools.count()


def _bodies(api: httpx.Client, c: Ctx) -> list[tuple[str, str, Callable[[], Any]]]:
    """(method, path, valid body) for every write the emulator serves; bodies are built fresh per
    request so versions and unique names stay current."""

    def user_version() -> int:
        return api.get(f"/api/v2/users/{c.user['id']}").json()["version"]

    def group_version() -> int:
        return api.get(f"/api/v2/groups/{c.group['id']}").json()["version"]

    queue_divisions = itertools.cycle([c.home, c.division])
    grants = lambda: {"grants": [{"roleId": c.role, "divisionId": c.division}]}  # noqa: E731
    subj = f"/api/v2/authorization/subjects/{c.user['id']}"
    return [
        ("POST", "/api/v2/authorization/divisions", lambda: {"name": f"Fuzz {next(_n)}", "description": "d"}),
        (
            "PUT",
            f"/api/v2/authorization/divisions/{c.division}",
            lambda: {"name": f"Fuzzed {next(_n)}", "description": "d"},
        ),
        ("POST", f"/api/v2/authorization/divisions/{c.division}/objects/USER", lambda: [c.other_user]),
        (
            "POST",
            "/api/v2/authorization/roles",
            lambda: {
                "name": f"Fuzz role {next(_n)}",
                "description": "d",
                "permissionPolicies": [{"domain": "routing", "entityName": "queue", "actionSet": ["view"]}],
            },
        ),
        (
            "PUT",
            f"/api/v2/authorization/roles/{c.role}",
            lambda: {
                "name": f"Fuzzed role {next(_n)}",
                "description": "d",
                "permissionPolicies": [{"domain": "routing", "entityName": "queue", "actionSet": ["view"]}],
            },
        ),
        ("POST", f"{subj}/bulkadd?subjectType=PC_USER", grants),
        ("POST", f"{subj}/bulkremove", grants),
        ("POST", f"{subj}/bulkreplace", lambda: {"grants": [{"roleId": c.role, "divisionId": c.home}]}),
        (
            "POST",
            "/api/v2/users",
            lambda: {
                "name": "Fuzz User",
                "email": f"fuzz{next(_n)}@bpo.example",
                "divisionId": c.home,
                "title": "t",
                "department": "d",
                "password": "long enough secret",
                "state": "active",
            },
        ),
        (
            "PATCH",
            f"/api/v2/users/{c.user['id']}",
            lambda: {
                "version": user_version(),
                "name": f"Dana Ops {next(_n)}",
                "title": "Operations Director",
                "department": "ops",
                "state": "active",
                "email": "dana.ops@bpo.example",
                "manager": {"id": c.other_user},
            },
        ),
        (
            "POST",
            "/api/v2/users/search",
            lambda: {
                "query": [
                    {"type": "CONTAINS", "fields": ["name", "email"], "value": "agent", "values": ["agent"]}
                ],
                "pageSize": 10,
                "pageNumber": 1,
            },
        ),
        (
            "POST",
            "/api/v2/groups",
            lambda: {
                "name": f"Fuzz group {next(_n)}",
                "description": "d",
                "type": "official",
                "visibility": "public",
                "rolesEnabled": True,
            },
        ),
        (
            "PUT",
            f"/api/v2/groups/{c.group['id']}",
            lambda: {
                "name": f"Fuzzed group {next(_n)}",
                "description": "d",
                "type": "official",
                "visibility": "public",
                "rolesEnabled": True,
                "version": group_version(),
            },
        ),
        (
            "POST",
            f"/api/v2/groups/{c.group['id']}/members",
            lambda: {"memberIds": [c.other_user], "version": group_version()},
        ),
        (
            "POST",
            "/api/v2/routing/queues",
            lambda: {
                "name": f"Fuzz queue {next(_n)}",
                "description": "d",
                "division": {"id": c.division},
                "memberGroups": [{"id": c.group["id"], "type": "GROUP"}],
            },
        ),
        (
            "PUT",
            f"/api/v2/routing/queues/{c.queue}",
            lambda: {
                "name": f"Fuzzed queue {next(_n)}",
                "description": "d",
                "division": {"id": next(queue_divisions)},  # a move on every call
                "memberGroups": [{"id": c.group["id"], "type": "GROUP"}],
            },
        ),
        ("POST", f"/api/v2/routing/queues/{c.queue}/members", lambda: [{"id": c.other_user}]),
        ("POST", f"/api/v2/routing/queues/{c.queue}/members?delete=true", lambda: [{"id": c.other_user}]),
        (
            "POST",
            "/api/v2/oauth/clients",
            lambda: {
                "name": f"Fuzz client {next(_n)}",
                "description": "d",
                "authorizedGrantType": "CLIENT-CREDENTIALS",
                "accessTokenValiditySeconds": 3600,
                "roleDivisions": [{"roleId": c.role, "divisionId": c.division}],
            },
        ),
        (
            "PUT",
            f"/api/v2/oauth/clients/{c.oauth_client}",
            lambda: {
                "name": f"Fuzzed client {next(_n)}",
                "description": "d",
                "state": "active",
                "accessTokenValiditySeconds": 3600,
                "roleDivisions": [{"roleId": c.role, "divisionId": c.division}],
            },
        ),
        (
            "PUT",
            "/api/v2/identityproviders/generic",
            lambda: {
                "name": f"SSO {next(_n)}",
                "disabled": False,
                "issuerURI": "https://idp.example",
                "ssoTargetURI": "https://idp.example/sso",
                "relyingPartyIdentifier": "urn:x",
                "certificate": "MIIC",
                "certificates": ["MIIC"],
                "nameIdentifierFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
                "signAuthnRequests": False,
            },
        ),
        (
            "POST",
            "/api/v2/analytics/conversations/details/query",
            lambda: {
                "interval": INTERVAL,
                "order": "asc",
                "conversationFilters": [
                    {
                        "type": "and",
                        "predicates": [
                            {
                                "type": "dimension",
                                "dimension": "divisionId",
                                "operator": "matches",
                                "value": c.home,
                            }
                        ],
                        "clauses": [
                            {
                                "type": "or",
                                "predicates": [{"dimension": "originatingDirection", "value": "inbound"}],
                            }
                        ],
                    }
                ],
                "paging": {"pageSize": 10, "pageNumber": 1},
            },
        ),
    ]


def _paths(obj: Any, prefix: tuple = ()) -> Iterator[tuple]:
    """Every field of a JSON body, containers included; lists by their first element."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield (*prefix, k)
            yield from _paths(v, (*prefix, k))
    elif isinstance(obj, list) and obj:
        yield (*prefix, 0)
        yield from _paths(obj[0], (*prefix, 0))


def _set(body: Any, path: tuple, value: Any, *, drop: bool = False) -> Any:
    out = copy.deepcopy(body)
    node = out
    for key in path[:-1]:
        node = node[key]
    if drop:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


def _request(api: httpx.Client, method: str, path: str, **kw: Any) -> httpx.Response:
    return api.request(method, path, **kw)


def test_malformed_json_answers_400_with_the_genesys_error_body(
    api: httpx.Client, ctx: Ctx, error_body
) -> None:
    for method, path, _body in _bodies(api, ctx):
        for raw in (b"{not json", b'{"name": "x",}', b"\xff\xfe\x00", b"[1, 2"):
            r = api.request(method, path, content=raw, headers={"Content-Type": "application/json"})
            body = error_body(r, 400)
            assert body["contextId"] == r.headers["ININ-Correlation-Id"], (method, path)
        r = api.request(method, path, content=b"", headers={"Content-Type": "application/json"})
        error_body(r, 400)


def test_wrong_top_level_json_answers_400(api: httpx.Client, ctx: Ctx, error_body) -> None:
    for method, path, body in _bodies(api, ctx):
        want_list = isinstance(body(), list)
        for value in (None, 5, "text", True, {} if want_list else [], [1] if not want_list else {"a": 1}):
            r = api.request(method, path, json=value)
            assert r.status_code < 500, (method, path, value, r.text)
            if value is not None and not isinstance(value, dict | list):
                error_body(r, 400)


def test_fuzzed_fields_never_answer_500_and_refused_writes_change_nothing(
    emu: RunningEmulator, api: httpx.Client, ctx: Ctx
) -> None:
    def snapshot() -> dict:
        return emu.summary()

    before = snapshot()
    refused = accepted = 0
    for method, path, make in _bodies(api, ctx):
        for field in list(_paths(make())):
            variants = [(_set(make(), field, v), v) for v in WRONG]
            if isinstance(field[-1], str):
                variants.append((_set(make(), field, None, drop=True), "<missing>"))
            for body, value in variants:
                r = api.request(method, path, json=body)
                assert r.status_code < 500, (method, path, field, value, r.text)
                if r.status_code >= 400:
                    refused += 1
                    assert "code" in r.json() and r.json()["status"] == r.status_code
                    after = snapshot()
                    assert after == before, (method, path, field, value, r.status_code)
                else:
                    accepted += 1
                    before = snapshot()
    assert refused > 500 and accepted > 50
    # whatever was accepted still reads back and lists without error
    for p in (
        "/api/v2/authorization/divisions",
        "/api/v2/authorization/roles",
        "/api/v2/users",
        "/api/v2/groups",
        "/api/v2/routing/queues",
        "/api/v2/oauth/clients",
        "/api/v2/identityproviders",
    ):
        r = api.get(p, params={"pageSize": 500})
        assert r.status_code == 200, (p, r.text)
        for e in r.json()["entities"]:
            if p != "/api/v2/identityproviders":
                assert api.get(f"{p}/{e['id']}").status_code == 200, (p, e)
    assert api.get(f"/api/v2/routing/queues/{ctx.queue}/members").status_code == 200
    assert api.get(f"/api/v2/groups/{ctx.group['id']}/members").status_code == 200
    assert api.get("/api/v2/identityproviders/generic").status_code == 200
    r = api.post(
        "/api/v2/users/search",
        json={"query": [{"type": "CONTAINS", "fields": ["title", "department", "name"], "value": "1"}]},
    )
    assert r.status_code == 200
    calls = emu.stats()["calls"]
    assert not [k for k, v in calls.items() if "500" in v]


@pytest.mark.parametrize(
    "params",
    [
        {"pageSize": "abc"},
        {"pageSize": 0},
        {"pageSize": 501},
        {"pageNumber": 0},
        {"pageNumber": "-3"},
        {"pageNumber": "1.5"},
        {"state": "sleeping"},
        {"sortOrder": 5, "expand": "nonsense", "id": ",,,"},
    ],
)
def test_bad_query_parameters_answer_4xx(api: httpx.Client, params: dict) -> None:
    for path in (
        "/api/v2/users",
        "/api/v2/groups",
        "/api/v2/routing/queues",
        "/api/v2/authorization/divisions",
        "/api/v2/authorization/roles",
        "/api/v2/oauth/clients",
    ):
        r = api.get(path, params=params)
        assert r.status_code < 500, (path, params, r.text)
        if "pageSize" in params or "pageNumber" in params:
            assert r.status_code == 400, (path, params)


def test_bad_search_q64_answers_400(api: httpx.Client) -> None:
    for q64 in ("!!!", "bm90IGpzb24=", "WzEsMl0=", "/w==", ""):
        r = api.get("/api/v2/users/search", params={"q64": q64})
        assert r.status_code == 400, (q64, r.text)


def test_unknown_ids_answer_404(api: httpx.Client, ctx: Ctx, error_body) -> None:
    cases = [
        ("GET", f"/api/v2/users/{MISSING}", None),
        ("PATCH", f"/api/v2/users/{MISSING}", {"version": 1, "name": "x"}),
        ("DELETE", f"/api/v2/users/{MISSING}", None),
        ("GET", f"/api/v2/authorization/divisions/{MISSING}", None),
        ("PUT", f"/api/v2/authorization/divisions/{MISSING}", {"name": "x"}),
        ("DELETE", f"/api/v2/authorization/divisions/{MISSING}", None),
        ("POST", f"/api/v2/authorization/divisions/{MISSING}/objects/USER", [ctx.other_user]),
        ("GET", f"/api/v2/authorization/roles/{MISSING}", None),
        ("PUT", f"/api/v2/authorization/roles/{MISSING}", {"name": "x"}),
        ("DELETE", f"/api/v2/authorization/roles/{MISSING}", None),
        ("GET", f"/api/v2/authorization/roles/{MISSING}/subjectgrants", None),
        ("GET", f"/api/v2/authorization/subjects/{MISSING}", None),
        ("POST", f"/api/v2/authorization/subjects/{MISSING}/bulkadd", {"grants": []}),
        (
            "POST",
            f"/api/v2/authorization/subjects/{ctx.user['id']}/bulkadd?subjectType=PC_GROUP",
            {"grants": []},
        ),
        (
            "POST",
            f"/api/v2/authorization/subjects/{ctx.user['id']}/bulkadd",
            {"grants": [{"roleId": MISSING, "divisionId": ctx.home}]},
        ),
        (
            "POST",
            f"/api/v2/authorization/subjects/{ctx.user['id']}/bulkadd",
            {"grants": [{"roleId": ctx.role, "divisionId": MISSING}]},
        ),
        ("GET", f"/api/v2/groups/{MISSING}", None),
        ("PUT", f"/api/v2/groups/{MISSING}", {"name": "x", "version": 1}),
        ("DELETE", f"/api/v2/groups/{MISSING}", None),
        ("GET", f"/api/v2/groups/{MISSING}/members", None),
        ("POST", f"/api/v2/groups/{MISSING}/members", {"memberIds": [ctx.other_user], "version": 1}),
        ("POST", f"/api/v2/groups/{ctx.group['id']}/members", {"memberIds": [MISSING], "version": 1}),
        ("GET", f"/api/v2/routing/queues/{MISSING}", None),
        ("PUT", f"/api/v2/routing/queues/{MISSING}", {"name": "x"}),
        ("DELETE", f"/api/v2/routing/queues/{MISSING}", None),
        ("GET", f"/api/v2/routing/queues/{MISSING}/members", None),
        ("POST", f"/api/v2/routing/queues/{MISSING}/members", [{"id": ctx.other_user}]),
        ("POST", f"/api/v2/routing/queues/{ctx.queue}/members", [{"id": MISSING}]),
        ("POST", "/api/v2/routing/queues", {"name": "x", "memberGroups": [{"id": MISSING}]}),
        ("POST", "/api/v2/routing/queues", {"name": "x", "division": {"id": MISSING}}),
        ("POST", "/api/v2/users", {"name": "x", "email": "x@bpo.example", "divisionId": MISSING}),
        ("GET", f"/api/v2/oauth/clients/{MISSING}", None),
        ("PUT", f"/api/v2/oauth/clients/{MISSING}", {"name": "x"}),
        ("DELETE", f"/api/v2/oauth/clients/{MISSING}", None),
        ("GET", "/api/v2/identityproviders/nosuchtype", None),
        ("PUT", "/api/v2/identityproviders/nosuchtype", {"name": "x"}),
        ("GET", "/api/v2/identityproviders/okta", None),
        ("DELETE", "/api/v2/identityproviders/okta", None),
        ("GET", "/api/v2/no/such/endpoint", None),
    ]
    for method, path, body in cases:
        r = api.request(method, path, json=body) if body is not None else api.request(method, path)
        error_body(r, 404)


def test_stale_version_answers_409(api: httpx.Client, ctx: Ctx, error_body) -> None:
    uid = ctx.user["id"]
    v = api.get(f"/api/v2/users/{uid}").json()["version"]
    assert api.patch(f"/api/v2/users/{uid}", json={"version": v, "title": "Director"}).status_code == 200
    body = error_body(api.patch(f"/api/v2/users/{uid}", json={"version": v, "title": "Stale"}), 409)
    assert str(v) in body["message"]
    assert api.get(f"/api/v2/users/{uid}").json()["title"] == "Director"

    gid = ctx.group["id"]
    g = api.get(f"/api/v2/groups/{gid}").json()
    put = {"name": g["name"], "version": g["version"], "rolesEnabled": True}
    assert api.put(f"/api/v2/groups/{gid}", json=put).status_code == 200
    error_body(api.put(f"/api/v2/groups/{gid}", json=put), 409)
    members = {"memberIds": [ctx.other_user], "version": g["version"]}
    error_body(api.post(f"/api/v2/groups/{gid}/members", json=members), 409)
    assert api.get(f"/api/v2/groups/{gid}").json()["memberCount"] == 0


def test_oversized_batches_answer_400(api: httpx.Client, ctx: Ctx, error_body) -> None:
    users = [u["id"] for u in api.get("/api/v2/users", params={"pageSize": 100}).json()["entities"]]
    gid = ctx.group["id"]
    version = api.get(f"/api/v2/groups/{gid}").json()["version"]
    too_many = [*users, *([MISSING] * (51 - len(users)))]
    body = error_body(
        api.post(f"/api/v2/groups/{gid}/members", json={"memberIds": too_many, "version": version}), 400
    )
    assert "50" in body["message"]
    error_body(api.delete(f"/api/v2/groups/{gid}/members", params={"ids": ",".join([MISSING] * 51)}), 400)
    r = api.post(f"/api/v2/routing/queues/{ctx.queue}/members", json=[{"id": MISSING}] * 101)
    assert "100" in error_body(r, 400)["message"]
    r = api.post(f"/api/v2/routing/queues/{ctx.queue}/members?delete=true", json=[{"id": MISSING}] * 101)
    error_body(r, 400)
    error_body(api.get("/api/v2/users", params={"pageSize": 501}), 400)
    error_body(api.post("/api/v2/users/search", json={"pageSize": 101}), 400)
    r = api.post(
        "/api/v2/analytics/conversations/details/query",
        json={"interval": INTERVAL, "paging": {"pageSize": 101}},
    )
    error_body(r, 400)
    # nothing of the refused batches stuck
    assert api.get(f"/api/v2/groups/{gid}").json()["memberCount"] == 0
    assert api.get(f"/api/v2/routing/queues/{ctx.queue}/members").json()["entities"] == []


def test_wrong_method_answers_405_with_the_error_body(api: httpx.Client, error_body) -> None:
    error_body(api.request("PATCH", "/api/v2/authorization/divisions"), 405)


def test_admin_surface_refuses_bad_input_without_500(emu: RunningEmulator) -> None:
    a = emu.admin
    cases = [
        ("POST", "/_emulator/reset", {"seed": "no-such-seed"}),
        ("POST", "/_emulator/reset", {"seed": 5}),
        ("POST", "/_emulator/reset", {"seed": "scale:users=x"}),
        ("POST", "/_emulator/reset", [1]),
        ("PUT", "/_emulator/faults", {"spec": "boom:0.5"}),
        ("PUT", "/_emulator/faults", {"spec": "500:2"}),
        ("PUT", "/_emulator/faults", {"spec": 5}),
        ("PUT", "/_emulator/faults", {"spec": "500:0.1", "seed": "abc"}),
        ("PUT", "/_emulator/faults", {"spec": "latency:fast"}),
        ("PUT", "/_emulator/ratelimit", {"rate": "lots"}),
        ("PUT", "/_emulator/ratelimit", {"rate": "0/1s"}),
        ("PUT", "/_emulator/ratelimit", {"limit": "x", "window": 1}),
        ("PUT", "/_emulator/token-ratelimit", {}),
        ("PUT", "/_emulator/consistency", {"delay": "soon"}),
        ("PUT", "/_emulator/consistency", {"delay": [1]}),
        ("PUT", "/_emulator/consistency", {"delay": -1}),
        ("GET", "/_emulator/timeline?since=abc", None),
    ]
    for method, path, body in cases:
        r = a.request(method, path, json=body) if body is not None else a.request(method, path)
        assert r.status_code == 400, (method, path, body, r.status_code, r.text)
        assert r.json()["status"] == 400
    # the emulator still serves its org, unchanged in its limits
    assert emu.summary()["divisions"] == ["Acme Insurance", "Globex Telecom", "Home"]
    assert emu.stats()["faults"] == {}
