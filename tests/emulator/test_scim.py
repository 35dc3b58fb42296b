"""The SCIM 2.0 area, Genesys flavour, reading: SCIM users are the org's users, divisions travel
by name in the enterprise extension, filters are parsed (never pasted), paging and projection
behave like the platform."""

from __future__ import annotations

import json

import httpx
import pytest

from .scim_helpers import (
    ACME,
    CORE_USER,
    ENT,
    GEN,
    GLOBEX,
    USERS,
    create,
    divisions,
    patch,
    scim_error,
    scim_user,
    user_names,
)


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
