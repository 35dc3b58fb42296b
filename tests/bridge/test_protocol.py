"""The SCIM service provider as Entra and Okta need it (IDP-SCIM.md §4–§5), over real HTTP."""

from __future__ import annotations

import httpx

from tenantry.bridge.security import RateLimiter
from tenantry.bridge.server import RunningBridge

from .idp import ENTERPRISE, PATCH, USER, EntraClient, OktaClient
from .org import wait_idle


def test_wrong_or_missing_token_is_401_with_a_scim_error_and_counted(serve: RunningBridge) -> None:
    base = serve.scim_url("entra")
    before = serve.bridge.sources["entra"].auth_failures
    for headers in (
        {},
        {"Authorization": "Bearer nope"},
        {"Authorization": "Bearer okta-secret-token-9876543210"},
    ):
        r = httpx.get(f"{base}/Users", headers=headers)
        assert r.status_code == 401 and r.json()["status"] == "401" and r.json()["detail"]
        assert r.headers["content-type"].startswith("application/scim+json")
    assert serve.bridge.sources["entra"].auth_failures == before + 3
    assert httpx.get(f"{serve.base_url}/scim/v2/nosuch/Users").status_code == 404


def test_rate_limit_answers_429_with_retry_after(serve: RunningBridge, okta: OktaClient) -> None:
    serve.bridge.sources["okta"].limiter = RateLimiter(3, 60)
    codes = [okta.http.get("/Users").status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
    r = okta.http.get("/Users")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1 and r.json()["status"] == "429"


def test_body_size_limit(entra: EntraClient) -> None:
    big = {"schemas": [USER], "userName": "big@bpo.example", "title": "x" * 70_000}
    r = entra.http.post("/Users", json=big)
    assert r.status_code == 413 and r.json()["status"] == "413"
    assert entra.find("Users", "userName", "big@bpo.example") == []


def test_filters_paging_and_list_shape(serve: RunningBridge, entra: EntraClient, okta: OktaClient) -> None:
    ids = [entra.provision(f"pager{i}@bpo.example", "Pa", f"Ger{i}") for i in range(5)]
    r = entra.http.get("/Users", params={"filter": 'userName eq "PAGER3@BPO.EXAMPLE"'}).json()
    assert r["totalResults"] == 1 and r["Resources"][0]["id"] == ids[3]
    hit = entra.find("Users", 'emails[type eq "work"].value', "pager2@bpo.example")
    assert [u["id"] for u in hit] == [ids[2]]
    assert entra.find("Users", "externalId", "pager1")[0]["id"] == ids[1]
    both = entra.http.get(
        "/Users", params={"filter": 'externalId eq "pager4" and userName eq "pager4@bpo.example"'}
    )
    assert [u["id"] for u in both.json()["Resources"]] == [ids[4]]
    escaped = entra.http.get("/Users", params={"filter": r'userName eq "we\"ird"'})
    assert escaped.status_code == 200 and escaped.json()["totalResults"] == 0
    bad = entra.http.get("/Users", params={"filter": "userName eq"})
    assert bad.status_code == 400 and bad.json()["scimType"] == "invalidFilter"
    page1 = entra.http.get("/Users", params={"startIndex": 1, "count": 2}).json()
    page2 = entra.http.get("/Users", params={"startIndex": 3, "count": 2}).json()
    assert page1["totalResults"] == 5 and page1["itemsPerPage"] == 2 and page1["startIndex"] == 1
    assert [u["id"] for u in page1["Resources"] + page2["Resources"]] == ids[:4]
    past = entra.http.get("/Users", params={"startIndex": 101, "count": 100}).json()
    assert past["Resources"] == [] and past["totalResults"] == 5
    only = entra.http.get(f"/Users/{ids[0]}", params={"attributes": "userName"}).json()
    assert set(only) == {"schemas", "id", "meta", "userName"}
    # sources are separate worlds
    assert okta.find("Users", "userName", "pager3@bpo.example") == []
    wait_idle(serve)


def test_entra_dialects_on_users(serve: RunningBridge, entra: EntraClient) -> None:
    uid = entra.provision("dia.lect@bpo.example", "Dia", "Lect")
    ops = [
        {"op": "Replace", "path": "active", "value": "False"},
        {"op": "Add", "path": "nickName", "value": "Babs"},
        {"op": "Add", "path": 'phoneNumbers[type eq "mobile"].value', "value": "+63 900"},
        {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": "boss-id"},
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "dia.lect@bpo.example"},
        {
            "op": "replace",
            "value": {"name.givenName": "Di", f"{ENTERPRISE}:employeeNumber": "77", "displayName": "Di L"},
        },
    ]
    r = entra.patch("Users", uid, ops)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["active"] is False and body["nickName"] == "Babs" and body["name"]["givenName"] == "Di"
    assert body["phoneNumbers"] == [{"type": "mobile", "value": "+63 900"}]
    assert body[ENTERPRISE]["manager"]["value"] == "boss-id" and body[ENTERPRISE]["employeeNumber"] == "77"
    assert (
        entra.patch("Users", uid, [{"op": "replace", "path": "active", "value": True}]).json()["active"]
        is True
    )
    bad = entra.patch("Users", uid, [{"op": "Frobnicate", "path": "active", "value": True}])
    assert bad.status_code == 400 and bad.json()["scimType"] == "invalidSyntax"
    assert entra.get_user(uid)["active"] is True
    wait_idle(serve)


def test_member_removal_with_a_value_list_removes_exactly_those(
    serve: RunningBridge, entra: EntraClient
) -> None:
    ids = [entra.provision(f"mem{i}@bpo.example", "Mem", str(i)) for i in range(4)]
    gid = entra.group("Unruled Group")
    entra.add_members(gid, *ids)
    entra.add_members(gid, ids[0])  # adding a member twice is a no-op
    assert entra.remove_members(gid, ids[1]).status_code == 204
    members = entra.http.get(f"/Groups/{gid}").json()["members"]
    assert sorted(m["value"] for m in members) == sorted([ids[0], ids[2], ids[3]])
    entra.compliant = True
    entra.remove_members(gid, ids[2])
    members = entra.http.get(f"/Groups/{gid}").json()["members"]
    assert sorted(m["value"] for m in members) == sorted([ids[0], ids[3]])
    rename = entra.patch("Groups", gid, [{"op": "Replace", "path": "displayName", "value": "Renamed Group"}])
    assert rename.status_code == 204
    assert entra.find("Groups", "displayName", "renamed group")[0]["id"] == gid
    lean = entra.http.get("/Groups", params={"excludedAttributes": "members"}).json()["Resources"]
    assert lean and all("members" not in g for g in lean)
    assert entra.http.delete(f"/Groups/{gid}").status_code == 204
    assert entra.http.get(f"/Groups/{gid}").status_code == 404
    assert entra.get_user(ids[0]).get("groups", []) == []
    wait_idle(serve)


def test_put_replaces_conflicts_etags_and_unknown_ids(serve: RunningBridge, okta: OktaClient) -> None:
    uid = okta.assign("put.me@bpo.example", "Put", "Me", title="Agent", nickName="pm")
    body = okta.get_user(uid)
    body.pop("nickName")
    body["password"] = "echoed-secret"
    r = okta.http.put(f"/Users/{uid}", json=body)
    assert r.status_code == 200 and "nickName" not in r.json() and "password" not in r.json()
    assert "echoed-secret" not in str(serve.bridge.store.get_user("okta", uid).data)
    etag = r.headers["ETag"]
    stale = okta.http.put(f"/Users/{uid}", json=body, headers={"If-Match": 'W/"1"'})
    assert stale.status_code == 412
    assert okta.http.put(f"/Users/{uid}", json=body, headers={"If-Match": etag}).status_code == 200
    assert okta.http.put("/Users/nope", json=body).status_code == 404
    assert okta.http.get("/Users/nope").json()["status"] == "404"
    dup = okta.http.post("/Users", json={"schemas": [USER], "userName": "PUT.ME@bpo.example"})
    assert dup.status_code == 409 and dup.json()["scimType"] == "uniqueness"
    assert okta.patch("Users", uid, [{"op": "remove"}]).status_code == 400
    assert okta.http.patch(f"/Users/{uid}", json={"schemas": [PATCH]}).status_code == 400
    wait_idle(serve)


def test_discovery_endpoints(entra: EntraClient) -> None:
    spc = entra.http.get("/ServiceProviderConfig").json()
    assert spc["patch"]["supported"] is True and spc["etag"]["supported"] is True
    types = entra.http.get("/ResourceTypes").json()
    assert {t["id"] for t in types["Resources"]} == {"User", "Group"}
    assert entra.http.get("/ResourceTypes/User").json()["endpoint"] == "/Users"
    schemas = entra.http.get("/Schemas").json()
    assert ENTERPRISE in {s["id"] for s in schemas["Resources"]}
    assert entra.http.get(f"/Schemas/{USER}").json()["name"] == "User"


def test_every_changing_request_is_recorded(serve: RunningBridge, entra: EntraClient) -> None:
    uid = entra.provision("rec.orded@bpo.example", "Rec", "Orded")
    entra.set_active(uid, False)
    entra.delete(uid)
    entra.http.get(f"/Users/{uid}")
    rows = serve.bridge.store.history("entra", uid)
    assert [(r["method"], r["status"]) for r in rows] == [("POST", 201), ("PATCH", 200), ("DELETE", 204)]
    assert rows[1]["operation"] == "PATCH User replace active" and rows[0]["resource"] == "User"
    assert all("rec.orded" not in r["operation"] for r in rows)
    wait_idle(serve)


def test_healthz_and_admin(serve: RunningBridge) -> None:
    h = httpx.get(f"{serve.base_url}/healthz").json()
    assert h["status"] == "ok" and set(h["sources"]) == {"entra", "okta"}
    assert "token" not in str(h).lower()
    assert httpx.post(f"{serve.base_url}/admin/refresh").status_code == 401
    r = httpx.post(f"{serve.base_url}/admin/refresh", headers={"Authorization": "Bearer admin-secret"})
    assert r.status_code == 200
    assert serve.bridge.index.full_reads >= 1
