"""What the platform really does where the emulator used to flatter its clients (issue 12): each test
drives the behaviour over HTTP, several through the official SDK, and fails on the old emulator."""

from __future__ import annotations

import time
from typing import Any

import httpx
import PureCloudPlatformClientV2 as gc
import pytest
from PureCloudPlatformClientV2.rest import ApiException

from genesys_emulator import RunningEmulator

ACME = "Acme Insurance"
GLOBEX = "Globex Telecom"
MISMATCH = "does not match the current version"


# ---- helpers -------------------------------------------------------------------------------------
def mk(cls: type, **fields: Any) -> Any:
    obj = cls()
    for key, value in fields.items():
        setattr(obj, key, value)
    return obj


@pytest.fixture
def sdk(emu: RunningEmulator) -> gc.ApiClient:
    client = gc.api_client.ApiClient(host=emu.base_url)
    client.get_client_credentials_token(emu.client_id, emu.client_secret)
    return client


def new_user(api: httpx.Client, name: str, division: str | None = None) -> dict:
    email = name.lower().replace(" ", ".") + "@fidelity.example"
    r = api.post(
        "/api/v2/users", json={"name": name, "email": email} | ({"divisionId": division} if division else {})
    )
    assert r.status_code == 200, r.text
    return r.json()


def new_group(api: httpx.Client, name: str, **extra: Any) -> dict:
    r = api.post("/api/v2/groups", json={"name": name, "rolesEnabled": True} | extra)
    assert r.status_code == 200, r.text
    return r.json()


def bulk(api: httpx.Client, subject: str, action: str, grants: list[tuple[str, str]]) -> httpx.Response:
    body = {"grants": [{"roleId": r, "divisionId": d} for r, d in grants]}
    return api.post(f"/api/v2/authorization/subjects/{subject}/{action}", json=body)


def subject_rows(api: httpx.Client, subject: str, **params: str) -> list[tuple[str, str, str]]:
    r = api.get(f"/api/v2/authorization/subjects/{subject}", params=params)
    assert r.status_code == 200, r.text
    return sorted((g["subjectId"], g["role"]["id"], g["division"]["id"]) for g in r.json()["grants"])


def user_ids(api: httpx.Client, **params: Any) -> set[str]:
    r = api.get("/api/v2/users", params={"pageSize": 500, **params})
    assert r.status_code == 200, r.text
    return {u["id"] for u in r.json()["entities"]}


def search_ids(api: httpx.Client, field: str, value: str, state: str | None = None) -> set[str]:
    query = [{"type": "EXACT", "fields": [field], "values": [value]}]
    if state:
        query.append({"type": "EXACT", "fields": ["state"], "values": [state]})
    r = api.post("/api/v2/users/search", json={"query": query, "pageSize": 100})
    assert r.status_code == 200, r.text
    return {u["id"] for u in r.json()["results"]}


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
    api: httpx.Client, demo, name, error_body
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
    # one DELETE per grant works, the orphan included
    for role_id in (role["id"], demo.roles["Agent"]):
        path = f"/api/v2/authorization/subjects/{user['id']}/divisions/{acme}/roles/{role_id}"
        assert api.delete(path).status_code == 204
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


# ---- 6, 10. OAuth clients: inactive before delete, no escalation, 404 for unknown refs -----------
def test_oauth_client_rules_through_the_sdk(
    sdk: gc.ApiClient, emu: RunningEmulator, api: httpx.Client, demo, client_with, name
) -> None:
    oauth = gc.OAuthApi(sdk)
    acme = demo.divisions[ACME]
    body = mk(
        gc.OAuthClientRequest,
        name=name("Tenant client"),
        authorized_grant_type="CLIENT-CREDENTIALS",
        role_divisions=[mk(gc.RoleDivision, role_id=demo.roles["Agent"], division_id=acme)],
    )
    made = oauth.post_oauth_clients(body)
    with pytest.raises(ApiException) as exc:
        oauth.delete_oauth_client(made.id)
    assert exc.value.status == 400 and "inactive" in exc.value.body
    body.state = "inactive"
    assert oauth.put_oauth_client(made.id, body).state == "inactive"
    oauth.delete_oauth_client(made.id)

    # the SDK's enums: SAML2-BEARER, and state disabled
    saml = oauth.post_oauth_clients(
        mk(gc.OAuthClientRequest, name=name("Saml"), authorized_grant_type="SAML2-BEARER", role_divisions=[])
    )
    assert saml.authorized_grant_type == "SAML2-BEARER"
    disabled = oauth.put_oauth_client(
        saml.id,
        mk(gc.OAuthClientRequest, name=saml.name, authorized_grant_type="SAML2-BEARER", state="disabled"),
    )
    assert disabled.state == "disabled"

    # an unknown division is a 404 as everywhere else
    unknown = {
        "name": name("Bad ref"),
        "roleDivisions": [{"roleId": demo.roles["Agent"], "divisionId": "nope"}],
    }
    assert api.post("/api/v2/oauth/clients", json=unknown).status_code == 404

    # no escalation: a client maker holding only its own role can give only that role
    maker_role = api.post(
        "/api/v2/authorization/roles",
        json={"name": name("Client maker"),
              "permissionPolicies": [{"domain": "oauth", "entityName": "client",
                                      "actionSet": ["add", "view"]}]},
    ).json()["id"]  # fmt: skip
    maker = client_with([(maker_role, "*")])
    escalate = {
        "name": name("Escalated"),
        "roleDivisions": [{"roleId": demo.roles["Master Admin"], "divisionId": "*"}],
    }
    r = maker.post("/api/v2/oauth/clients", json=escalate)
    assert r.status_code == 403 and "hold" in r.json()["message"]
    same = {"name": name("Same rights"), "roleDivisions": [{"roleId": maker_role, "divisionId": acme}]}
    assert maker.post("/api/v2/oauth/clients", json=same).status_code == 200


def test_oauth_client_ref_not_yet_visible_is_404(emu: RunningEmulator, api: httpx.Client, demo, name) -> None:
    emu.admin.put("/_emulator/consistency", json={"delay": 5}).raise_for_status()
    div = api.post("/api/v2/authorization/divisions", json={"name": name("Fresh")}).json()["id"]
    body = {
        "name": name("Early client"),
        "roleDivisions": [{"roleId": demo.roles["Agent"], "divisionId": div}],
    }
    r = api.post("/api/v2/oauth/clients", json=body)
    assert r.status_code == 404 and div in r.json()["message"]


# ---- 7. SSO certificates -------------------------------------------------------------------------
def test_sso_accepts_pem_and_keeps_an_old_certificate_list(api: httpx.Client) -> None:
    path = "/api/v2/identityproviders/generic"
    old, new = "MIIBold" + "A" * 20, "MIIBnew" + "B" * 20
    pem = f"-----BEGIN CERTIFICATE-----\n{new}\n-----END CERTIFICATE-----\n"
    base = {"name": "SSO", "issuerURI": "https://idp.example", "ssoTargetURI": "https://idp.example/sso"}
    assert api.put(path, json=base | {"certificate": old}).json()["certificates"] == [old]
    # a certificate alone: the platform keeps the old list (the rotated certificate is stranded)
    got = api.put(path, json=base | {"certificate": pem}).json()
    assert got["certificate"] == pem and got["certificates"] == [old]
    # sending both replaces it
    got = api.put(path, json=base | {"certificate": new, "certificates": [new]}).json()
    assert got["certificates"] == [new]
    # the listing holds the full SAML entities
    listed = api.get("/api/v2/identityproviders").json()["entities"]
    assert listed[0]["issuerURI"] == "https://idp.example" and listed[0]["certificates"] == [new]


# ---- 8. open directory ---------------------------------------------------------------------------
def test_the_directory_is_open_to_any_token_unless_the_org_restricts_it(
    emu: RunningEmulator, demo, client_with
) -> None:
    nobody = client_with([])  # a tenant's client with no role at all
    everyone = {u["id"] for u in demo.users.values()}
    globex_user = demo.users_in(GLOBEX)[0]
    assert {
        u["id"] for u in nobody.get("/api/v2/users", params={"pageSize": 100}).json()["entities"]
    } == everyone
    one = nobody.get(f"/api/v2/users/{globex_user['id']}")
    assert one.status_code == 200 and one.json()["email"] == globex_user["email"]
    assert len(nobody.get("/api/v2/authorization/divisions").json()["entities"]) == 3
    scim = nobody.get("/api/v2/scim/v2/Users")
    assert scim.status_code == 200 and scim.json()["totalResults"] == len(everyone)
    group = demo.groups[f"{GLOBEX} Agents"]
    assert len(nobody.get(f"/api/v2/groups/{group}/members").json()["entities"]) == 4
    # writes still need their permissions
    assert (
        nobody.patch(f"/api/v2/users/{globex_user['id']}", json={"version": 1, "title": "x"}).status_code
        == 403
    )

    emu.set_directory_restricted(True)
    assert emu.admin.get("/_emulator/settings").json() == {"directoryRestricted": True}
    assert nobody.get("/api/v2/users").status_code == 403
    assert nobody.get(f"/api/v2/users/{globex_user['id']}").status_code == 404
    assert nobody.get("/api/v2/authorization/divisions").json()["entities"] == []
    assert nobody.get("/api/v2/scim/v2/Users").status_code == 403
    assert nobody.get(f"/api/v2/groups/{group}/members").json()["entities"] == []


# ---- 9. inherited grants in the subject view -----------------------------------------------------
def test_subject_view_includes_inherited_grants_with_the_groups_id(
    sdk: gc.ApiClient, api: httpx.Client, demo, name
) -> None:
    acme = demo.divisions[ACME]
    agent, sup = demo.roles["Agent"], demo.roles["Supervisor"]
    user = new_user(api, name("Inheritor"))
    g1, g2 = new_group(api, name("Inherit one")), new_group(api, name("Inherit two"))
    off = new_group(api, name("Roles off"), rolesEnabled=False)
    for g in (g1, g2):
        assert bulk(api, g["id"], "bulkadd", [(agent, acme)]).status_code == 204
    assert bulk(api, g2["id"], "bulkadd", [(sup, acme)]).status_code == 204
    assert bulk(api, user["id"], "bulkadd", [(agent, acme)]).status_code == 204
    for g in (g1, g2, off):
        r = api.post(f"/api/v2/groups/{g['id']}/members", json={"memberIds": [user["id"]], "version": 1})
        assert r.status_code == 202
    employee = (demo.roles["employee"], demo.divisions["Home"])
    uid = user["id"]
    # de-duplicated: (Agent, Acme) once, from the user itself; Supervisor from group two
    assert subject_rows(api, uid) == sorted([(uid, agent, acme), (uid, *employee), (g2["id"], sup, acme)])
    assert subject_rows(api, uid, includeDuplicates="true") == sorted(
        [(uid, agent, acme), (uid, *employee), (g1["id"], agent, acme), (g2["id"], agent, acme),
         (g2["id"], sup, acme)]
    )  # fmt: skip
    seen = gc.AuthorizationApi(sdk).get_authorization_subject(uid, include_duplicates=True)
    direct = {(g.role.id, g.division.id) for g in seen.grants if g.subject_id == uid}
    assert direct == {(agent, acme), employee}
    # bulkreplace touches direct grants only
    assert bulk(api, uid, "bulkreplace", []).status_code == 204
    rows = subject_rows(api, uid)
    assert sorted((r, d) for _s, r, d in rows) == sorted([employee, (agent, acme), (sup, acme)])
    assert {s for s, r, _d in rows if r == agent} <= {g1["id"], g2["id"]}


# ---- 11. the default role ------------------------------------------------------------------------
def test_every_new_user_holds_the_default_role_which_cannot_be_removed(
    api: httpx.Client, demo, name, error_body
) -> None:
    employee, home = demo.roles["employee"], demo.divisions["Home"]
    user = new_user(api, name("Newcomer"), demo.divisions[ACME])
    assert subject_rows(api, user["id"]) == [(user["id"], employee, home)]
    body = error_body(bulk(api, user["id"], "bulkremove", [(employee, home)]), 400)
    assert body["code"] == "role.default"
    one = f"/api/v2/authorization/subjects/{user['id']}/divisions/{home}/roles/{employee}"
    error_body(api.delete(one), 400)
    assert (
        bulk(api, user["id"], "bulkreplace", [(demo.roles["Agent"], demo.divisions[ACME])]).status_code == 204
    )
    assert (user["id"], employee, home) in subject_rows(api, user["id"])
    role = api.get(f"/api/v2/authorization/roles/{employee}").json()
    assert role["default"] is True
    # the seeds' people hold it too
    assert (demo.users["agent1@acme.bpo.example"]["id"], employee, home) in subject_rows(
        api, demo.users["agent1@acme.bpo.example"]["id"]
    )


# ---- 12. details ---------------------------------------------------------------------------------
def test_group_post_ignores_description_and_put_ignores_type(api: httpx.Client, name) -> None:
    g = new_group(api, name("Described"), description="set on create", type="official")
    assert g["description"] == ""
    put = {"name": g["name"], "version": g["version"], "description": "by put", "type": "social"}
    got = api.put(f"/api/v2/groups/{g['id']}", json=put).json()
    assert (got["description"], got["type"]) == ("by put", "official")


def test_queue_keeps_team_and_skillgroup_bindings(sdk: gc.ApiClient, api: httpx.Client, demo, name) -> None:
    group = demo.groups[f"{ACME} Agents"]
    bindings = [
        {"id": group, "type": "GROUP"},
        {"id": "team-1", "type": "TEAM"},
        {"id": "sg-1", "type": "SKILLGROUP"},
    ]
    q = api.post("/api/v2/routing/queues", json={"name": name("Bound"), "memberGroups": bindings}).json()
    assert sorted((b["id"], b["type"]) for b in q["memberGroups"]) == sorted(
        (b["id"], b["type"]) for b in bindings
    )
    read = gc.RoutingApi(sdk).get_routing_queue(q["id"])
    assert {(b.id, b.type) for b in read.member_groups} == {(b["id"], b["type"]) for b in bindings}
    # a PUT that leaves them out drops them: the client must send back what it does not manage
    put = {"name": q["name"], "memberGroups": [{"id": group, "type": "GROUP"}]}
    assert [
        b["type"] for b in api.put(f"/api/v2/routing/queues/{q['id']}", json=put).json()["memberGroups"]
    ] == ["GROUP"]
    bad = {"name": name("Bad binding"), "memberGroups": [{"id": "x", "type": "CLUB"}]}
    assert api.post("/api/v2/routing/queues", json=bad).status_code == 400


def test_permission_checks_follow_the_cli_lists(
    api: httpx.Client, demo, client_with, name, error_body
) -> None:
    acme = demo.divisions[ACME]

    def role(actions: dict[tuple[str, str], list[str]]) -> str:
        pols = [{"domain": d, "entityName": e, "actionSet": a} for (d, e), a in actions.items()]
        r = api.post(
            "/api/v2/authorization/roles", json={"name": name("CLI role"), "permissionPolicies": pols}
        )
        return r.json()["id"]

    # division create needs authorization:grant:add as well
    only_add = client_with([(role({("authorization", "division"): ["add"]}), "*")])
    body = error_body(only_add.post("/api/v2/authorization/divisions", json={"name": name("Nope")}), 403)
    assert "authorization:grant:add" in body["message"]
    both = client_with(
        [(role({("authorization", "division"): ["add"], ("authorization", "grant"): ["add"]}), "*")]
    )
    assert both.post("/api/v2/authorization/divisions", json={"name": name("Yes")}).status_code == 200
    # queue members: routing:queue:edit alone is enough (any of the listed permissions)
    editor = client_with([(role({("routing", "queue"): ["edit"]}), acme)])
    queue = demo.queues[f"{ACME} Support"]
    dana = demo.users["dana.ops@bpo.example"]["id"]
    assert editor.get(f"/api/v2/routing/queues/{queue}/members").status_code == 200
    assert editor.post(f"/api/v2/routing/queues/{queue}/members", json=[{"id": dana}]).status_code == 204
    # group member writes need no permission of their own
    nobody = client_with([])
    group = new_group(api, name("Open membership"))
    r = nobody.post(f"/api/v2/groups/{group['id']}/members", json={"memberIds": [dana], "version": 1})
    assert r.status_code == 202
    assert nobody.delete(f"/api/v2/groups/{group['id']}/members", params={"ids": dana}).status_code == 202


# ---- 13. cosmetic differences the SDK shows ------------------------------------------------------
def test_sdk_visible_shapes(sdk: gc.ApiClient, emu: RunningEmulator, api: httpx.Client, demo, name) -> None:
    queue = demo.queues[f"{ACME} Support"]
    listing = api.get(f"/api/v2/routing/queues/{queue}/members").json()
    assert not {"total", "pageCount", "lastUri"} & set(listing) and len(listing["entities"]) == 4
    members = gc.RoutingApi(sdk).get_routing_queue_members(queue)
    assert len(members.entities) == 4
    # sortOrder as the SDK documents it
    names = [
        g["name"] for g in api.get("/api/v2/groups", params={"sortOrder": "descending"}).json()["entities"]
    ]
    assert names == sorted(names, reverse=True)
    assert api.get("/api/v2/users", params={"sortOrder": "ascending"}).status_code == 200
    assert api.get("/api/v2/groups", params={"sortOrder": "sideways"}).status_code == 400
    # role subject grants include OAuth clients
    holders = api.get(f"/api/v2/authorization/roles/{demo.roles['Master Admin']}/subjectgrants").json()[
        "entities"
    ]
    assert {"id": emu.client_id, "type": "PC_OAUTH_CLIENT"}.items() <= next(
        h for h in holders if h["id"] == emu.client_id
    ).items()
    grants = gc.AuthorizationApi(sdk).get_authorization_role_subjectgrants(demo.roles["Master Admin"])
    assert any(g.type == "PC_OAUTH_CLIENT" for g in grants.entities)


def test_scim_shapes_the_sdk_shows(sdk: gc.ApiClient, api: httpx.Client) -> None:
    users = api.get("/api/v2/scim/v2/Users", params={"filter": 'userName eq "dana.ops@bpo.example"'}).json()
    uid = users["Resources"][0]["id"]
    got = api.get(f"/api/v2/scim/v2/Users/{uid}")
    assert got.headers["etag"] == '"1"' == got.json()["meta"]["version"]  # strong
    weak = api.patch(
        f"/api/v2/scim/v2/Users/{uid}",
        json={"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
              "Operations": [{"op": "replace", "path": "title", "value": "Weakly matched"}]},
        headers={"If-Match": 'W/"1"'},
    )  # fmt: skip
    assert weak.status_code == 200 and weak.headers["etag"] == '"2"'
    assert api.get("/api/v2/scim/v2/Groups").status_code == 400
    schemas = api.get("/api/v2/scim/v2/Schemas").json()["Resources"]
    assert schemas and all("schemas" not in s for s in schemas)
    definition = gc.SCIMApi(sdk).get_scim_v2_schema("urn:ietf:params:scim:schemas:core:2.0:User")
    assert definition.id == "urn:ietf:params:scim:schemas:core:2.0:User"


def test_group_search_by_exact_name_through_the_sdk_lags_like_the_listings(
    sdk: gc.ApiClient, emu: RunningEmulator, api: httpx.Client, demo, name
) -> None:
    groups = gc.GroupsApi(sdk)

    def by_name(text: str) -> list[str]:
        crit = mk(gc.GroupSearchCriteria, type="EXACT", fields=["name"], value=text)
        found = groups.post_groups_search(mk(gc.GroupSearchRequest, query=[crit], page_size=25))
        return [g.id for g in found.results or []]

    assert by_name(f"{ACME} Agents") == [demo.groups[f"{ACME} Agents"]]
    assert by_name("no such group") == []
    emu.set_quirks(indexLag="500ms")
    fresh = new_group(api, name("Searched"))
    assert by_name(fresh["name"]) == []
    time.sleep(0.6)
    assert by_name(fresh["name"]) == [fresh["id"]]
