"""Eventual consistency: a role, division or group younger than the configured delay answers 404
when granted or referenced, and works once the delay has passed."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from genesys_emulator import RunningEmulator

DELAY = 0.5


@pytest.fixture
def delayed(emu: RunningEmulator) -> Iterator[float]:
    r = emu.admin.put("/_emulator/consistency", json={"delay": DELAY})
    assert r.status_code == 200 and r.json() == {"delay": DELAY}
    yield DELAY
    emu.admin.put("/_emulator/consistency", json={"delay": 0}).raise_for_status()


def _settle(since: float) -> None:
    time.sleep(max(0.0, DELAY + 0.05 - (time.monotonic() - since)))


def test_new_division_is_not_referable_until_the_delay_passed(
    delayed: float, api: httpx.Client, demo, name, error_body
) -> None:
    user = demo.users["dana.ops@bpo.example"]
    r = api.post("/api/v2/authorization/divisions", json={"name": name("Fresh")})
    born = time.monotonic()
    assert r.status_code == 200
    div = r.json()["id"]
    # it is there to read at once ...
    assert api.get(f"/api/v2/authorization/divisions/{div}").status_code == 200
    # ... but not to grant in, create users in, or move objects into
    grant = {"grants": [{"roleId": demo.roles["Agent"], "divisionId": div}]}
    error_body(api.post(f"/api/v2/authorization/subjects/{user['id']}/bulkadd", json=grant), 404)
    new_user = {"name": "Early Bird", "email": "early.bird@fresh.example", "divisionId": div}
    error_body(api.post("/api/v2/users", json=new_user), 404)
    error_body(api.post(f"/api/v2/authorization/divisions/{div}/objects/USER", json=[user["id"]]), 404)
    error_body(
        api.post("/api/v2/routing/queues", json={"name": name("Early queue"), "division": {"id": div}}), 404
    )
    # nothing of those half-done calls stuck
    assert (
        api.get(f"/api/v2/authorization/subjects/{user['id']}").json()["grants"][0]["division"]["name"]
        == "Home"
    )
    assert api.get("/api/v2/users", params={"pageSize": 500}).json()["total"] == len(demo.users)

    _settle(born)
    assert api.post(f"/api/v2/authorization/subjects/{user['id']}/bulkadd", json=grant).status_code == 204
    r = api.post("/api/v2/users", json=new_user)
    assert r.status_code == 200 and r.json()["division"]["id"] == div
    divs = {
        g["division"]["id"] for g in api.get(f"/api/v2/authorization/subjects/{user['id']}").json()["grants"]
    }
    assert div in divs


def test_new_role_is_not_grantable_until_the_delay_passed(
    delayed: float, api: httpx.Client, demo, name
) -> None:
    user = demo.users["lee.wfm@bpo.example"]
    r = api.post(
        "/api/v2/authorization/roles",
        json={
            "name": name("Fresh role"),
            "permissionPolicies": [{"domain": "routing", "entityName": "queue", "actionSet": ["view"]}],
        },
    )
    born = time.monotonic()
    assert r.status_code == 200
    role = r.json()["id"]
    assert api.get(f"/api/v2/authorization/roles/{role}").status_code == 200
    grant = {"grants": [{"roleId": role, "divisionId": demo.divisions["Home"]}]}
    r = api.post(f"/api/v2/authorization/subjects/{user['id']}/bulkadd", json=grant)
    assert r.status_code == 404 and role in r.json()["message"]
    _settle(born)
    r = api.post(f"/api/v2/authorization/subjects/{user['id']}/bulkadd", json=grant)
    assert r.status_code == 204
    roles = {
        g["role"]["id"] for g in api.get(f"/api/v2/authorization/subjects/{user['id']}").json()["grants"]
    }
    assert role in roles


def test_new_group_is_not_referable_until_the_delay_passed(
    delayed: float, api: httpx.Client, demo, name
) -> None:
    user = demo.users["sam.qa@bpo.example"]
    r = api.post("/api/v2/groups", json={"name": name("Fresh group"), "rolesEnabled": True})
    born = time.monotonic()
    assert r.status_code == 200
    group = r.json()
    assert api.get(f"/api/v2/groups/{group['id']}").status_code == 200
    members = {"memberIds": [user["id"]], "version": group["version"]}
    assert api.post(f"/api/v2/groups/{group['id']}/members", json=members).status_code == 404
    queue = {"name": name("Fresh queue"), "memberGroups": [{"id": group["id"], "type": "GROUP"}]}
    assert api.post("/api/v2/routing/queues", json=queue).status_code == 404
    existing = demo.queues["Acme Insurance Support"]
    put = {"name": "Acme Insurance Support", "memberGroups": [{"id": group["id"], "type": "GROUP"}]}
    assert api.put(f"/api/v2/routing/queues/{existing}", json=put).status_code == 404
    grant = {"grants": [{"roleId": demo.roles["Agent"], "divisionId": demo.divisions["Home"]}]}
    assert api.post(f"/api/v2/authorization/subjects/{group['id']}/bulkadd", json=grant).status_code == 404
    # the failed PUT left the queue as it was
    bound = api.get(f"/api/v2/routing/queues/{existing}").json()["memberGroups"]
    assert [g["id"] for g in bound] == [demo.groups["Acme Insurance Agents"]]

    _settle(born)
    assert api.post(f"/api/v2/groups/{group['id']}/members", json=members).status_code == 202
    r = api.post("/api/v2/routing/queues", json=queue)
    assert r.status_code == 200
    qid = r.json()["id"]
    assert [m["id"] for m in api.get(f"/api/v2/routing/queues/{qid}/members").json()["entities"]] == [
        user["id"]
    ]
    assert api.post(f"/api/v2/authorization/subjects/{group['id']}/bulkadd", json=grant).status_code == 204


def test_without_a_delay_new_objects_are_referable_at_once(
    emu: RunningEmulator, api: httpx.Client, demo, name
):
    r = api.post("/api/v2/authorization/divisions", json={"name": name("Instant")})
    div = r.json()["id"]
    grant = {"grants": [{"roleId": demo.roles["Agent"], "divisionId": div}]}
    user = demo.users["dana.ops@bpo.example"]
    assert api.post(f"/api/v2/authorization/subjects/{user['id']}/bulkadd", json=grant).status_code == 204
