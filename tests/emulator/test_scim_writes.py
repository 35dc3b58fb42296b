"""SCIM writes: PATCH, PUT and DELETE with versions, and a tenant-scoped client that writes only
its tenant (the directory it reads is open unless the org restricts it)."""

from __future__ import annotations

import httpx
import pytest

from genesys_emulator import RunningEmulator

from .scim_helpers import (
    ACME,
    CORE_USER,
    ENT,
    GEN,
    GLOBEX,
    GROUPS,
    PATCH_OP,
    USERS,
    create,
    divisions,
    group_id,
    patch,
    scim_error,
    scim_user,
    user_names,
)


# ---- users: PATCH, PUT, DELETE, versions ---------------------------------------------------------
def test_patch_division_moves_the_user_and_records_it(emu: RunningEmulator, api: httpx.Client) -> None:
    divs = divisions(api)
    uid = scim_user(api, "agent2@acme.bpo.example")["id"]
    r = patch(api, uid, {"op": "replace", "path": f"{ENT}:division", "value": GLOBEX})
    assert r.status_code == 200, r.text
    assert r.json()[ENT]["division"] == GLOBEX
    assert api.get(f"/api/v2/users/{uid}").json()["division"]["id"] == divs[GLOBEX]
    moves = [e for e in emu.timeline(uid) if e["event"] == "user.division"]
    assert [(e["fromDivisionId"], e["toDivisionId"]) for e in moves] == [(divs[ACME], divs[GLOBEX])]

    unknown = patch(api, uid, {"op": "replace", "path": f"{ENT}:division", "value": "Nowhere Inc"})
    assert "Nowhere Inc" in scim_error(unknown, 400, "invalidValue")["detail"]
    assert api.get(f"/api/v2/users/{uid}").json()["division"]["id"] == divs[GLOBEX]


def test_patch_attributes_paths_and_value_objects(api: httpx.Client) -> None:
    uid = create(api, "patchme@bpo.example", title="Trainee")["id"]
    r = patch(
        api,
        uid,
        {"op": "replace", "path": "displayName", "value": "Patched Name"},
        {"op": "replace", "path": "title", "value": "Team Lead"},
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": "work.address@bpo.example"},
        {"op": "add", "path": "phoneNumbers", "value": [{"value": "+15555550100", "type": "mobile"}]},
        {"op": "add", "value": {ENT: {"department": "Claims", "employeeNumber": "E-7"}, "externalId": "X1"}},
        {
            "op": "add",
            "path": f"{GEN}:routingSkills",
            "value": [{"name": "Claims", "proficiency": 4}],
        },
    )
    assert r.status_code == 200, r.text
    u = r.json()
    assert u["displayName"] == "Patched Name" and u["title"] == "Team Lead"
    assert {"value": "work.address@bpo.example", "type": "work", "primary": False} in u["emails"]
    assert u["phoneNumbers"] == [{"value": "+15555550100", "type": "mobile", "primary": False}]
    assert u[ENT]["department"] == "Claims" and u[ENT]["employeeNumber"] == "E-7"
    assert u["externalId"] == "X1"
    assert u[GEN]["routingSkills"] == [{"name": "Claims", "proficiency": 4.0}]
    platform = api.get(f"/api/v2/users/{uid}").json()
    assert platform["name"] == "Patched Name" and platform["title"] == "Team Lead"
    assert platform["department"] == "Claims"

    removed = patch(
        api,
        uid,
        {"op": "remove", "path": "title"},
        {"op": "remove", "path": 'emails[type eq "work"]'},
        {"op": "remove", "path": 'phoneNumbers[type eq "mobile"].value'},
    )
    assert removed.status_code == 200, removed.text
    after = removed.json()
    assert "title" not in after and after["phoneNumbers"] == []
    assert [e["type"] for e in after["emails"]] == ["other"]
    assert api.get(f"/api/v2/users/{uid}").json()["title"] == ""


@pytest.mark.parametrize(
    ("ops", "status", "scim_type"),
    [
        ([{"op": "remove"}], 400, "noTarget"),
        ([{"op": "move", "path": "title", "value": "x"}], 400, "invalidSyntax"),
        ([{"op": "replace", "path": "id", "value": "other"}], 400, "mutability"),
        ([{"op": "add", "path": "groups", "value": [{"value": "g"}]}], 400, "mutability"),
        ([{"op": "replace", "path": "nosuch", "value": "x"}], 400, "invalidPath"),
        ([{"op": "replace", "path": 'emails[type eq "work"', "value": "x"}], 400, "invalidPath"),
        ([{"op": "replace", "path": "userName", "value": "not-an-email"}], 400, "invalidValue"),
        ([{"op": "replace", "path": "userName", "value": "agent1@acme.bpo.example"}], 409, "uniqueness"),
        ([{"op": "replace", "path": "roles", "value": [{"value": "No Such Role"}]}], 400, "invalidValue"),
        ([], 400, "invalidSyntax"),
    ],
)
def test_bad_patch_is_a_scim_error_and_changes_nothing(
    api: httpx.Client, ops: list[dict], status: int, scim_type: str
) -> None:
    before = scim_user(api, "dana.ops@bpo.example")
    r = patch(api, before["id"], *ops)
    scim_error(r, status, scim_type)
    assert scim_user(api, "dana.ops@bpo.example")["meta"]["version"] == before["meta"]["version"]


def test_etag_if_match_and_if_none_match(api: httpx.Client) -> None:
    uid = create(api, "versioned@bpo.example")["id"]
    got = api.get(f"{USERS}/{uid}")
    assert got.headers["etag"] == got.json()["meta"]["version"] == '"1"'
    assert api.get(f"{USERS}/{uid}", headers={"If-None-Match": '"1"'}).status_code == 304

    ok = patch(api, uid, {"op": "replace", "path": "title", "value": "One"}, **{"If-Match": '"1"'})
    assert ok.status_code == 200, ok.text
    assert ok.headers["etag"] == ok.json()["meta"]["version"] == '"2"'
    assert api.get(f"{USERS}/{uid}", headers={"If-None-Match": '"1"'}).status_code == 200

    # a stale version: the platform documents 400 with scimType invalidVers for PUT, PATCH and DELETE
    stale = patch(api, uid, {"op": "replace", "path": "title", "value": "Two"}, **{"If-Match": '"1"'})
    scim_error(stale, 400, "invalidVers")
    put = api.put(
        f"{USERS}/{uid}",
        json={"userName": "versioned@bpo.example", "displayName": "X"},
        headers={"If-Match": '"1"'},
    )
    scim_error(put, 400, "invalidVers")
    scim_error(api.delete(f"{USERS}/{uid}", headers={"If-Match": '"1"'}), 400, "invalidVers")
    now = api.get(f"{USERS}/{uid}").json()
    assert now["title"] == "One" and now["meta"]["version"] == '"2"'
    assert (
        patch(api, uid, {"op": "replace", "path": "title", "value": "Two"}, **{"If-Match": "*"}).status_code
        == 200
    )


def test_put_replaces_core_attributes_and_keeps_an_unsent_division(api: httpx.Client) -> None:
    made = create(api, "put.me@bpo.example", title="Old Title", **{ENT: {"division": ACME}})
    r = api.put(
        f"{USERS}/{made['id']}",
        json={
            "schemas": [CORE_USER],
            "userName": "put.me@bpo.example",
            "displayName": "Put Me",
            "externalId": "EXT-9",
            "phoneNumbers": [{"value": "+15555550111", "type": "work", "primary": True}],
            "groups": [{"value": "ignored-read-only"}],
        },
    )
    assert r.status_code == 200, r.text
    u = r.json()
    assert u["displayName"] == "Put Me" and "title" not in u  # absent in a replace: cleared
    assert u["externalId"] == "EXT-9" and u["phoneNumbers"][0]["value"] == "+15555550111"
    assert u[ENT]["division"] == ACME and u["groups"] == []
    assert u["meta"]["version"] == '"2"'
    platform = api.get(f"/api/v2/users/{made['id']}").json()
    assert platform["name"] == "Put Me" and platform["title"] == ""
    assert platform["division"]["id"] == divisions(api)[ACME]

    renamed = api.put(
        f"{USERS}/{made['id']}", json={"userName": "put.renamed@bpo.example", "displayName": "Put Me"}
    )
    assert renamed.status_code == 200, renamed.text
    assert api.get(f"/api/v2/users/{made['id']}").json()["email"] == "put.renamed@bpo.example"
    assert scim_user(api, "put.renamed@bpo.example")["id"] == made["id"]


def test_delete_removes_the_user_and_its_memberships(api: httpx.Client) -> None:
    gid = group_id(api, f"{ACME} Agents")
    uid = scim_user(api, "agent3@acme.bpo.example")["id"]
    r = api.delete(f"{USERS}/{uid}")
    assert r.status_code == 204 and r.content == b""
    scim_error(api.get(f"{USERS}/{uid}"), 404)
    assert api.get(f"/api/v2/users/{uid}").status_code == 404
    members = api.get(f"{GROUPS}/{gid}").json()["members"]
    assert uid not in {m["value"] for m in members} and len(members) == 3
    scim_error(api.delete(f"{USERS}/{uid}"), 404)


def test_roles_are_names_of_held_roles_and_are_not_granted(api: httpx.Client) -> None:
    staff = scim_user(api, "lee.wfm@bpo.example")
    assert staff["roles"] == [{"value": "employee"}]
    r = patch(api, staff["id"], {"op": "add", "path": "roles", "value": [{"value": "Supervisor"}]})
    assert r.status_code == 200, r.text
    assert r.json()["roles"] == [{"value": "employee"}]  # accepted, but SCIM grants nothing
    grants = api.get(f"/api/v2/authorization/subjects/{staff['id']}").json()["grants"]
    assert [g["role"]["name"] for g in grants] == ["employee"]


# ---- permissions and tenant isolation ---------------------------------------------------------------
def test_tenant_client_reads_the_open_directory_but_writes_only_its_tenant(
    api: httpx.Client, tenant: httpx.Client
) -> None:
    """SCIM GET Users needs no permission on the platform: a tenant's client reads everyone."""
    listing = tenant.get(USERS)
    assert listing.status_code == 200, listing.text
    assert listing.json()["totalResults"] == 11  # 3 staff, 4 + 4 agents
    globex_id = scim_user(api, "agent1@globex.bpo.example")["id"]
    got = tenant.get(f"{USERS}/{globex_id}")
    assert got.status_code == 200 and got.json()["userName"] == "agent1@globex.bpo.example"
    scim_error(patch(tenant, globex_id, {"op": "replace", "path": "active", "value": False}), 403)
    scim_error(tenant.delete(f"{USERS}/{globex_id}"), 403)
    assert api.get(f"/api/v2/users/{globex_id}").json()["state"] == "active"


def test_tenant_scoped_client_sees_only_its_tenant(
    emu: RunningEmulator, api: httpx.Client, tenant: httpx.Client
) -> None:
    emu.set_directory_restricted(True)  # the org setting; the default directory is open
    listing = tenant.get(USERS)
    assert listing.status_code == 200, listing.text
    names = user_names(listing.json())
    assert listing.json()["totalResults"] == 4
    assert sorted(names) == [f"agent{i}@acme.bpo.example" for i in range(1, 5)]

    assert (
        tenant.get(USERS, params={"filter": 'userName eq "agent1@globex.bpo.example"'}).json()["totalResults"]
        == 0
    )
    assert tenant.get(USERS, params={"filter": f'division eq "{GLOBEX}"'}).json()["Resources"] == []
    globex_id = scim_user(api, "agent1@globex.bpo.example")["id"]
    scim_error(tenant.get(f"{USERS}/{globex_id}"), 404)
    scim_error(patch(tenant, globex_id, {"op": "replace", "path": "active", "value": False}), 404)
    scim_error(tenant.delete(f"{USERS}/{globex_id}"), 404)
    assert api.get(f"/api/v2/users/{globex_id}").json()["state"] == "active"

    # creating in its own division works, anywhere else is refused
    made = tenant.post(
        USERS, json={"userName": "hire@acme.bpo.example", "displayName": "Hire", ENT: {"division": ACME}}
    )
    assert made.status_code == 201, made.text
    scim_error(
        tenant.post(
            USERS,
            json={"userName": "spy@globex.bpo.example", "displayName": "Spy", ENT: {"division": GLOBEX}},
        ),
        403,
    )
    scim_error(tenant.post(USERS, json={"userName": "home@bpo.example", "displayName": "No Division"}), 403)
    # and it cannot move its own users out to another tenant
    moved = patch(tenant, made.json()["id"], {"op": "replace", "path": f"{ENT}:division", "value": GLOBEX})
    scim_error(moved, 403)
    assert api.get(f"/api/v2/users/{made.json()['id']}").json()["division"]["id"] == divisions(api)[ACME]

    # groups: members in divisions it cannot see are neither shown nor addable
    globex_group = group_id(api, f"{GLOBEX} Agents")
    assert tenant.get(f"{GROUPS}/{globex_group}").json()["members"] == []
    acme_group = group_id(api, f"{ACME} Agents")
    add = tenant.patch(
        f"{GROUPS}/{acme_group}",
        json={
            "schemas": [PATCH_OP],
            "Operations": [{"op": "add", "path": "members", "value": [{"value": globex_id}]}],
        },
    )
    scim_error(add, 400, "invalidValue")


def test_put_group_by_a_tenant_leaves_members_it_cannot_see(api: httpx.Client, tenant: httpx.Client) -> None:
    gid = group_id(api, f"{GLOBEX} Agents")
    before = {m["value"] for m in api.get(f"{GROUPS}/{gid}").json()["members"]}
    assert len(before) == 4
    acme_user = scim_user(api, "agent1@acme.bpo.example")["id"]
    r = tenant.put(
        f"{GROUPS}/{gid}", json={"displayName": f"{GLOBEX} Agents", "members": [{"value": acme_user}]}
    )
    assert r.status_code == 200, r.text
    assert [m["value"] for m in r.json()["members"]] == [acme_user]
    after = {m["value"] for m in api.get(f"{GROUPS}/{gid}").json()["members"]}
    assert after == before | {acme_user}
