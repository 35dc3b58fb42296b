"""Helpers of the fidelity tests: SDK model building and small API calls by natural shape."""

from __future__ import annotations

from typing import Any

import httpx

MISMATCH = "does not match the current version"  # the platform's 400 for a stale version


def mk(cls: type, **fields: Any) -> Any:
    obj = cls()
    for key, value in fields.items():
        setattr(obj, key, value)
    return obj


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
