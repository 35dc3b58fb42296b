"""The SCIM 2.0 area, Genesys flavour: SCIM users are the org's users, divisions travel by name in
the enterprise extension, filters are parsed (never pasted), paging and versions behave like the
platform, groups are read and re-membered but never created, and a tenant-scoped client sees only
its tenant."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import PureCloudPlatformClientV2 as gc
import pytest

from genesys_emulator import RunningEmulator

SCIM = "/api/v2/scim/v2"
USERS = f"{SCIM}/users"
GROUPS = f"{SCIM}/groups"
ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GEN = "urn:ietf:params:scim:schemas:extension:genesys:purecloud:2.0:User"
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ACME, GLOBEX = "Acme Insurance", "Globex Telecom"
PASSWORD = "Correct-Horse-Battery-9"


# ---- helpers --------------------------------------------------------------------------------
def scim_error(r: httpx.Response, status: int, scim_type: str | None = None) -> dict:
    """The SCIM error body (RFC 7644 §3.12) with the SCIM media type and the HTTP status in it."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/scim+json")
    body = r.json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    assert isinstance(body["detail"], str) and body["detail"]
    if scim_type is not None:
        assert body.get("scimType") == scim_type, body
    return body


def divisions(api: httpx.Client) -> dict[str, str]:
    r = api.get("/api/v2/authorization/divisions", params={"pageSize": 100})
    assert r.status_code == 200, r.text
    return {d["name"]: d["id"] for d in r.json()["entities"]}


def group_id(api: httpx.Client, name: str) -> str:
    r = api.get("/api/v2/groups", params={"pageSize": 100})
    return next(g["id"] for g in r.json()["entities"] if g["name"] == name)


def scim_user(api: httpx.Client, email: str) -> dict:
    r = api.get(USERS, params={"filter": f"userName eq {json.dumps(email)}"})
    assert r.status_code == 200, r.text
    assert r.json()["totalResults"] == 1, r.text
    return r.json()["Resources"][0]


def create(api: httpx.Client, email: str, name: str = "Pat Example", **extra: Any) -> dict:
    body = {"schemas": [CORE_USER, ENT, GEN], "userName": email, "displayName": name, **extra}
    r = api.post(USERS, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def patch(api: httpx.Client, uid: str, *ops: dict, **headers: str) -> httpx.Response:
    return api.patch(f"{USERS}/{uid}", json={"schemas": [PATCH_OP], "Operations": list(ops)}, headers=headers)


def user_names(listing: dict) -> list[str]:
    return [u["userName"] for u in listing["Resources"]]


@pytest.fixture
def tenant(emu: RunningEmulator, api: httpx.Client) -> Iterator[httpx.Client]:
    """A client holding "User Administrator" in the Acme division only, token minted with HTTP Basic."""
    roles = {r["name"]: r["id"] for r in api.get("/api/v2/authorization/roles").json()["entities"]}
    acme = divisions(api)[ACME]
    r = api.post(
        "/api/v2/oauth/clients",
        json={
            "name": "acme scim bridge",
            "authorizedGrantType": "CLIENT-CREDENTIALS",
            "roleDivisions": [{"roleId": roles["User Administrator"], "divisionId": acme}],
        },
    )
    assert r.status_code == 200, r.text
    cid, secret = r.json()["id"], r.json()["secret"]
    t = httpx.post(
        f"{emu.base_url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(cid, secret),
        timeout=30,
    )
    assert t.status_code == 200, t.text
    with httpx.Client(
        base_url=emu.base_url, headers={"Authorization": f"Bearer {t.json()['access_token']}"}, timeout=30
    ) as c:
        yield c


# ---- users: create ------------------------------------------------------------------------------
def test_create_with_division_name_is_an_org_user_in_that_division(api: httpx.Client) -> None:
    r = api.post(
        USERS,
        json={
            "schemas": [CORE_USER, ENT],
            "userName": "new.agent@acme.bpo.example",
            "displayName": "New Agent",
            "title": "Agent",
            "active": True,
            ENT: {"division": ACME, "department": "Claims"},
        },
    )
    assert r.status_code == 201, r.text
    assert r.headers["content-type"] == "application/scim+json"
    body = r.json()
    assert body[ENT]["division"] == ACME and body[ENT]["department"] == "Claims"
    assert body["meta"]["resourceType"] == "User"
    assert r.headers["etag"] == body["meta"]["version"] == '"1"'
    assert r.headers["location"] == body["meta"]["location"] and body["meta"]["location"].endswith(body["id"])
    assert body["emails"] == [{"value": "new.agent@acme.bpo.example", "type": "other", "primary": True}]

    platform = api.get(f"/api/v2/users/{body['id']}").json()
    assert platform["division"]["id"] == divisions(api)[ACME]
    assert platform["email"] == "new.agent@acme.bpo.example"
    assert (
        platform["name"] == "New Agent"
        and platform["title"] == "Agent"
        and platform["department"] == "Claims"
    )
    listed = api.get("/api/v2/users", params={"pageSize": 500}).json()["entities"]
    assert body["id"] in {u["id"] for u in listed}


def test_create_without_division_lands_in_home(api: httpx.Client) -> None:
    body = create(api, "staff.new@bpo.example")
    assert body[ENT]["division"] == "Home"
    assert api.get(f"/api/v2/users/{body['id']}").json()["division"]["id"] == divisions(api)["Home"]


def test_create_with_unknown_division_is_a_clear_400_and_creates_nothing(api: httpx.Client) -> None:
    r = api.post(
        USERS,
        json={"userName": "lost@bpo.example", "displayName": "Lost", ENT: {"division": "Initech"}},
    )
    err = scim_error(r, 400, "invalidValue")
    assert "Initech" in err["detail"] and "division" in err["detail"]
    assert api.get(USERS, params={"filter": 'userName eq "lost@bpo.example"'}).json()["totalResults"] == 0


def test_duplicate_user_name_is_409_uniqueness(api: httpx.Client) -> None:
    r = api.post(USERS, json={"userName": "AGENT1@acme.bpo.example", "displayName": "Twin"})
    scim_error(r, 409, "uniqueness")


def test_platform_user_is_a_scim_user(api: httpx.Client) -> None:
    home = divisions(api)["Home"]
    r = api.post(
        "/api/v2/users",
        json={"name": "Via Platform", "email": "via.platform@bpo.example", "divisionId": home},
    )
    assert r.status_code == 200, r.text
    uid = r.json()["id"]
    got = api.get(f"{USERS}/{uid}")
    assert got.status_code == 200, got.text
    assert got.json()["userName"] == "via.platform@bpo.example"
    assert got.json()["displayName"] == "Via Platform" and got.json()["active"] is True
    assert got.json()[ENT]["division"] == "Home"


# ---- users: filters ---------------------------------------------------------------------------------
def test_filter_eq_is_case_insensitive_on_user_name(api: httpx.Client) -> None:
    r = api.get(USERS, params={"filter": 'userName eq "AGENT2@ACME.BPO.EXAMPLE"'})
    assert r.status_code == 200, r.text
    assert user_names(r.json()) == ["agent2@acme.bpo.example"]
    assert r.json()["totalResults"] == 1 and r.json()["schemas"] == [
        "urn:ietf:params:scim:api:messages:2.0:ListResponse"
    ]


def test_filter_and_or_parentheses(api: httpx.Client) -> None:
    def names(flt: str) -> list[str]:
        r = api.get(USERS, params={"filter": flt})
        assert r.status_code == 200, r.text
        return sorted(user_names(r.json()))

    assert names('userName eq "agent1@acme.bpo.example" or userName eq "agent3@globex.bpo.example"') == [
        "agent1@acme.bpo.example",
        "agent3@globex.bpo.example",
    ]
    assert names('displayName eq "Acme Agent 1" and active eq true') == ["agent1@acme.bpo.example"]
    assert names('displayName eq "Acme Agent 1" and active eq false') == []
    assert names(
        '(userName eq "agent1@acme.bpo.example" or userName eq "agent1@globex.bpo.example") '
        f'and {ENT}:division eq "{GLOBEX}"'
    ) == ["agent1@globex.bpo.example"]
    assert names(f'division eq "{ACME}" and not (displayName eq "Acme Agent 1")') == [
        "agent2@acme.bpo.example",
        "agent3@acme.bpo.example",
        "agent4@acme.bpo.example",
    ]
    assert names('emails.value eq "dana.ops@bpo.example"') == ["dana.ops@bpo.example"]
    assert names('emails eq "lee.wfm@bpo.example"') == ["lee.wfm@bpo.example"]
    assert names('emails[type eq "other" and value eq "sam.qa@bpo.example"]') == ["sam.qa@bpo.example"]


def test_filter_on_id_and_external_id(api: httpx.Client) -> None:
    made = create(api, "ext@bpo.example", externalId="HR-00042")
    assert made["externalId"] == "HR-00042"
    assert {"authority": "x-pc:scimv2:v1", "value": "HR-00042"} in made[GEN]["externalIds"]
    by_ext = api.get(USERS, params={"filter": 'externalId eq "HR-00042"'}).json()
    assert [u["id"] for u in by_ext["Resources"]] == [made["id"]]
    assert (
        api.get(USERS, params={"filter": 'externalId eq "hr-00042"'}).json()["totalResults"] == 0
    )  # caseExact
    by_id = api.get(USERS, params={"filter": f'id eq "{made["id"]}"'}).json()
    assert user_names(by_id) == ["ext@bpo.example"]
    genesys = api.get(
        USERS, params={"filter": f'{GEN}:externalIds[authority eq "x-pc:scimv2:v1" and value eq "HR-00042"]'}
    ).json()
    assert user_names(genesys) == ["ext@bpo.example"]


def test_filter_value_that_looks_like_an_injection_is_a_literal(api: httpx.Client) -> None:
    evil = 'nobody@bpo.example" or userName eq "agent1@acme.bpo.example'
    quoted = api.get(USERS, params={"filter": f"userName eq {json.dumps(evil)}"})
    assert quoted.status_code == 200, quoted.text
    assert quoted.json()["totalResults"] == 0 and quoted.json()["Resources"] == []
    # what pasting the same text unescaped would have done: a different filter that matches someone
    pasted = api.get(USERS, params={"filter": f'userName eq "{evil}"'})
    assert user_names(pasted.json()) == ["agent1@acme.bpo.example"]
    # a backslash and a quote survive the round trip as characters of one value
    odd = create(api, "o'brien@bpo.example", name='Pat "Quotes" \\ O\'Brien')
    found = api.get(USERS, params={"filter": f"displayName eq {json.dumps(odd['displayName'])}"}).json()
    assert [u["id"] for u in found["Resources"]] == [odd["id"]]


@pytest.mark.parametrize(
    "flt",
    [
        'userName eq "agent1@acme.bpo.example',
        "userName",
        'userName co "agent"',
        'userName gt "a"',
        'nosuchattr eq "x"',
        '(userName eq "a"',
        'userName eq "a" or',
        'userName eq "a" "b"',
        'userName eq "bad \\q escape"',
        "(" * 200 + 'userName eq "a"' + ")" * 200,
        'emails[type eq "work"',
    ],
)
def test_malformed_filter_is_400_invalid_filter(api: httpx.Client, flt: str) -> None:
    scim_error(api.get(USERS, params={"filter": flt}), 400, "invalidFilter")


# ---- users: paging and projection ---------------------------------------------------------------------
def test_paging_with_start_index_and_count(api: httpx.Client) -> None:
    flt = {"filter": f'division eq "{ACME}"'}
    full = api.get(USERS, params=flt).json()
    assert full["totalResults"] == 4 and full["itemsPerPage"] == 4
    everyone = [u["id"] for u in full["Resources"]]
    page = api.get(USERS, params={**flt, "startIndex": 2, "count": 2}).json()
    assert page["startIndex"] == 2 and page["itemsPerPage"] == 2 and page["totalResults"] == 4
    assert [u["id"] for u in page["Resources"]] == everyone[1:3]
    beyond = api.get(USERS, params={**flt, "startIndex": 9, "count": 2}).json()
    assert beyond["Resources"] == [] and beyond["totalResults"] == 4
    only_total = api.get(USERS, params={**flt, "count": 0}).json()
    assert (
        only_total["totalResults"] == 4 and only_total["Resources"] == [] and only_total["itemsPerPage"] == 0
    )
    scim_error(api.get(USERS, params={"count": "many"}), 400, "invalidValue")


def test_count_over_25_is_429_unless_attributes_trim_the_answer(api: httpx.Client) -> None:
    r = api.get(USERS, params={"count": 26})
    scim_error(r, 429)
    assert int(r.headers["retry-after"]) >= 1

    trimmed = api.get(USERS, params={"count": 100, "attributes": "userName,displayName"})
    assert trimmed.status_code == 200, trimmed.text
    body = trimmed.json()
    assert body["totalResults"] == 11 and body["itemsPerPage"] == 11
    for u in body["Resources"]:
        assert set(u) == {"schemas", "id", "active", "userName", "displayName", "meta"}

    excluded = api.get(USERS, params={"count": 30, "excludedAttributes": f"roles,groups,{ENT}:division"})
    assert excluded.status_code == 200, excluded.text
    first = excluded.json()["Resources"][0]
    assert "roles" not in first and "groups" not in first and "division" not in first[ENT]
    assert first["userName"] and first["id"] and "meta" in first


def test_list_defaults_to_active_users_and_active_eq_false_finds_the_others(api: httpx.Client) -> None:
    uid = scim_user(api, "agent4@globex.bpo.example")["id"]
    r = patch(api, uid, {"op": "replace", "path": "active", "value": False})
    assert r.status_code == 200, r.text
    assert r.json()["active"] is False
    assert api.get(f"/api/v2/users/{uid}").json()["state"] == "inactive"

    default = api.get(USERS, params={"filter": f'division eq "{GLOBEX}"'}).json()
    assert "agent4@globex.bpo.example" not in user_names(default) and default["totalResults"] == 3
    inactive = api.get(USERS, params={"filter": "active eq false"}).json()
    assert user_names(inactive) == ["agent4@globex.bpo.example"]

    back = patch(api, uid, {"op": "Replace", "value": {"active": "True"}})  # Azure's spelling
    assert back.status_code == 200, back.text
    assert back.json()["active"] is True
    assert api.get(f"/api/v2/users/{uid}").json()["state"] == "active"


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
