"""Grants (direct, inherited through groups, `*`), groups and queues."""

from __future__ import annotations

import httpx

from genesys_emulator import RunningEmulator

from .area_helpers import (
    ACME,
    GLOBEX,
    add_members,
    bulk,
    default_grant,
    grants_of,
    last_access,
    new_division,
    new_group,
    new_user,
)


# ---- grants -------------------------------------------------------------------------------------
def test_bulkadd_and_subject_shape(api: httpx.Client, demo, name) -> None:
    user = new_user(api, name("Granted"))
    acme, globex = demo.divisions[ACME], demo.divisions[GLOBEX]
    agent, sup = demo.roles["Agent"], demo.roles["Supervisor"]
    v0 = api.get(f"/api/v2/authorization/subjects/{user['id']}").json()["version"]
    assert bulk(api, user["id"], "bulkadd", [(agent, acme), (sup, globex)]).status_code == 204
    assert bulk(api, user["id"], "bulkadd", [(agent, acme)]).status_code == 204  # idempotent
    subject = api.get(f"/api/v2/authorization/subjects/{user['id']}").json()
    assert subject["id"] == user["id"] and subject["name"] == user["name"] and subject["version"] > v0
    assert {(g["role"]["name"], g["division"]["name"]) for g in subject["grants"]} == {
        ("Agent", ACME),
        ("Supervisor", GLOBEX),
        ("employee", "Home"),
    }
    assert all(g["subjectId"] == user["id"] and g["grantMadeAt"].endswith("Z") for g in subject["grants"])
    # one grant at a time, too
    home = demo.divisions["Home"]
    path = f"/api/v2/authorization/subjects/{user['id']}/divisions/{home}/roles/{agent}"
    assert api.post(path).status_code == 204
    assert (agent, home) in grants_of(api, user["id"])
    assert api.delete(path).status_code == 204
    assert (agent, home) not in grants_of(api, user["id"])
    grantees = api.get(f"/api/v2/authorization/roles/{sup}/subjectgrants").json()["entities"]
    assert {s["id"]: s["type"] for s in grantees}[user["id"]] == "PC_USER"


def test_bulkremove_is_all_or_nothing(api: httpx.Client, demo, name, error_body) -> None:
    user = new_user(api, name("Remover"))
    acme = demo.divisions[ACME]
    agent, sup = demo.roles["Agent"], demo.roles["Supervisor"]
    default = default_grant(demo)
    gone = new_division(api, name("Gone"))
    assert bulk(api, user["id"], "bulkadd", [(agent, acme), (sup, acme)]).status_code == 204
    assert api.delete(f"/api/v2/authorization/divisions/{gone}").status_code == 204
    error_body(bulk(api, user["id"], "bulkremove", [(agent, acme), (sup, gone)]), 404)
    assert grants_of(api, user["id"]) == {(agent, acme), (sup, acme), default}
    missing_role = "00000000-0000-4000-8000-000000000000"
    error_body(bulk(api, user["id"], "bulkremove", [(agent, acme), (missing_role, acme)]), 404)
    assert grants_of(api, user["id"]) == {(agent, acme), (sup, acme), default}
    assert bulk(api, user["id"], "bulkremove", [(agent, acme)]).status_code == 204
    assert grants_of(api, user["id"]) == {(sup, acme), default}


def test_bulkreplace_sets_exactly_the_given_grants(
    emu: RunningEmulator, api: httpx.Client, demo, name
) -> None:
    user = new_user(api, name("Replaced"))
    acme, globex, home = demo.divisions[ACME], demo.divisions[GLOBEX], demo.divisions["Home"]
    agent, sup, emp = demo.roles["Agent"], demo.roles["Supervisor"], demo.roles["employee"]
    assert bulk(api, user["id"], "bulkadd", [(agent, acme), (sup, acme)]).status_code == 204
    assert (
        bulk(api, user["id"], "bulkreplace", [(sup, acme), (emp, globex), (agent, globex)]).status_code == 204
    )
    # the default role (employee in Home) is not the caller's to replace: it stays
    assert grants_of(api, user["id"]) == {(sup, acme), (emp, globex), (agent, globex), (emp, home)}
    events = [(e["event"], e["roleId"], e["divisionId"]) for e in emu.timeline(user["id"])]
    assert events[-3:] == [
        ("grant.remove", agent, acme),
        ("grant.add", emp, globex),
        ("grant.add", agent, globex),
    ]
    assert bulk(api, user["id"], "bulkreplace", []).status_code == 204
    assert grants_of(api, user["id"]) == {(emp, home)}


def test_star_division_means_all_present_and_future(api: httpx.Client, demo, client_with, name) -> None:
    user = new_user(api, name("Everywhere"))
    assert bulk(api, user["id"], "bulkadd", [(demo.roles["Agent"], "*")]).status_code == 204
    grants = api.get(f"/api/v2/authorization/subjects/{user['id']}").json()["grants"]
    grant = next(g for g in grants if g["role"]["id"] == demo.roles["Agent"])
    assert grant["division"]["id"] == "*"
    supervisor = client_with([(demo.roles["Supervisor"], "*")])
    before = {q["name"] for q in supervisor.get("/api/v2/routing/queues").json()["entities"]}
    assert before == {f"{ACME} Support", f"{GLOBEX} Support"}
    later = new_division(api, name("Later"))
    qname = name("Later queue")
    assert (
        api.post("/api/v2/routing/queues", json={"name": qname, "division": {"id": later}}).status_code == 200
    )
    after = {q["name"] for q in supervisor.get("/api/v2/routing/queues").json()["entities"]}
    assert after == before | {qname}


def test_group_grants_are_inherited_by_members(
    emu: RunningEmulator, api: httpx.Client, demo, name, error_body
) -> None:
    home, globex = demo.divisions["Home"], demo.divisions[GLOBEX]
    dana = demo.users["dana.ops@bpo.example"]["id"]
    plain = new_group(api, name("No roles"), roles_enabled=False)
    assert api.get(f"/api/v2/groups/{plain['id']}").json()["rolesEnabled"] is False
    body = error_body(bulk(api, plain["id"], "bulkadd", [(demo.roles["Supervisor"], globex)]), 400)
    assert body["code"] == "group.roles.not.enabled"

    group = new_group(api, name("Globex supervisors"), roles_enabled=True)
    assert bulk(api, group["id"], "bulkadd", [(demo.roles["Supervisor"], globex)]).status_code == 204
    assert grants_of(api, group["id"]) == {(demo.roles["Supervisor"], globex)}
    assert add_members(api, group["id"], [dana]).status_code == 202
    event = emu.timeline(dana)[-1]
    assert event["event"] == "group.member.add" and event["groupId"] == group["id"]
    assert event["access"] == sorted([home, globex])
    # a grant added to the group later reaches the member too
    acme = demo.divisions[ACME]
    assert bulk(api, group["id"], "bulkadd", [(demo.roles["Agent"], acme)]).status_code == 204
    event = emu.timeline(dana)[-1]
    assert event["event"] == "grant.add" and event["viaGroup"] == group["id"]
    assert event["access"] == sorted([home, globex, acme])
    # roles switched off: the members lose what they held through the group
    g = api.get(f"/api/v2/groups/{group['id']}").json()
    put = {"name": g["name"], "version": g["version"], "rolesEnabled": False}
    assert api.put(f"/api/v2/groups/{group['id']}", json=put).status_code == 200
    assert last_access(emu, dana) == [home]
    r = api.delete(f"/api/v2/groups/{group['id']}/members", params={"ids": dana})
    assert r.status_code == 202
    assert emu.timeline(dana)[-1]["event"] == "group.member.remove"


# ---- groups -------------------------------------------------------------------------------------
def test_groups_version_members_and_batch_cap(api: httpx.Client, demo, name, error_body) -> None:
    group = new_group(api, name("Big group"), roles_enabled=False)
    assert group["version"] == 1 and group["memberCount"] == 0 and group["type"] == "official"
    users = [new_user(api, name("Member"))["id"] for _ in range(39)] + [u["id"] for u in demo.users.values()]
    assert len(users) == 50
    too_many = [*users, demo.users_in(ACME)[0]["id"]]
    error_body(
        api.post(f"/api/v2/groups/{group['id']}/members", json={"memberIds": too_many, "version": 1}), 400
    )
    r = api.post(f"/api/v2/groups/{group['id']}/members", json={"memberIds": users, "version": 1})
    assert r.status_code == 202
    g = api.get(f"/api/v2/groups/{group['id']}").json()
    assert g["memberCount"] == 50 and g["version"] == 2
    page1 = api.get(f"/api/v2/groups/{group['id']}/members", params={"pageSize": 30}).json()
    page2 = api.get(f"/api/v2/groups/{group['id']}/members", params={"pageSize": 30, "pageNumber": 2}).json()
    assert page1["total"] == 50 and len(page1["entities"]) == 30 and len(page2["entities"]) == 20
    assert {u["id"] for u in page1["entities"] + page2["entities"]} == set(users)
    put = {"name": name("Renamed group"), "version": 2, "rolesEnabled": True, "description": "d"}
    r = api.put(f"/api/v2/groups/{group['id']}", json=put)
    assert r.status_code == 200 and r.json()["version"] == 3 and r.json()["rolesEnabled"] is True
    error_body(api.put(f"/api/v2/groups/{group['id']}", json=put), 409)
    error_body(api.post("/api/v2/groups", json={"name": put["name"]}), 409)
    error_body(api.delete(f"/api/v2/groups/{group['id']}/members", params={"ids": ",".join(too_many)}), 400)
    r = api.delete(f"/api/v2/groups/{group['id']}/members", params={"ids": ",".join(users[:10])})
    assert r.status_code == 202
    assert api.get(f"/api/v2/groups/{group['id']}").json()["memberCount"] == 40
    assert api.delete(f"/api/v2/groups/{group['id']}").status_code == 204
    assert api.get(f"/api/v2/groups/{group['id']}").status_code == 404
