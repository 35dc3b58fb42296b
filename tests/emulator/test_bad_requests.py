"""Bad requests answer like the platform: malformed JSON → 400 with the Genesys error body, unknown
id → 404, stale version → 409, oversized batch → 400; never a 500 for bad input, and a refused
write changes nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from genesys_emulator import RunningEmulator

from .bad_request_cases import INTERVAL, MISSING, WRONG, Ctx, bodies, paths, set_field


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


def _request(api: httpx.Client, method: str, path: str, **kw: Any) -> httpx.Response:
    return api.request(method, path, **kw)


def test_malformed_json_answers_400_with_the_genesys_error_body(
    api: httpx.Client, ctx: Ctx, error_body
) -> None:
    for method, path, _body in bodies(api, ctx):
        for raw in (b"{not json", b'{"name": "x",}', b"\xff\xfe\x00", b"[1, 2"):
            r = api.request(method, path, content=raw, headers={"Content-Type": "application/json"})
            body = error_body(r, 400)
            assert body["contextId"] == r.headers["ININ-Correlation-Id"], (method, path)
        r = api.request(method, path, content=b"", headers={"Content-Type": "application/json"})
        error_body(r, 400)


def test_wrong_top_level_json_answers_400(api: httpx.Client, ctx: Ctx, error_body) -> None:
    for method, path, body in bodies(api, ctx):
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
    for method, path, make in bodies(api, ctx):
        for field in list(paths(make())):
            variants = [(set_field(make(), field, v), v) for v in WRONG]
            if isinstance(field[-1], str):
                variants.append((set_field(make(), field, None, drop=True), "<missing>"))
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
