"""Constants and helpers of the SCIM tests: error shape, lookups by name, PATCH bodies."""

from __future__ import annotations

import json
from typing import Any

import httpx

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
