"""Permissions per division: a client granted only in Acme lists nothing of Globex, gets 404 for
Globex objects by id and 403 writing there. The directory (users, divisions) is open on the
platform by default; these tests run with the org setting that restricts it by division
(test_fidelity.py covers the open default)."""

from __future__ import annotations

import httpx
import pytest

ACME = "Acme Insurance"
GLOBEX = "Globex Telecom"

TENANT_ROLES = ("Supervisor", "User Administrator", "Reporting Viewer")
INTERVAL = "2026-10-15T00:00:00Z/2026-11-15T00:00:00Z"


@pytest.fixture(autouse=True)
def restricted_directory(emu) -> None:
    emu.set_directory_restricted(True)  # the next reset (every test's `emu`) restores the default


@pytest.fixture
def acme_client(demo, client_with) -> httpx.Client:
    return client_with([(demo.roles[r], demo.divisions[ACME]) for r in TENANT_ROLES])


def test_lists_hold_only_the_clients_division(acme_client: httpx.Client, demo) -> None:
    acme, globex = demo.divisions[ACME], demo.divisions[GLOBEX]

    users = acme_client.get("/api/v2/users", params={"pageSize": 500}).json()
    assert users["total"] == len(demo.users_in(ACME)) == 4
    assert {u["division"]["id"] for u in users["entities"]} == {acme}

    queues = acme_client.get("/api/v2/routing/queues").json()["entities"]
    assert [q["name"] for q in queues] == [f"{ACME} Support"]
    # asking for Globex by filter does not reveal it either
    r = acme_client.get("/api/v2/routing/queues", params={"divisionId": globex})
    assert r.status_code == 200 and r.json()["entities"] == []

    divisions = acme_client.get("/api/v2/authorization/divisions").json()["entities"]
    assert [d["id"] for d in divisions] == [acme]

    body = {"interval": INTERVAL, "paging": {"pageSize": 100, "pageNumber": 1}}
    convs = acme_client.post("/api/v2/analytics/conversations/details/query", json=body).json()
    assert convs["totalHits"] == 40
    assert all(c["divisionIds"] == [acme] for c in convs["conversations"])
    only_globex = dict(
        body,
        conversationFilters=[{"type": "and", "predicates": [{"dimension": "divisionId", "value": globex}]}],
    )
    r = acme_client.post("/api/v2/analytics/conversations/details/query", json=only_globex)
    assert r.status_code == 200 and r.json()["totalHits"] == 0 and "conversations" not in r.json()

    globex_ids = [u["id"] for u in demo.users_in(GLOBEX)]
    by_id = acme_client.get("/api/v2/users", params={"id": ",".join(globex_ids)}).json()
    assert by_id["entities"] == []
    search = acme_client.post(
        "/api/v2/users/search",
        json={"query": [{"type": "CONTAINS", "fields": ["name"], "value": "Agent"}], "pageSize": 100},
    ).json()
    assert search["total"] == 4 and {u["division"]["id"] for u in search["results"]} == {acme}


def test_objects_of_another_division_are_invisible_by_id(acme_client: httpx.Client, demo) -> None:
    globex_user = demo.users_in(GLOBEX)[0]
    acme_user = demo.users_in(ACME)[0]
    assert acme_client.get(f"/api/v2/users/{acme_user['id']}").status_code == 200
    r = acme_client.get(f"/api/v2/users/{globex_user['id']}")
    assert r.status_code == 404 and r.json()["code"] == "not.found"
    # 404, not 403, for writes on it too: it does not exist for this client
    patch = {"version": globex_user["version"], "title": "hacked"}
    assert acme_client.patch(f"/api/v2/users/{globex_user['id']}", json=patch).status_code == 404
    assert acme_client.delete(f"/api/v2/users/{globex_user['id']}").status_code == 404
    assert acme_client.get(f"/api/v2/authorization/subjects/{globex_user['id']}").status_code == 404
    globex_queue = demo.queues[f"{GLOBEX} Support"]
    assert acme_client.get(f"/api/v2/routing/queues/{globex_queue}").status_code == 404
    assert acme_client.get(f"/api/v2/routing/queues/{globex_queue}/members").status_code == 404
    assert acme_client.get(f"/api/v2/routing/queues/{demo.queues[f'{ACME} Support']}").status_code == 200


def test_writes_into_another_division_are_forbidden(
    acme_client: httpx.Client, api: httpx.Client, demo, error_body
) -> None:
    acme, globex = demo.divisions[ACME], demo.divisions[GLOBEX]

    r = acme_client.post(
        "/api/v2/users", json={"name": "Mole", "email": "mole@globex.example", "divisionId": globex}
    )
    body = error_body(r, 403)
    assert "directory:user:add" in body["message"]
    ok = acme_client.post(
        "/api/v2/users", json={"name": "Newbie", "email": "newbie@acme.example", "divisionId": acme}
    )
    assert ok.status_code == 200 and ok.json()["division"]["id"] == acme
    newbie = ok.json()["id"]

    agent = demo.roles["Agent"]
    r = acme_client.post(
        f"/api/v2/authorization/subjects/{newbie}/bulkadd",
        json={"grants": [{"roleId": agent, "divisionId": globex}]},
    )
    assert error_body(r, 403)["messageParams"] == {"permission": "authorization:grant:add"}
    # nor everywhere
    r = acme_client.post(
        f"/api/v2/authorization/subjects/{newbie}/bulkadd",
        json={"grants": [{"roleId": agent, "divisionId": "*"}]},
    )
    error_body(r, 403)
    subject = api.get(f"/api/v2/authorization/subjects/{newbie}").json()
    # only the platform's default role (employee in Home), which every new user holds
    assert [(g["role"]["name"], g["division"]["name"]) for g in subject["grants"]] == [("employee", "Home")]
    r = acme_client.post(
        f"/api/v2/authorization/subjects/{newbie}/bulkadd",
        json={"grants": [{"roleId": agent, "divisionId": acme}]},
    )
    assert r.status_code == 204

    # moving a user of Acme into Globex needs edit rights in Globex
    r = acme_client.post(f"/api/v2/authorization/divisions/{globex}/objects/USER", json=[newbie])
    error_body(r, 403)
    assert api.get(f"/api/v2/users/{newbie}").json()["division"]["id"] == acme

    # a queue in Globex: the Supervisor role may not add queues at all
    r = acme_client.post("/api/v2/routing/queues", json={"name": "Sneaky", "division": {"id": globex}})
    error_body(r, 403)
    assert api.get("/api/v2/routing/queues", params={"name": "Sneaky"}).json()["entities"] == []


def test_client_without_any_grant_sees_nothing(client_with, demo) -> None:
    nobody = client_with([])
    assert nobody.get("/api/v2/users").status_code == 403
    assert nobody.get("/api/v2/routing/queues").status_code == 403
    assert nobody.get("/api/v2/authorization/divisions").json()["entities"] == []
    r = nobody.post(
        "/api/v2/analytics/conversations/details/query",
        json={"interval": INTERVAL, "paging": {"pageSize": 10}},
    )
    assert r.status_code == 403


def test_tokens_carry_exactly_the_clients_role_divisions(client_with, demo, api: httpx.Client) -> None:
    """Reporting Viewer in Globex: queues and conversations of Globex, no users, no writes."""
    viewer = client_with([(demo.roles["Reporting Viewer"], demo.divisions[GLOBEX])])
    queues = viewer.get("/api/v2/routing/queues").json()["entities"]
    assert [q["name"] for q in queues] == [f"{GLOBEX} Support"]
    assert viewer.get("/api/v2/users").status_code == 403  # Reporting Viewer holds no directory:user:view
    r = viewer.post(
        "/api/v2/users", json={"name": "X", "email": "x@globex.example", "divisionId": demo.divisions[GLOBEX]}
    )
    assert r.status_code == 403
    convs = viewer.post(
        "/api/v2/analytics/conversations/details/query",
        json={"interval": INTERVAL, "paging": {"pageSize": 100, "pageNumber": 1}},
    ).json()
    assert convs["totalHits"] == 40
    assert {c["divisionIds"][0] for c in convs["conversations"]} == {demo.divisions[GLOBEX]}
