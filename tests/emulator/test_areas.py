"""CRUD behaviour of divisions and users."""

from __future__ import annotations

import httpx

from genesys_emulator import RunningEmulator

from .area_helpers import (
    ACME,
    GLOBEX,
    add_members,
    bulk,
    grants_of,
    new_division,
    new_group,
    new_user,
    queue_member_ids,
)


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
