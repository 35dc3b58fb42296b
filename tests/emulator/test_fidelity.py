"""What the platform really does where the emulator used to flatter its clients (issue 12, items
1-5: version conflicts, deleted users, state-only PATCH, orphaned grants, index lag); each test
drives the behaviour over HTTP, several through the official SDK, and fails on the old emulator."""

from __future__ import annotations

import time

import httpx
import PureCloudPlatformClientV2 as gc
import pytest
from PureCloudPlatformClientV2.rest import ApiException

from genesys_emulator import RunningEmulator

from .conftest import ACME
from .fidelity_helpers import MISMATCH, bulk, mk, new_group, new_user, search_ids, subject_rows, user_ids


# ---- 1. version conflicts in the 400 form --------------------------------------------------------
def test_stale_versions_answer_the_400_form_when_the_org_does(
    emu: RunningEmulator, api: httpx.Client, demo, name, error_body
) -> None:
    user = new_user(api, name("Versioned"))
    group = new_group(api, name("Versioned group"))
    stale_patch = {"version": user["version"] + 5, "title": "x"}
    assert "version" in error_body(api.patch(f"/api/v2/users/{user['id']}", json=stale_patch), 409)["message"]

    emu.set_quirks(staleVersion400=1.0, seed=3)
    body = error_body(api.patch(f"/api/v2/users/{user['id']}", json=stale_patch), 400)
    assert MISMATCH in body["message"]
    put = {"name": group["name"], "version": 99}
    assert MISMATCH in error_body(api.put(f"/api/v2/groups/{group['id']}", json=put), 400)["message"]
    members = {"memberIds": [user["id"]], "version": 99}
    r = api.post(f"/api/v2/groups/{group['id']}/members", json=members)
    assert MISMATCH in error_body(r, 400)["message"]
    # nothing changed, and the current version still works
    assert api.get(f"/api/v2/users/{user['id']}").json()["title"] == ""
    assert api.get(f"/api/v2/groups/{group['id']}").json()["memberCount"] == 0
    assert api.patch(
        f"/api/v2/users/{user['id']}", json={"version": user["version"], "title": "ok"}
    ).is_success


def test_a_seeded_share_of_stale_versions_is_the_400_form(
    emu: RunningEmulator, api: httpx.Client, name
) -> None:
    user = new_user(api, name("Half"))
    emu.set_quirks(staleVersion400=0.5, seed=11)
    first = [api.patch(f"/api/v2/users/{user['id']}", json={"version": 0}).status_code for _ in range(40)]
    assert set(first) == {400, 409} and 8 <= first.count(400) <= 32
    emu.set_quirks(staleVersion400=0.5, seed=11)
    again = [api.patch(f"/api/v2/users/{user['id']}", json={"version": 0}).status_code for _ in range(40)]
    assert again == first  # the same seed, the same answers


def test_version_fault_strikes_versioned_deletes_and_member_writes(
    emu: RunningEmulator, api: httpx.Client, demo, name
) -> None:
    user = new_user(api, name("Racing"))
    group = new_group(api, name("Racing group"))
    emu.set_faults("version:1.0", seed=1)
    for r in (
        api.delete(f"/api/v2/users/{user['id']}"),
        api.delete(f"/api/v2/groups/{group['id']}"),
        api.delete(f"/api/v2/groups/{group['id']}/members", params={"ids": user["id"]}),
        api.post(f"/api/v2/groups/{group['id']}/members", json={"memberIds": [user["id"]], "version": 1}),
    ):
        assert r.status_code == 400 and MISMATCH in r.json()["message"], r.text
    # an unversioned write never draws it
    assert api.post("/api/v2/routing/queues", json={"name": name("Unversioned")}).status_code == 200
    emu.set_faults(None)
    assert api.get(f"/api/v2/users/{user['id']}").json()["state"] == "active"  # no effect
    assert api.get(f"/api/v2/groups/{group['id']}").json()["memberCount"] == 0


def test_408_is_a_fault_kind(emu: RunningEmulator, api: httpx.Client) -> None:
    emu.set_faults("408:1.0", seed=2)
    r = api.get("/api/v2/routing/queues")
    assert r.status_code == 408 and r.json()["status"] == 408
    assert emu.stats()["faults"] == {"408": 1}


# ---- 2, 3. deleted users keep their email; state-only PATCH; restore -----------------------------
def test_deleted_user_keeps_its_email_and_is_restored_with_its_old_id(
    sdk: gc.ApiClient, api: httpx.Client, demo, name, error_body
) -> None:
    users = gc.UsersApi(sdk)
    acme = demo.divisions[ACME]
    made = users.post_users(
        mk(gc.CreateUser, name="Re Joiner", email="re.joiner@fidelity.example", division_id=acme)
    )
    assert bulk(api, made.id, "bulkadd", [(demo.roles["Agent"], acme)]).status_code == 204
    users.delete_user(made.id)

    again = {"name": "Re Joiner", "email": "RE.JOINER@fidelity.example", "divisionId": acme}
    assert error_body(api.post("/api/v2/users", json=again), 409)["code"] == "general.conflict"
    with pytest.raises(ApiException) as exc:
        users.get_user(made.id)
    assert exc.value.status == 404
    deleted = users.get_user(made.id, state="deleted")
    assert (
        deleted.id == made.id and deleted.state == "deleted" and deleted.email == "re.joiner@fidelity.example"
    )
    assert made.id in user_ids(api, state="deleted")
    assert search_ids(api, "email", "re.joiner@fidelity.example", "deleted") == {made.id}
    assert search_ids(api, "email", "re.joiner@fidelity.example") == set()

    # only a state PATCH restores; the other fields of that PATCH are ignored
    error_body(api.patch(f"/api/v2/users/{made.id}", json={"version": deleted.version, "title": "x"}), 400)
    back = users.patch_user(
        made.id, mk(gc.UpdateUser, state="active", version=deleted.version, title="Ignored", name="Ignored")
    )
    assert back.id == made.id and back.state == "active"
    assert (back.name, back.title) == ("Re Joiner", "")
    # it comes back with the default role only: its old grants went with the delete
    employee = (demo.roles["employee"], demo.divisions["Home"])
    assert subject_rows(api, made.id) == [(made.id, *employee)]
    assert users.get_user(made.id).state == "active"


def test_a_state_change_patch_changes_nothing_else(api: httpx.Client, name) -> None:
    user = new_user(api, name("Leaver"))
    r = api.patch(
        f"/api/v2/users/{user['id']}",
        json={"version": user["version"], "state": "inactive", "title": "Gone", "name": "Renamed"},
    )
    assert r.status_code == 200
    got = r.json()
    assert (got["state"], got["title"], got["name"], got["version"]) == (
        "inactive",
        "",
        user["name"],
        user["version"] + 1,
    )
    r = api.patch(f"/api/v2/users/{user['id']}", json={"version": got["version"], "title": "Gone"})
    assert r.json()["title"] == "Gone" and r.json()["state"] == "inactive"


# ---- 4. orphaned grants --------------------------------------------------------------------------
def test_a_deleted_role_leaves_its_grants_and_bulkremove_fails_whole(
    emu: RunningEmulator, api: httpx.Client, demo, name, error_body
) -> None:
    acme = demo.divisions[ACME]
    role = api.post(
        "/api/v2/authorization/roles",
        json={"name": name("Short-lived"), "permissionPolicies": [{"domain": "routing", "entityName": "queue",
                                                                   "actionSet": ["view"]}]},
    ).json()  # fmt: skip
    user = new_user(api, name("Orphan holder"))
    assert (
        bulk(api, user["id"], "bulkadd", [(role["id"], acme), (demo.roles["Agent"], acme)]).status_code == 204
    )
    assert api.delete(f"/api/v2/authorization/roles/{role['id']}").status_code == 204
    grants = api.get(f"/api/v2/authorization/subjects/{user['id']}").json()["grants"]
    orphan = next(g for g in grants if g["role"]["id"] == role["id"])
    assert orphan["role"]["name"] == role["name"]
    # bulkremove naming the gone role fails whole: the Agent grant stays too
    error_body(bulk(api, user["id"], "bulkremove", [(demo.roles["Agent"], acme), (role["id"], acme)]), 404)
    assert (user["id"], demo.roles["Agent"], acme) in subject_rows(api, user["id"])
    # one DELETE per grant works, the orphan included; a deleted role's grant carries no access
    for role_id in (demo.roles["Agent"], role["id"]):
        path = f"/api/v2/authorization/subjects/{user['id']}/divisions/{acme}/roles/{role_id}"
        assert api.delete(path).status_code == 204
        assert acme not in emu.timeline(user["id"])[-1]["access"]
    employee = (demo.roles["employee"], demo.divisions["Home"])
    assert subject_rows(api, user["id"]) == [(user["id"], *employee)]
    # the default role itself cannot be deleted
    error_body(api.delete(f"/api/v2/authorization/roles/{demo.roles['employee']}"), 400)


# ---- 5. index lag --------------------------------------------------------------------------------
def test_listings_and_search_lag_behind_a_create(emu: RunningEmulator, api: httpx.Client, demo, name) -> None:
    emu.set_quirks(indexLag="600ms", seed=1)
    user = new_user(api, name("Lagging"))
    group = new_group(api, name("Lagging group"))
    queue = api.post("/api/v2/routing/queues", json={"name": name("Lagging queue")}).json()
    client = api.post("/api/v2/oauth/clients", json={"name": name("Lagging client")}).json()

    # by id at once
    paths = [f"/api/v2/users/{user['id']}", f"/api/v2/groups/{group['id']}"]
    paths += [f"/api/v2/routing/queues/{queue['id']}", f"/api/v2/oauth/clients/{client['id']}"]
    for path in paths:
        assert api.get(path).status_code == 200, path
    assert user_ids(api, id=user["id"]) == {user["id"]}

    def listed() -> dict[str, bool]:
        return {
            "users": user["id"] in user_ids(api),
            "search": search_ids(api, "email", user["email"]) == {user["id"]},
            "groups": group["id"] in {g["id"] for g in api.get("/api/v2/groups").json()["entities"]},
            "queues": queue["id"] in {q["id"] for q in api.get("/api/v2/routing/queues").json()["entities"]},
            "clients": client["id"] in {c["id"] for c in api.get("/api/v2/oauth/clients").json()["entities"]},
        }

    assert not any(listed().values())
    time.sleep(0.7)
    assert all(listed().values())


def test_index_lag_is_off_by_default(api: httpx.Client, name) -> None:
    user = new_user(api, name("Instant"))
    assert user["id"] in user_ids(api)
    assert search_ids(api, "email", user["email"]) == {user["id"]}
