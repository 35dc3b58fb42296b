"""Constants and helpers of the per-area tests: objects made through the API, grants read back."""

from __future__ import annotations

import httpx

from genesys_emulator import RunningEmulator

ACME = "Acme Insurance"
GLOBEX = "Globex Telecom"
INTERVAL = "2026-10-15T00:00:00Z/2026-11-15T00:00:00Z"
IDP_TYPES = ("okta", "adfs", "onelogin", "ping", "gsuite", "salesforce", "generic")


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
