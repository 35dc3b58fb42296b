"""SCIM groups (read and re-membered, never created), bad bodies and secrets, discovery, path
families, and the official SDK driving SCIM."""

from __future__ import annotations

import json
from typing import Any

import httpx
import PureCloudPlatformClientV2 as gc
import pytest

from genesys_emulator import RunningEmulator

from .scim_helpers import (
    ACME,
    CORE_USER,
    ENT,
    GEN,
    GLOBEX,
    GROUPS,
    PASSWORD,
    PATCH_OP,
    SCIM,
    USERS,
    divisions,
    group_id,
    patch,
    scim_error,
    scim_user,
    user_names,
)


# ---- groups -----------------------------------------------------------------------------------------
def test_groups_list_get_and_filter(api: httpx.Client) -> None:
    r = api.get(GROUPS, params={"filter": f'displayName eq "{ACME} Agents"'})
    assert r.status_code == 200, r.text
    assert r.json()["totalResults"] == 1
    g = r.json()["Resources"][0]
    assert g["displayName"] == f"{ACME} Agents"
    assert g["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:Group"]
    assert len(g["members"]) == 4 and all(m["type"] == "User" for m in g["members"])
    assert all(m["$ref"].endswith(m["value"]) for m in g["members"])
    one = api.get(f"{GROUPS}/{g['id']}")
    assert one.status_code == 200 and one.json()["id"] == g["id"]
    assert one.headers["etag"] == one.json()["meta"]["version"]
    # the SDK marks filter required for groups: a listing without one is refused
    scim_error(api.get(GROUPS), 400, "invalidFilter")
    everything = api.get(GROUPS, params={"filter": "displayName pr"}).json()
    assert everything["totalResults"] == 2
    scim_error(api.get(f"{GROUPS}/no-such-group"), 404)
    scim_error(api.get(GROUPS, params={"filter": 'displayName co "Acme"'}), 400, "invalidFilter")


def test_patch_group_members_add_and_remove(emu: RunningEmulator, api: httpx.Client) -> None:
    gid = group_id(api, f"{ACME} Agents")
    staff = scim_user(api, "sam.qa@bpo.example")["id"]
    version = api.get(f"{GROUPS}/{gid}").json()["meta"]["version"]
    r = api.patch(
        f"{GROUPS}/{gid}",
        json={
            "schemas": [PATCH_OP],
            "Operations": [{"op": "add", "path": "members", "value": [{"value": staff}]}],
        },
        headers={"If-Match": version},
    )
    assert r.status_code == 200, r.text
    assert staff in {m["value"] for m in r.json()["members"]}
    assert r.json()["meta"]["version"] != version
    members = api.get(f"/api/v2/groups/{gid}/members").json()["entities"]
    assert staff in {u["id"] for u in members}
    assert any(e["event"] == "group.member.add" and e["groupId"] == gid for e in emu.timeline(staff))
    assert gid in {g["value"] for g in api.get(f"{USERS}/{staff}").json()["groups"]}

    out = api.patch(
        f"{GROUPS}/{gid}",
        json={
            "schemas": [PATCH_OP],
            "Operations": [{"op": "remove", "path": f'members[value eq "{staff}"]'}],
        },
    )
    assert out.status_code == 200, out.text
    assert staff not in {m["value"] for m in out.json()["members"]} and len(out.json()["members"]) == 4
    assert any(e["event"] == "group.member.remove" and e["groupId"] == gid for e in emu.timeline(staff))

    stale = api.patch(
        f"{GROUPS}/{gid}",
        json={
            "schemas": [PATCH_OP],
            "Operations": [{"op": "add", "path": "members", "value": [{"value": staff}]}],
        },
        headers={"If-Match": version},
    )
    scim_error(stale, 400, "invalidVers")
    rename = api.patch(
        f"{GROUPS}/{gid}",
        json={
            "schemas": [PATCH_OP],
            "Operations": [{"op": "replace", "path": "displayName", "value": "Renamed"}],
        },
    )
    scim_error(rename, 400, "mutability")
    unknown = api.patch(
        f"{GROUPS}/{gid}",
        json={
            "schemas": [PATCH_OP],
            "Operations": [{"op": "add", "path": "members", "value": [{"value": "nope"}]}],
        },
    )
    scim_error(unknown, 400, "invalidValue")


def test_put_group_replaces_members(api: httpx.Client) -> None:
    gid = group_id(api, f"{GLOBEX} Agents")
    keep = scim_user(api, "agent1@globex.bpo.example")["id"]
    join = scim_user(api, "dana.ops@bpo.example")["id"]
    r = api.put(
        f"{GROUPS}/{gid}",
        json={
            "displayName": f"{GLOBEX} Agents",
            "externalId": "idp-42",
            "members": [{"value": keep}, {"value": join}],
        },
    )
    assert r.status_code == 200, r.text
    assert [m["value"] for m in r.json()["members"]] == [keep, join]
    assert r.json()["externalId"] == "idp-42"
    platform = {u["id"] for u in api.get(f"/api/v2/groups/{gid}/members").json()["entities"]}
    assert platform == {keep, join}


def test_groups_cannot_be_created_or_deleted(api: httpx.Client) -> None:
    created = api.post(
        GROUPS, json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "New"}
    )
    scim_error(created, 405)
    gid = group_id(api, f"{ACME} Agents")
    scim_error(api.delete(f"{GROUPS}/{gid}"), 405)
    assert api.get(f"/api/v2/groups/{gid}").status_code == 200
    names = {g["name"] for g in api.get("/api/v2/groups").json()["entities"]}
    assert "New" not in names


# ---- bodies and secrets ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("content", "scim_type"),
    [
        (b"", "invalidSyntax"),
        (b"{not json", "invalidSyntax"),
        (b"[1, 2]", "invalidSyntax"),
        (b"\xff\xfe", "invalidSyntax"),
        (b"[" * 100_000, "invalidSyntax"),
        (json.dumps({"displayName": "No Name"}).encode(), "invalidValue"),
        (json.dumps({"userName": "not-an-email", "displayName": "X"}).encode(), "invalidValue"),
        (json.dumps({"userName": "a@bpo.example"}).encode(), "invalidValue"),
        (
            json.dumps({"userName": "a@bpo.example", "displayName": "X", "active": "maybe"}).encode(),
            "invalidValue",
        ),
        (
            json.dumps({"userName": "a@bpo.example", "displayName": "X", "password": 12345}).encode(),
            "invalidValue",
        ),
        (
            json.dumps({"userName": "a@bpo.example", "displayName": "X", ENT: "Acme"}).encode(),
            "invalidSyntax",
        ),
        (
            json.dumps(
                {
                    "userName": "a@bpo.example",
                    "displayName": "X",
                    GEN: {"routingSkills": [{"name": f"s{i}"} for i in range(51)]},
                }
            ).encode(),
            "invalidValue",
        ),
        (
            json.dumps(
                {
                    "userName": "a@bpo.example",
                    "displayName": "X",
                    "phoneNumbers": [{"value": "+1", "type": "pager"}],
                }
            ).encode(),
            "invalidValue",
        ),
    ],
)
def test_bad_bodies_are_400_scim_errors(api: httpx.Client, content: bytes, scim_type: str) -> None:
    r = api.post(USERS, content=content, headers={"Content-Type": "application/scim+json"})
    scim_error(r, 400, scim_type)


def test_password_is_never_echoed_nor_stored(emu: RunningEmulator, api: httpx.Client) -> None:
    answers = []
    made = api.post(
        USERS, json={"userName": "secret@bpo.example", "displayName": "Has Secret", "password": PASSWORD}
    )
    assert made.status_code == 201, made.text
    uid = made.json()["id"]
    answers.append(made)
    answers.append(
        api.put(
            f"{USERS}/{uid}",
            json={"userName": "secret@bpo.example", "displayName": "Has Secret", "password": PASSWORD + "2"},
        )
    )
    answers.append(patch(api, uid, {"op": "replace", "path": "password", "value": PASSWORD + "3"}))
    answers.append(patch(api, uid, {"op": "replace", "value": {"password": PASSWORD + "4"}}))
    answers.append(api.get(f"{USERS}/{uid}"))
    answers.append(api.get(USERS, params={"filter": 'userName eq "secret@bpo.example"'}))
    answers.append(api.get(f"/api/v2/users/{uid}"))
    for r in answers:
        assert r.status_code in (200, 201), r.text
        assert PASSWORD not in r.text and "password" not in r.json()
    assert emu.emulator is not None
    saved = json.dumps(emu.emulator.org.to_json())
    assert PASSWORD not in saved


def test_password_change_needs_set_password(
    emu: RunningEmulator, api: httpx.Client, tenant: httpx.Client
) -> None:
    # User Administrator holds directory:user:setPassword; a role without it cannot send a password
    acme = divisions(api)[ACME]
    role = api.post(
        "/api/v2/authorization/roles",
        json={
            "name": "SCIM editor without passwords",
            "permissionPolicies": [
                {"domain": "directory", "entityName": "user", "actionSet": ["view", "edit"]},
            ],
        },
    )
    assert role.status_code == 200, role.text
    client = api.post(
        "/api/v2/oauth/clients",
        json={"name": "no-pass", "roleDivisions": [{"roleId": role.json()["id"], "divisionId": acme}]},
    ).json()
    with httpx.Client(
        base_url=emu.base_url,
        headers={"Authorization": f"Bearer {emu.token(client['id'], client['secret'])}"},
    ) as c:
        uid = scim_user(api, "agent1@acme.bpo.example")["id"]
        assert patch(c, uid, {"op": "replace", "path": "title", "value": "Senior"}).status_code == 200
        scim_error(patch(c, uid, {"op": "replace", "path": "password", "value": PASSWORD}), 403)
    assert patch(tenant, uid, {"op": "replace", "path": "password", "value": PASSWORD}).status_code == 200


# ---- discovery and path families ---------------------------------------------------------------------
def test_service_provider_config_resource_types_and_schemas(api: httpx.Client) -> None:
    spc = api.get(f"{SCIM}/serviceproviderconfig")
    assert spc.status_code == 200 and spc.headers["content-type"] == "application/scim+json"
    body = spc.json()
    assert body["patch"]["supported"] is True and body["etag"]["supported"] is True
    assert body["bulk"]["supported"] is False and body["filter"]["supported"] is True
    assert body["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    assert (
        api.get(f"{SCIM}/serviceproviderconfig", headers={"If-None-Match": spc.headers["etag"]}).status_code
        == 304
    )

    types = api.get(f"{SCIM}/resourcetypes").json()
    by_id = {t["id"]: t for t in types["Resources"]}
    assert set(by_id) == {"User", "Group"} and types["totalResults"] == 2
    assert [e["schema"] for e in by_id["User"]["schemaExtensions"]] == [ENT, GEN]
    assert (
        api.get(f"{SCIM}/resourcetypes/Group").json()["schema"]
        == "urn:ietf:params:scim:schemas:core:2.0:Group"
    )
    scim_error(api.get(f"{SCIM}/resourcetypes/Printer"), 404)

    schemas = api.get(f"{SCIM}/schemas").json()
    ids = [s["id"] for s in schemas["Resources"]]
    assert set(ids) == {CORE_USER, "urn:ietf:params:scim:schemas:core:2.0:Group", ENT, GEN}
    enterprise = api.get(f"{SCIM}/schemas/{ENT}").json()
    assert "division" in {a["name"] for a in enterprise["attributes"]}
    core = api.get(f"{SCIM}/schemas/{CORE_USER}").json()
    password = next(a for a in core["attributes"] if a["name"] == "password")
    assert password["returned"] == "never" and password["mutability"] == "writeOnly"
    scim_error(api.get(f"{SCIM}/schemas", params={"filter": 'id eq "x"'}), 403)


def test_both_path_families_and_capitalised_names(api: httpx.Client) -> None:
    flt = {"filter": 'userName eq "agent1@acme.bpo.example"'}
    for path in ("/api/v2/scim/v2/Users", "/api/v2/scim/users", "/api/v2/scim/Users"):
        r = api.get(path, params=flt)
        assert r.status_code == 200, (path, r.text)
        assert user_names(r.json()) == ["agent1@acme.bpo.example"]
    legacy = api.get("/api/v2/scim/users", params=flt).json()["Resources"][0]
    assert (
        "/api/v2/scim/users/" in legacy["meta"]["location"] and "/scim/v2/" not in legacy["meta"]["location"]
    )
    assert api.get("/api/v2/scim/v2/Groups", params={"filter": "displayName pr"}).json()["totalResults"] == 2
    assert api.get("/api/v2/scim/ServiceProviderConfig").status_code == 200
    assert api.get("/api/v2/scim/v2/ResourceTypes/User").json()["id"] == "User"


# ---- the official SDK -------------------------------------------------------------------------------------
def mk(cls: type, **fields: Any) -> Any:
    obj = cls()
    for key, value in fields.items():
        setattr(obj, key, value)
    return obj


def test_official_sdk_drives_scim_with_the_division_name_intact(
    emu: RunningEmulator, api: httpx.Client
) -> None:
    client = gc.api_client.ApiClient(host=emu.base_url)
    client.get_client_credentials_token(emu.client_id, emu.client_secret)
    scim_api = gc.SCIMApi(client)

    created = scim_api.post_scim_v2_users(
        mk(
            gc.ScimV2CreateUser,
            schemas=[CORE_USER, ENT, GEN],
            user_name="sdk.user@globex.bpo.example",
            display_name="SDK User",
            title="Agent",
            active=True,
            password=PASSWORD,
            phone_numbers=[mk(gc.ScimPhoneNumber, value="+15555550123", type="work", primary=True)],
            urnietfparamsscimschemasextensionenterprise2_0_user=mk(gc.ScimV2EnterpriseUser, division=GLOBEX),
            urnietfparamsscimschemasextensiongenesyspurecloud2_0_user=mk(
                gc.ScimUserExtensions,
                routing_skills=[mk(gc.ScimUserRoutingSkill, name="Billing", proficiency=3.5)],
            ),
        )
    )
    assert isinstance(created, gc.ScimV2User)
    assert created.user_name == "sdk.user@globex.bpo.example" and created.active is True
    assert created.urnietfparamsscimschemasextensionenterprise2_0_user.division == GLOBEX
    skills = created.urnietfparamsscimschemasextensiongenesyspurecloud2_0_user.routing_skills
    assert [(s.name, s.proficiency) for s in skills] == [("Billing", 3.5)]
    assert created.password is None
    assert created.meta.version == '"1"' and created.meta.resource_type == "User"
    assert created.meta.last_modified is not None
    assert api.get(f"/api/v2/users/{created.id}").json()["division"]["id"] == divisions(api)[GLOBEX]

    found = scim_api.get_scim_v2_users(filter='userName eq "sdk.user@globex.bpo.example"')
    assert isinstance(found, gc.ScimUserListResponse)
    assert found.total_results == 1 and found.resources[0].id == created.id
    assert found.resources[0].urnietfparamsscimschemasextensionenterprise2_0_user.division == GLOBEX

    patched = scim_api.patch_scim_v2_user(
        created.id,
        mk(
            gc.ScimV2PatchRequest,
            schemas=[PATCH_OP],
            operations=[
                mk(gc.ScimV2PatchOperation, op="replace", path="active", value=False),
                mk(gc.ScimV2PatchOperation, op="replace", path=f"{ENT}:division", value=ACME),
            ],
        ),
        if_match=created.meta.version,
    )
    assert patched.active is False
    assert patched.urnietfparamsscimschemasextensionenterprise2_0_user.division == ACME
    assert scim_api.get_scim_v2_user(created.id).meta.version == '"2"'

    groups = scim_api.get_scim_v2_groups(filter=f'displayName eq "{GLOBEX} Agents"')
    assert isinstance(groups, gc.ScimGroupListResponse) and groups.total_results == 1
    group = groups.resources[0]
    assert group.display_name == f"{GLOBEX} Agents" and len(group.members) == 4
    assert all(isinstance(m, gc.ScimV2MemberReference) and m.value for m in group.members)

    spc = scim_api.get_scim_v2_serviceproviderconfig()
    assert spc.patch.supported is True and spc.authentication_schemes[0].type == "oauthbearertoken"
    types = scim_api.get_scim_v2_resourcetypes()
    assert {t.id for t in types.resources} == {"User", "Group"}
    schemas = scim_api.get_scim_v2_schemas()
    assert ENT in {s.id for s in schemas.resources}

    scim_api.delete_scim_v2_user(created.id)
    assert api.get(f"/api/v2/users/{created.id}").status_code == 404
