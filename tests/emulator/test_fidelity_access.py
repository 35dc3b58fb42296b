"""What the platform really does where the emulator used to flatter its clients (issue 12, items
6-13: OAuth clients, SSO certificates, the open directory, inherited grants, the default role,
details and the shapes the SDK shows); over HTTP, several through the official SDK."""

from __future__ import annotations

import time

import httpx
import PureCloudPlatformClientV2 as gc
import pytest
from PureCloudPlatformClientV2.rest import ApiException

from genesys_emulator import RunningEmulator

from .conftest import ACME, GLOBEX
from .fidelity_helpers import bulk, mk, new_group, new_user, subject_rows


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
