"""CRUD behaviour of every API area, the admin surface, and --state persistence."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from genesys_emulator import RunningEmulator, running_emulator

ACME = "Acme Insurance"
GLOBEX = "Globex Telecom"
INTERVAL = "2026-10-01T00:00:00Z/2027-01-01T00:00:00Z"
IDP_TYPES = ("okta", "adfs", "onelogin", "ping", "gsuite", "salesforce", "generic")


# ---- helpers ------------------------------------------------------------------------------------
def new_division(api: httpx.Client, name: str) -> str:
    r = api.post("/api/v2/authorization/divisions", json={"name": name, "description": "test"})
    assert r.status_code == 200, r.text
    return r.json()["id"]


def new_user(api: httpx.Client, name: str, division: str | None = None) -> dict:
    email = name.lower().replace(" ", ".") + "@test.example"
    body = {"name": name, "email": email} | ({"divisionId": division} if division else {})
    r = api.post("/api/v2/users", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def new_group(api: httpx.Client, name: str, roles_enabled: bool = True) -> dict:
    r = api.post("/api/v2/groups", json={"name": name, "rolesEnabled": roles_enabled})
    assert r.status_code == 200, r.text
    return r.json()


def grants_of(api: httpx.Client, subject: str) -> set[tuple[str, str]]:
    r = api.get(f"/api/v2/authorization/subjects/{subject}")
    assert r.status_code == 200, r.text
    return {(g["role"]["id"], g["division"]["id"]) for g in r.json()["grants"]}


def default_grant(demo) -> tuple[str, str]:
    """What every new user holds from its creation on: the platform's default role in Home."""
    return (demo.roles["employee"], demo.divisions["Home"])


def bulk(api: httpx.Client, subject: str, action: str, grants: list[tuple[str, str]]) -> httpx.Response:
    body = {"grants": [{"roleId": r, "divisionId": d} for r, d in grants]}
    return api.post(f"/api/v2/authorization/subjects/{subject}/{action}", json=body)


def add_members(api: httpx.Client, group: str, ids: list[str]) -> httpx.Response:
    version = api.get(f"/api/v2/groups/{group}").json()["version"]
    return api.post(f"/api/v2/groups/{group}/members", json={"memberIds": ids, "version": version})


def queue_member_ids(api: httpx.Client, queue: str, **params: str) -> dict[str, str]:
    r = api.get(f"/api/v2/routing/queues/{queue}/members", params={"pageSize": 100, **params})
    assert r.status_code == 200, r.text
    return {m["id"]: m["memberBy"] for m in r.json()["entities"]}


def last_access(emu: RunningEmulator, subject: str) -> list[str]:
    return emu.timeline(subject)[-1]["access"]


# ---- divisions ----------------------------------------------------------------------------------
def test_divisions_list_paged_and_filtered_by_name(api: httpx.Client, name) -> None:
    made = [new_division(api, name("Paged")) for _ in range(3)]
    page = api.get("/api/v2/authorization/divisions", params={"pageSize": 2, "pageNumber": 1}).json()
    assert page["total"] == 6 and page["pageCount"] == 3 and len(page["entities"]) == 2
    assert page["nextUri"].endswith("pageSize=2&pageNumber=2") and "previousUri" not in page
    seen = []
    for n in (1, 2, 3):
        seen += [
            d["id"]
            for d in api.get(
                "/api/v2/authorization/divisions", params={"pageSize": 2, "pageNumber": n}
            ).json()["entities"]
        ]
    assert len(seen) == len(set(seen)) == 6 and set(made) <= set(seen)
    only = api.get("/api/v2/authorization/divisions", params={"name": ACME.upper()}).json()["entities"]
    assert [d["name"] for d in only] == [ACME]
    counted = api.get(
        f"/api/v2/authorization/divisions/{only[0]['id']}", params={"objectCount": "true"}
    ).json()
    assert counted["objectCounts"] == {"USER": 4, "QUEUE": 1}


def test_division_get_update_home_and_conflicts(api: httpx.Client, name, error_body) -> None:
    div = new_division(api, name("Rename me"))
    r = api.put(f"/api/v2/authorization/divisions/{div}", json={"name": "Renamed", "description": "new"})
    assert r.status_code == 200 and r.json()["name"] == "Renamed"
    got = api.get(f"/api/v2/authorization/divisions/{div}").json()
    assert (got["name"], got["description"], got["homeDivision"]) == ("Renamed", "new", False)
    error_body(api.put(f"/api/v2/authorization/divisions/{div}", json={"name": ACME}), 409)
    error_body(api.post("/api/v2/authorization/divisions", json={"name": "renamed"}), 409)
    home = api.get("/api/v2/authorization/divisions/home").json()
    assert home["name"] == "Home" and home["homeDivision"] is True
    error_body(api.delete(f"/api/v2/authorization/divisions/{home['id']}"), 400)


def test_division_limit_is_enforced(emu: RunningEmulator, api: httpx.Client, name, error_body) -> None:
    assert emu.emulator is not None
    assert api.get("/api/v2/authorization/divisions/limit").json() == emu.emulator.org.division_limit
    emu.emulator.org.division_limit = 4
    assert api.get("/api/v2/authorization/divisions/limit").json() == 4
    new_division(api, name("Fourth"))
    body = error_body(api.post("/api/v2/authorization/divisions", json={"name": name("Fifth")}), 400)
    assert body["code"] == "division.limit.exceeded"
    assert api.get("/api/v2/authorization/divisions").json()["total"] == 4


def test_division_delete_without_force_needs_an_empty_division(api: httpx.Client, demo, name, error_body):
    div = new_division(api, name("Occupied"))
    user = new_user(api, name("Occupant"), div)
    body = error_body(api.delete(f"/api/v2/authorization/divisions/{div}"), 400)
    assert body["code"] == "division.not.empty"
    assert api.get(f"/api/v2/users/{user['id']}").status_code == 200
    moved = api.post(
        f"/api/v2/authorization/divisions/{demo.divisions['Home']}/objects/USER", json=[user["id"]]
    )
    assert moved.status_code == 204
    assert api.delete(f"/api/v2/authorization/divisions/{div}").status_code == 204
    assert api.get(f"/api/v2/authorization/divisions/{div}").status_code == 404


def test_division_delete_with_force_orphans_its_objects_and_grants(
    emu: RunningEmulator, api: httpx.Client, demo, name, error_body
) -> None:
    """force=true is deprecated; the SDK says remaining objects "may become inaccessible": they are
    orphaned (kept, pointing at the gone division), not deleted, and grants stay behind too."""
    div = new_division(api, name("Doomed"))
    div_name = api.get(f"/api/v2/authorization/divisions/{div}").json()["name"]
    user = new_user(api, name("Doomed User"), div)
    agent = demo.roles["Agent"]
    assert bulk(api, user["id"], "bulkadd", [(agent, div)]).status_code == 204
    group = new_group(api, name("Doomed group"))
    assert bulk(api, group["id"], "bulkadd", [(agent, div)]).status_code == 204
    q = api.post(
        "/api/v2/routing/queues", json={"name": name("Doomed queue"), "division": {"id": div}}
    ).json()
    dana = demo.users["dana.ops@bpo.example"]["id"]
    assert api.post(f"/api/v2/routing/queues/{q['id']}/members", json=[{"id": dana}]).status_code == 204

    assert api.delete(f"/api/v2/authorization/divisions/{div}", params={"force": "true"}).status_code == 204
    assert api.get(f"/api/v2/authorization/divisions/{div}").status_code == 404
    orphan = api.get(f"/api/v2/users/{user['id']}")
    assert orphan.status_code == 200 and orphan.json()["division"]["id"] == div
    assert api.get(f"/api/v2/routing/queues/{q['id']}").json()["division"]["id"] == div
    # the grants naming the gone division survive, and still render its name
    held = api.get(f"/api/v2/authorization/subjects/{group['id']}").json()["grants"]
    assert [(g["role"]["id"], g["division"]["id"], g["division"]["name"]) for g in held] == [
        (agent, div, div_name)
    ]
    # bulkremove naming it fails whole; DELETE of the single grant works (the Terraform fallback)
    error_body(bulk(api, group["id"], "bulkremove", [(agent, div)]), 404)
    one = f"/api/v2/authorization/subjects/{group['id']}/divisions/{div}/roles/{agent}"
    assert api.delete(one).status_code == 204
    assert grants_of(api, group["id"]) == set()
    assert api.delete(one).status_code == 404  # gone: the Terraform provider ignores this 404
    # the email stays taken: the user was not deleted
    r = api.post("/api/v2/users", json={"name": "Again", "email": orphan.json()["email"]})
    error_body(r, 409)


def test_objects_move_between_divisions(
    emu: RunningEmulator, api: httpx.Client, demo, name, error_body
) -> None:
    acme, globex = demo.divisions[ACME], demo.divisions[GLOBEX]
    user = demo.users_in(ACME)[0]
    r = api.post(f"/api/v2/authorization/divisions/{globex}/objects/USER", json=[user["id"]])
    assert r.status_code == 204
    moved = api.get(f"/api/v2/users/{user['id']}").json()
    assert moved["division"]["id"] == globex and moved["version"] == user["version"] + 1
    event = emu.timeline(user["id"])[-1]
    assert event["event"] == "user.division"
    assert (event["fromDivisionId"], event["toDivisionId"]) == (acme, globex)

    queue = demo.queues[f"{ACME} Support"]
    r = api.post(f"/api/v2/authorization/divisions/{globex}/objects/queue", json=[queue])
    assert r.status_code == 204
    assert api.get(f"/api/v2/routing/queues/{queue}").json()["division"]["id"] == globex
    # the queue's group members changed access with it
    group_member = next(u for u in demo.users_in(ACME) if u["id"] != user["id"])
    assert emu.timeline(group_member["id"])[-1]["event"] == "queue.division"

    # all or nothing: one unknown id and nobody moves
    other = demo.users_in(ACME)[1]
    bad = [other["id"], "00000000-0000-4000-8000-000000000000"]
    error_body(api.post(f"/api/v2/authorization/divisions/{globex}/objects/USER", json=bad), 400)
    assert api.get(f"/api/v2/users/{other['id']}").json()["division"]["id"] == acme
    error_body(api.post(f"/api/v2/authorization/divisions/{globex}/objects/FLOW", json=[queue]), 400)
    error_body(api.post(f"/api/v2/authorization/divisions/{globex}/objects/USER", json=[5]), 400)


# ---- users --------------------------------------------------------------------------------------
def test_users_paging_sorting_and_filters(api: httpx.Client, demo, error_body) -> None:
    total = len(demo.users)
    pages = []
    for n in (1, 2, 3):
        page = api.get("/api/v2/users", params={"pageSize": 5, "pageNumber": n}).json()
        assert page["total"] == total and page["pageCount"] == 3 and page["pageNumber"] == n
        pages += page["entities"]
    assert len(pages) == total and len({u["id"] for u in pages}) == total
    names = [u["name"].lower() for u in pages]
    assert names == sorted(names)
    assert api.get("/api/v2/users", params={"pageSize": 5, "pageNumber": 4}).json()["entities"] == []
    error_body(api.get("/api/v2/users", params={"pageSize": 501}), 400)
    assert len(api.get("/api/v2/users", params={"pageSize": 500}).json()["entities"]) == total
    ids = [u["id"] for u in pages[:3]]
    by_id = api.get("/api/v2/users", params={"id": ",".join(ids)}).json()["entities"]
    assert sorted(u["id"] for u in by_id) == sorted(ids)
    by_id = api.get("/api/v2/users", params=[("id", ids[0]), ("id", ids[1])]).json()["entities"]
    assert sorted(u["id"] for u in by_id) == sorted(ids[:2])
    expanded = api.get(f"/api/v2/users/{demo.users_in(ACME)[0]['id']}", params={"expand": "groups"}).json()
    assert [g["id"] for g in expanded["groups"]] == [demo.groups[f"{ACME} Agents"]]
    found = api.post(
        "/api/v2/users/search",
        json={"query": [{"type": "EXACT", "fields": ["email"], "values": ["agent2@globex.bpo.example"]}]},
    ).json()
    assert found["total"] == 1 and found["results"][0]["name"] == "Globex Agent 2"


def test_inactive_users_cannot_be_paged_past_10000(emu: RunningEmulator, error_body) -> None:
    emu.reset("scale:users=10,tenants=2,inactive=10050")
    with httpx.Client(base_url=emu.base_url, headers={"Authorization": f"Bearer {emu.token()}"}) as api:
        active = api.get("/api/v2/users").json()
        assert active["total"] == 10
        last = api.get("/api/v2/users", params={"state": "inactive", "pageSize": 500, "pageNumber": 20})
        assert last.status_code == 200
        body = last.json()
        assert body["total"] == 10050 and len(body["entities"]) == 500
        assert all(u["state"] == "inactive" for u in body["entities"])
        past = api.get("/api/v2/users", params={"state": "inactive", "pageSize": 500, "pageNumber": 21})
        assert "10000" in error_body(past, 400)["message"]
        small = api.get("/api/v2/users", params={"state": "inactive", "pageSize": 100, "pageNumber": 101})
        error_body(small, 400)
        # active users are not capped that way
        assert api.get("/api/v2/users", params={"pageSize": 500, "pageNumber": 21}).status_code == 200


def test_user_patch_needs_the_current_version(api: httpx.Client, demo, name, error_body) -> None:
    user = new_user(api, name("Patchy"))
    assert user["version"] == 1 and user["division"]["id"] == demo.divisions["Home"]
    r = api.patch(f"/api/v2/users/{user['id']}", json={"version": 1, "title": "Lead", "department": "Ops"})
    assert r.status_code == 200
    assert (r.json()["title"], r.json()["department"], r.json()["version"]) == ("Lead", "Ops", 2)
    error_body(api.patch(f"/api/v2/users/{user['id']}", json={"version": 1, "title": "Late"}), 409)
    error_body(api.patch(f"/api/v2/users/{user['id']}", json={"title": "No version"}), 400)
    r = api.patch(f"/api/v2/users/{user['id']}", json={"version": 2, "state": "inactive"})
    assert r.status_code == 200 and r.json()["state"] == "inactive"
    assert user["id"] not in {u["id"] for u in api.get("/api/v2/users").json()["entities"]}
    inactive = api.get("/api/v2/users", params={"state": "inactive"}).json()["entities"]
    assert [u["id"] for u in inactive] == [user["id"]]
    taken = demo.users["dana.ops@bpo.example"]["email"]
    error_body(api.patch(f"/api/v2/users/{user['id']}", json={"version": 3, "email": taken}), 409)
    error_body(api.post("/api/v2/users", json={"name": "Dup", "email": taken.upper()}), 409)


def test_user_delete_drops_grants_and_memberships(
    emu: RunningEmulator, api: httpx.Client, demo, name
) -> None:
    user = new_user(api, name("Leaver"), demo.divisions[ACME])
    group = demo.groups[f"{ACME} Agents"]
    queue = demo.queues[f"{ACME} Support"]
    assert bulk(api, user["id"], "bulkadd", [(demo.roles["Agent"], demo.divisions[ACME])]).status_code == 204
    assert add_members(api, group, [user["id"]]).status_code == 202
    assert api.post(f"/api/v2/routing/queues/{queue}/members", json=[{"id": user["id"]}]).status_code == 204
    assert api.delete(f"/api/v2/users/{user['id']}").status_code == 200
    assert api.get(f"/api/v2/users/{user['id']}").status_code == 404
    assert api.delete(f"/api/v2/users/{user['id']}").status_code == 404
    assert api.get(f"/api/v2/authorization/subjects/{user['id']}").status_code == 404
    assert user["id"] not in [m["id"] for m in api.get(f"/api/v2/groups/{group}/members").json()["entities"]]
    assert user["id"] not in queue_member_ids(api, queue)
    deleted = api.get("/api/v2/users", params={"state": "deleted"}).json()["entities"]
    assert [u["id"] for u in deleted] == [user["id"]]
    events = [e["event"] for e in emu.timeline(user["id"])]
    assert events[-2:] == ["grant.remove", "user.state"] and emu.timeline(user["id"])[-1]["access"] == []


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


# ---- queues -------------------------------------------------------------------------------------
def test_queue_filters(api: httpx.Client, demo, name) -> None:
    acme, globex = demo.divisions[ACME], demo.divisions[GLOBEX]
    extra = name("Acme Claims")
    assert (
        api.post("/api/v2/routing/queues", json={"name": extra, "division": {"id": acme}}).status_code == 200
    )

    def names(**params) -> list[str]:
        return [q["name"] for q in api.get("/api/v2/routing/queues", params=params).json()["entities"]]

    assert names(name=f"{ACME} Support") == [f"{ACME} Support"]
    assert names(name="acme*") == sorted([extra, f"{ACME} Support"], key=str.lower)
    assert names(name="*Support") == [f"{ACME} Support", f"{GLOBEX} Support"]
    assert names(divisionId=acme) == sorted([extra, f"{ACME} Support"], key=str.lower)
    assert names(divisionId=globex) == [f"{GLOBEX} Support"]
    assert names(divisionId=[acme, globex]) == sorted(
        [extra, f"{ACME} Support", f"{GLOBEX} Support"], key=str.lower
    )
    assert names(name="Nope") == []
    q = api.get(f"/api/v2/routing/queues/{demo.queues[f'{ACME} Support']}").json()
    assert q["division"] == {"id": acme, "name": ACME, "selfUri": f"/api/v2/authorization/divisions/{acme}"}
    home_q = api.post("/api/v2/routing/queues", json={"name": name("Homeless")}).json()
    assert home_q["division"]["id"] == demo.divisions["Home"]


def test_queue_direct_members_cap_and_delete(api: httpx.Client, demo, name, error_body) -> None:
    queue = api.post("/api/v2/routing/queues", json={"name": name("Crowded")}).json()["id"]
    users = [u["id"] for u in demo.users.values()] + [
        new_user(api, name("Q member"))["id"] for _ in range(89)
    ]
    assert len(users) == 100
    path = f"/api/v2/routing/queues/{queue}/members"
    error_body(api.post(path, json=[{"id": u} for u in [*users, users[0]]]), 400)
    assert api.post(path, json=[{"id": u} for u in users]).status_code == 204
    listed = api.get(path, params={"pageSize": 100}).json()
    assert len(listed["entities"]) == 100 and all(m["memberBy"] == "user" for m in listed["entities"])
    # the SDK's QueueMemberEntityListing has no total, pageCount or lastUri: neither has the answer
    assert not {"total", "pageCount", "lastUri"} & set(listed)
    assert api.get(f"/api/v2/routing/queues/{queue}").json()["memberCount"] == 100
    assert api.post(f"{path}?delete=true", json=[{"id": u} for u in users[:60]]).status_code == 204
    assert set(queue_member_ids(api, queue)) == set(users[60:])
    assert api.delete(f"/api/v2/routing/queues/{queue}").status_code == 204
    assert api.get(f"/api/v2/routing/queues/{queue}").status_code == 404


def test_member_groups_make_group_members_queue_members(
    emu: RunningEmulator, api: httpx.Client, demo, name
) -> None:
    group = new_group(api, name("Queue group"))
    a, b = new_user(api, name("Via group")), new_user(api, name("Direct"))
    assert add_members(api, group["id"], [a["id"]]).status_code == 202
    qname = name("Bound queue")
    queue = api.post("/api/v2/routing/queues", json={"name": qname}).json()
    qid = queue["id"]
    assert api.post(f"/api/v2/routing/queues/{qid}/members", json=[{"id": b["id"]}]).status_code == 204
    put = {"name": qname, "memberGroups": [{"id": group["id"], "type": "GROUP"}]}
    r = api.put(f"/api/v2/routing/queues/{qid}", json=put)
    assert r.status_code == 200
    assert [(g["id"], g["type"], g["memberCount"]) for g in r.json()["memberGroups"]] == [
        (group["id"], "GROUP", 1)
    ]
    assert queue_member_ids(api, qid) == {a["id"]: "group", b["id"]: "user"}
    assert queue_member_ids(api, qid, memberBy="group") == {a["id"]: "group"}
    assert emu.timeline(a["id"])[-1]["event"] == "queue.member.add"
    # a later group member is a queue member too
    c = new_user(api, name("Late joiner"))
    assert add_members(api, group["id"], [c["id"]]).status_code == 202
    assert set(queue_member_ids(api, qid)) == {a["id"], b["id"], c["id"]}
    assert api.get(f"/api/v2/routing/queues/{qid}").json()["memberCount"] == 3
    # unbinding the group takes its members off the queue
    assert (
        api.put(f"/api/v2/routing/queues/{qid}", json={"name": qname, "memberGroups": []}).status_code == 200
    )
    assert queue_member_ids(api, qid) == {b["id"]: "user"}
    assert emu.timeline(a["id"])[-1]["event"] == "queue.member.remove"
    # deleting a bound group unbinds it
    assert api.put(f"/api/v2/routing/queues/{qid}", json=put).status_code == 200
    assert api.delete(f"/api/v2/groups/{group['id']}").status_code == 204
    assert api.get(f"/api/v2/routing/queues/{qid}").json()["memberGroups"] == []


# ---- OAuth clients ------------------------------------------------------------------------------
def test_oauth_client_secret_is_shown_once(emu: RunningEmulator, api: httpx.Client, demo, name) -> None:
    body = {
        "name": name("Once"),
        "authorizedGrantType": "CLIENT-CREDENTIALS",
        "roleDivisions": [{"roleId": demo.roles["Supervisor"], "divisionId": demo.divisions[ACME]}],
        "accessTokenValiditySeconds": 300,
    }
    created = api.post("/api/v2/oauth/clients", json=body).json()
    assert created["secret"] and created["roleDivisions"] == body["roleDivisions"]
    assert created["roleIds"] == [demo.roles["Supervisor"]]
    assert "secret" not in api.get(f"/api/v2/oauth/clients/{created['id']}").json()
    assert all(
        "secret" not in c and "secretHash" not in c
        for c in api.get("/api/v2/oauth/clients").json()["entities"]
    )
    token = httpx.post(
        f"{emu.base_url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(created["id"], created["secret"]),
    ).json()
    assert token["expires_in"] == 300
    rotated = api.post(f"/api/v2/oauth/clients/{created['id']}/secret").json()["secret"]
    assert rotated != created["secret"]
    old = httpx.post(
        f"{emu.base_url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(created["id"], created["secret"]),
    )
    assert old.status_code == 401
    assert emu.token(created["id"], rotated)


def test_oauth_tokens_carry_exactly_the_role_divisions(
    emu: RunningEmulator, api: httpx.Client, demo, client_with
) -> None:
    acme, globex = demo.divisions[ACME], demo.divisions[GLOBEX]
    sup = client_with([(demo.roles["Supervisor"], acme)])
    assert [q["division"]["id"] for q in sup.get("/api/v2/routing/queues").json()["entities"]] == [acme]
    # the directory is open on the platform: every division's people, to any token
    everyone = {u["division"]["id"] for u in demo.users.values()}
    assert {u["division"]["id"] for u in sup.get("/api/v2/users").json()["entities"]} == everyone
    emu.set_directory_restricted(True)
    assert {u["division"]["id"] for u in sup.get("/api/v2/users").json()["entities"]} == {acme}
    emu.set_directory_restricted(False)
    assert sup.get(f"/api/v2/routing/queues/{demo.queues[f'{GLOBEX} Support']}").status_code == 404
    # Supervisor holds routing:queueMember:manage but not directory:user:add
    acme_q = demo.queues[f"{ACME} Support"]
    dana = demo.users["dana.ops@bpo.example"]["id"]
    assert sup.post(f"/api/v2/routing/queues/{acme_q}/members", json=[{"id": dana}]).status_code == 204
    assert (
        sup.post(
            "/api/v2/users", json={"name": "N", "email": "n@acme.example", "divisionId": acme}
        ).status_code
        == 403
    )
    assert sup.get("/api/v2/oauth/clients").status_code == 403
    assert sup.get("/api/v2/authorization/roles").status_code == 403
    assert sup.put("/api/v2/identityproviders/okta", json={"issuerURI": "x"}).status_code == 403
    analytics = sup.post(
        "/api/v2/analytics/conversations/details/query",
        json={"interval": INTERVAL, "paging": {"pageSize": 100}},
    ).json()
    assert {c["divisionIds"][0] for c in analytics["conversations"]} == {acme}
    # a client and its tokens die together
    clients = api.get("/api/v2/oauth/clients").json()["entities"]
    doomed = next(
        c for c in clients if c["roleDivisions"] == [{"roleId": demo.roles["Supervisor"], "divisionId": acme}]
    )
    # an active client cannot be deleted: it is set inactive first (and its tokens stop working)
    refused = api.delete(f"/api/v2/oauth/clients/{doomed['id']}")
    assert refused.status_code == 400 and "inactive" in refused.json()["message"]
    assert sup.get("/api/v2/routing/queues").status_code == 200
    put = {"name": doomed["name"], "state": "inactive"}
    assert api.put(f"/api/v2/oauth/clients/{doomed['id']}", json=put).status_code == 200
    assert sup.get("/api/v2/routing/queues").status_code == 401
    assert api.delete(f"/api/v2/oauth/clients/{doomed['id']}").status_code == 204
    assert api.get(f"/api/v2/oauth/clients/{doomed['id']}").status_code == 404
    assert globex  # the other tenant never appeared above


def test_token_lifetime_and_expiry(emu: RunningEmulator, api: httpx.Client, name, error_body) -> None:
    for ttl in (299, 172_801, "300"):
        error_body(
            api.post("/api/v2/oauth/clients", json={"name": name("ttl"), "accessTokenValiditySeconds": ttl}),
            400,
        )
    rec = api.post(
        "/api/v2/oauth/clients", json={"name": name("Short"), "accessTokenValiditySeconds": 172_800}
    ).json()
    token = emu.token(rec["id"], rec["secret"])
    with httpx.Client(base_url=emu.base_url, headers={"Authorization": f"Bearer {token}"}) as c:
        assert c.get("/api/v2/authorization/divisions/home").status_code == 200
        assert emu.emulator is not None
        cid, _exp = emu.emulator.org.tokens[token]
        emu.emulator.org.tokens[token] = (cid, time.time() - 1)
        error_body(c.get("/api/v2/authorization/divisions/home"), 401)
    # an inactive client mints no token
    put = {"name": rec["name"], "state": "inactive"}
    assert api.put(f"/api/v2/oauth/clients/{rec['id']}", json=put).status_code == 200
    r = httpx.post(
        f"{emu.base_url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(rec["id"], rec["secret"]),
    )
    assert r.status_code == 400


# ---- identity providers -------------------------------------------------------------------------
@pytest.mark.parametrize("kind", IDP_TYPES)
def test_identity_provider_get_put_delete(api: httpx.Client, kind: str, error_body) -> None:
    path = f"/api/v2/identityproviders/{kind}"
    error_body(api.get(path), 404)
    body = {
        "name": f"{kind} SSO",
        "disabled": False,
        "issuerURI": f"https://{kind}.idp.example/issuer",
        "ssoTargetURI": f"https://{kind}.idp.example/sso",
        "certificate": "MIIDpDCCAoygAwIBAgIGAX",
        "relyingPartyIdentifier": "urn:genesys:tenantry",
        "nameIdentifierFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
    }
    saved = api.put(path, json=body)
    assert saved.status_code == 200
    got = api.get(path).json()
    assert got["id"] == saved.json()["id"] and got["selfUri"] == path
    for key, value in body.items():
        assert got[key] == value, key
    second = api.put(path, json=body | {"disabled": True}).json()
    assert second["id"] == got["id"] and second["disabled"] is True
    listed = api.get("/api/v2/identityproviders").json()["entities"]
    assert [p["id"] for p in listed] == [got["id"]]
    error_body(api.put(path, json={"certificates": "MIIC"}), 400)
    error_body(api.put(path, json={"disabled": "no"}), 400)
    assert api.delete(path).status_code == 200
    error_body(api.get(path), 404)
    assert api.get("/api/v2/identityproviders").json()["entities"] == []


# ---- analytics ----------------------------------------------------------------------------------
def _query(api: httpx.Client, **body) -> dict:
    r = api.post("/api/v2/analytics/conversations/details/query", json={"interval": INTERVAL} | body)
    assert r.status_code == 200, r.text
    return r.json()


def _by_division(*ids: str, kind: str = "or") -> list[dict]:
    return [
        {
            "type": kind,
            "predicates": [{"type": "dimension", "dimension": "divisionId", "value": i} for i in ids],
        }
    ]


def test_analytics_division_predicates(api: httpx.Client, demo) -> None:
    acme, globex = demo.divisions[ACME], demo.divisions[GLOBEX]
    assert _query(api)["totalHits"] == 120
    one = _query(api, conversationFilters=_by_division(acme), paging={"pageSize": 100})
    assert one["totalHits"] == 40 and {c["divisionIds"][0] for c in one["conversations"]} == {acme}
    two = _query(api, conversationFilters=_by_division(acme, globex), paging={"pageSize": 100})
    assert two["totalHits"] == 80 and {c["divisionIds"][0] for c in two["conversations"]} == {acme, globex}
    assert _query(api, conversationFilters=_by_division(acme, globex, kind="and"))["totalHits"] == 0
    nested = [{"type": "and", "clauses": _by_division(acme, globex), "predicates": [
        {"dimension": "originatingDirection", "value": "inbound"}]}]  # fmt: skip
    inbound = _query(api, conversationFilters=nested, paging={"pageSize": 100})
    assert 0 < inbound["totalHits"] < 80
    assert all(c["originatingDirection"] == "inbound" for c in inbound["conversations"])


def test_analytics_interval_and_paging(api: httpx.Client) -> None:
    # the demo starts a conversation every 37 minutes from 2026-11-01T00:00Z
    narrow = _query(api, interval="2026-11-01T00:00:00Z/2026-11-01T06:10:00Z", paging={"pageSize": 100})
    assert narrow["totalHits"] == 10
    assert all(c["conversationStart"] < "2026-11-01T06:10" for c in narrow["conversations"])
    assert _query(api, interval="2025-01-01T00:00:00Z/2025-02-01T00:00:00Z") == {"totalHits": 0}
    pages = [_query(api, paging={"pageSize": 50, "pageNumber": n}) for n in (1, 2, 3, 4)]
    assert [len(p.get("conversations", [])) for p in pages] == [50, 50, 20, 0]
    assert all(p["totalHits"] == 120 for p in pages)
    ids = [c["conversationId"] for p in pages for c in p.get("conversations", [])]
    assert len(set(ids)) == 120
    starts = [c["conversationStart"] for p in pages for c in p.get("conversations", [])]
    assert starts == sorted(starts)
    desc = _query(api, order="desc", paging={"pageSize": 5})
    assert [c["conversationStart"] for c in desc["conversations"]] == sorted(starts, reverse=True)[:5]
    assert len(_query(api)["conversations"]) == 25  # default page size
    r = api.post(
        "/api/v2/analytics/conversations/details/query",
        json={"interval": "2026-12-01T00:00:00Z/2026-11-01T00:00:00Z"},
    )
    assert r.status_code == 400


# ---- admin surface ------------------------------------------------------------------------------
def test_admin_timeline_and_stats(emu: RunningEmulator, api: httpx.Client, demo, name) -> None:
    user = new_user(api, name("Watched"))
    acme = demo.divisions[ACME]
    start = emu.admin.get("/_emulator/timeline").json()["next"]
    assert bulk(api, user["id"], "bulkadd", [(demo.roles["Agent"], acme)]).status_code == 204
    assert add_members(api, demo.groups[f"{ACME} Agents"], [user["id"]]).status_code == 202
    assert bulk(api, user["id"], "bulkremove", [(demo.roles["Agent"], acme)]).status_code == 204
    rows = emu.admin.get("/_emulator/timeline", params={"since": start, "subjectId": user["id"]}).json()[
        "events"
    ]
    assert [r["event"] for r in rows] == ["grant.add", "group.member.add", "grant.remove"]
    assert all(r["subjectId"] == user["id"] and r["ts"] > 0 for r in rows)
    assert [r["seq"] for r in rows] == sorted(r["seq"] for r in rows)
    # access is by grant (and queue): Acme by the new grant, Home by the default role (employee)
    assert rows[0]["access"] == sorted([acme, demo.divisions["Home"]])
    # still in Acme through the group's grants after the direct grant went
    assert acme in rows[-1]["access"]
    everyone = emu.timeline()
    assert {r["subjectId"] for r in everyone} >= {user["id"]}

    emu.admin.delete("/_emulator/stats").raise_for_status()
    for _ in range(3):
        api.get(f"/api/v2/users/{user['id']}")
    api.get("/api/v2/users/00000000-0000-4000-8000-000000000000")
    stats = emu.stats()
    assert stats["calls"]["GET /api/v2/users/{userId}"] == {"200": 3, "404": 1}
    assert stats["calls"]["DELETE /_emulator/stats"] == {"200": 1}  # the admin surface counts too
    assert stats["total"] == 5 and stats["faults"] == {}

    summary = emu.summary()
    assert summary["divisions"] == sorted([ACME, GLOBEX, "Home"])
    assert summary["users"][user["email"]]["division"] == "Home"
    assert user["email"] in summary["groups"][f"{ACME} Agents"]["members"]
    assert summary["queues"][f"{ACME} Support"]["memberGroups"] == [f"{ACME} Agents"]


def test_admin_reset_to_another_seed_keeps_admin_credentials(emu: RunningEmulator) -> None:
    emu.reset("empty")
    with httpx.Client(base_url=emu.base_url, headers={"Authorization": f"Bearer {emu.token()}"}) as api:
        assert [d["name"] for d in api.get("/api/v2/authorization/divisions").json()["entities"]] == ["Home"]
        assert api.get("/api/v2/users").json()["total"] == 0
        roles = {r["name"] for r in api.get("/api/v2/authorization/roles").json()["entities"]}
        assert {
            "Master Admin",
            "employee",
            "Agent",
            "Supervisor",
            "Reporting Viewer",
            "User Administrator",
        } <= roles


# ---- --state --------------------------------------------------------------------------------------
def test_state_file_keeps_the_org_across_restarts(tmp_path: Path) -> None:
    state = tmp_path / "org.json"
    with (
        running_emulator(seed="demo", state_file=str(state)) as emu,
        httpx.Client(base_url=emu.base_url, headers={"Authorization": f"Bearer {emu.token()}"}) as api,
    ):
        div = new_division(api, "Persistent")
        user = new_user(api, "Kept User", div)
        roles = api.get("/api/v2/authorization/roles").json()["entities"]
        agent = next(r["id"] for r in roles if r["name"] == "Agent")
        assert bulk(api, user["id"], "bulkadd", [(agent, div)]).status_code == 204
        group = new_group(api, "Kept group")
        assert add_members(api, group["id"], [user["id"]]).status_code == 202
        okta = {"issuerURI": "https://okta.example"}
        assert api.put("/api/v2/identityproviders/okta", json=okta).status_code == 200
        first_secret = emu.client_secret
        before = emu.summary()
    assert state.is_file()
    with running_emulator(seed="empty", state_file=str(state)) as emu:
        assert emu.summary() == before  # the state file wins over the seed
        with httpx.Client(base_url=emu.base_url, headers={"Authorization": f"Bearer {emu.token()}"}) as api:
            got = api.get(f"/api/v2/users/{user['id']}").json()
            assert got["division"]["id"] == div and got["division"]["name"] == "Persistent"
            employee = next(r["id"] for r in roles if r["name"] == "employee")
            home = api.get("/api/v2/authorization/divisions/home").json()["id"]
            assert grants_of(api, user["id"]) == {(agent, div), (employee, home)}
            members = api.get(f"/api/v2/groups/{group['id']}/members").json()["entities"]
            assert [m["id"] for m in members] == [user["id"]]
            assert api.get("/api/v2/identityproviders/okta").json()["issuerURI"] == "https://okta.example"
        # the admin client got a fresh secret; the old one no longer mints tokens
        old = httpx.post(
            f"{emu.base_url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(emu.client_id, first_secret),
        )
        assert old.status_code == 401
