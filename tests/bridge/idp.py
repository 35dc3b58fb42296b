"""Entra-like and Okta-like SCIM clients, from the request sequences of IDP-SCIM.md (§1, §2).

They send what the real provisioning clients send: Entra's legacy dialect by default (capitalised
ops, "True"/"False" strings, Remove members with a value list) or the aadOptscim062020 one; Okta's
OIN PATCHes with the `{id, displayName}` replace, or its AIW read-modify-write PUTs.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx

ENTRA_TOKEN = "entra-secret-token-0123456789"
OKTA_TOKEN = "okta-secret-token-9876543210"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def _ok(r: httpx.Response) -> httpx.Response:
    if r.status_code >= 400:
        raise AssertionError(f"{r.request.method} {r.request.url} → {r.status_code}: {r.text}")
    return r


class _Client:
    token = ""
    content_type = "application/scim+json"

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(
            base_url=base_url,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": self.content_type},
            timeout=60,
        )

    def __enter__(self) -> _Client:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.http.close()

    def patch(self, kind: str, rid: str, ops: list[dict[str, Any]]) -> httpx.Response:
        return self.http.patch(f"/{kind}/{rid}", json={"schemas": [PATCH], "Operations": ops})

    def get_user(self, uid: str) -> dict[str, Any]:
        return _ok(self.http.get(f"/Users/{uid}")).json()

    def find(self, kind: str, attr: str, value: str, **params: Any) -> list[dict[str, Any]]:
        r = _ok(self.http.get(f"/{kind}", params={"filter": f'{attr} eq "{value}"', **params}))
        return r.json()["Resources"]


class EntraClient(_Client):
    """Microsoft Entra ID's provisioning service (custom non-gallery app)."""

    token = ENTRA_TOKEN

    def __init__(self, base_url: str, *, compliant: bool = False) -> None:
        super().__init__(base_url)
        self.compliant = compliant  # the aadOptscim062020 flag

    def test_connection(self) -> None:
        probe = str(uuid.uuid4())
        r = _ok(self.http.get("/Users", params={"filter": f'userName eq "{probe}"'}))
        assert r.status_code == 200 and r.json()["totalResults"] == 0 and r.json()["Resources"] == []
        r = _ok(
            self.http.get(
                "/Groups", params={"excludedAttributes": "members", "filter": f'displayName eq "{probe}"'}
            )
        )
        assert r.json()["totalResults"] == 0

    def provision(
        self, upn: str, given: str, family: str, *, department: str | None = None, nick: str = ""
    ) -> str:
        """Match by userName, else create; the id Entra caches."""
        hits = self.find("Users", "userName", upn)
        if hits:
            return hits[0]["id"]
        body: dict[str, Any] = {
            "schemas": [USER, ENTERPRISE],
            "externalId": nick or upn.split("@")[0],
            "userName": upn,
            "active": True,
            "emails": [{"primary": True, "type": "work", "value": upn}],
            "meta": {"resourceType": "User"},
            "name": {"formatted": f"{given} {family}", "familyName": family, "givenName": given},
            "roles": [],
            ENTERPRISE: {"employeeNumber": str(abs(hash(upn)) % 100000)},
        }
        if department:
            body[ENTERPRISE]["department"] = department
        r = _ok(self.http.post("/Users", json=body))
        assert r.status_code == 201 and r.json()["id"]
        return r.json()["id"]

    def update(self, uid: str, **changes: str) -> httpx.Response:
        """GET, then PATCH only what differs: one Replace per attribute, or one path-less replace."""
        self.get_user(uid)
        paths = {
            "department": f"{ENTERPRISE}:department",
            "given": "name.givenName",
            "family": "name.familyName",
            "title": "title",
            "display": "displayName",
        }
        if self.compliant:
            return self.patch(
                "Users", uid, [{"op": "replace", "value": {paths[k]: v for k, v in changes.items()}}]
            )
        return self.patch(
            "Users", uid, [{"op": "Replace", "path": paths[k], "value": v} for k, v in changes.items()]
        )

    def set_active(self, uid: str, active: bool) -> httpx.Response:
        value: Any = active if self.compliant else ("True" if active else "False")
        op = "replace" if self.compliant else "Replace"
        return self.patch("Users", uid, [{"op": op, "path": "active", "value": value}])

    def delete(self, uid: str) -> httpx.Response:
        return self.http.delete(f"/Users/{uid}")

    def group(self, name: str) -> str:
        hits = self.find("Groups", "displayName", name, excludedAttributes="members")
        if hits:
            assert "members" not in hits[0]
            return hits[0]["id"]
        body = {
            "schemas": [GROUP, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
            "externalId": str(uuid.uuid4()),
            "displayName": name,
            "meta": {"resourceType": "Group"},
        }
        return _ok(self.http.post("/Groups", json=body)).json()["id"]

    def add_members(self, gid: str, *uids: str) -> httpx.Response:
        op = "add" if self.compliant else "Add"
        return self.patch(
            "Groups",
            gid,
            [{"op": op, "path": "members", "value": [{"$ref": None, "value": u} for u in uids]}],
        )

    def remove_members(self, gid: str, *uids: str) -> httpx.Response:
        if self.compliant:
            return self.patch(
                "Groups", gid, [{"op": "remove", "path": f'members[value eq "{u}"]'} for u in uids]
            )
        return self.patch(
            "Groups", gid, [{"op": "Remove", "path": "members", "value": [{"value": u} for u in uids]}]
        )


class OktaClient(_Client):
    """Okta's SCIM 2.0 client: OIN (PATCH for active and groups) or AIW (PUT for everything)."""

    token = OKTA_TOKEN
    content_type = "application/scim+json; charset=utf-8"

    def __init__(self, base_url: str, *, aiw: bool = False) -> None:
        super().__init__(base_url)
        self.http.headers["User-Agent"] = "Okta SCIM Client 1.0.0"
        self.aiw = aiw
        self.group_names: dict[str, str] = {}

    def test_connector(self) -> None:
        r = _ok(self.http.get("/Users", params={"startIndex": 1, "count": 2}))
        assert isinstance(r.json()["totalResults"], int) and isinstance(r.json()["itemsPerPage"], int)
        _ok(self.http.get("/Groups", params={"startIndex": 1, "count": 100}))

    def assign(self, login: str, given: str, family: str, **extra: Any) -> str:
        hits = self.find("Users", "userName", login, startIndex=1, count=100)
        if hits:
            return hits[0]["id"]
        body = {
            "schemas": [USER],
            "userName": login,
            "name": {"givenName": given, "familyName": family},
            "emails": [{"primary": True, "value": login, "type": "work"}],
            "displayName": f"{given} {family}",
            "locale": "en-US",
            "externalId": "00u" + uuid.uuid4().hex[:17],
            "groups": [],
            "password": "1mz050nq",
            "active": True,
            **extra,
        }
        r = _ok(self.http.post("/Users", json=body))
        assert r.status_code == 201 and r.json()["userName"] == login, r.text
        return r.json()["id"]

    def put_profile(self, uid: str, **changes: Any) -> httpx.Response:
        """Okta's read-modify-write: the GET answer, changed, PUT back whole (id, meta and all)."""
        body = self.get_user(uid)
        body.update(changes)
        return self.http.put(f"/Users/{uid}", json=body)

    def set_active(self, uid: str, active: bool) -> httpx.Response:
        if self.aiw:
            return self.put_profile(uid, active=active)
        return self.patch("Users", uid, [{"op": "replace", "value": {"active": active}}])

    def push_group(self, name: str) -> str:
        hits = self.find("Groups", "displayName", name, startIndex=1, count=100)
        gid = (
            hits[0]["id"]
            if hits
            else _ok(
                self.http.post("/Groups", json={"schemas": [GROUP], "displayName": name, "members": []})
            ).json()["id"]
        )
        self.group_names[gid] = name
        return gid

    def membership(self, gid: str, add: tuple[str, ...] = (), remove: tuple[str, ...] = ()) -> httpx.Response:
        if self.aiw:
            group = _ok(self.http.get(f"/Groups/{gid}")).json()
            members = [m for m in group.get("members", []) if m["value"] not in remove]
            members += [{"value": u} for u in add if all(m["value"] != u for m in members)]
            return self.http.put(f"/Groups/{gid}", json={**group, "members": members})
        ops: list[dict[str, Any]] = [{"op": "remove", "path": f'members[value eq "{u}"]'} for u in remove]
        if add:
            ops.append({"op": "add", "path": "members", "value": [{"value": u, "display": u} for u in add]})
        ops.append({"op": "replace", "value": {"id": gid, "displayName": self.group_names[gid]}})
        return self.patch("Groups", gid, ops)
