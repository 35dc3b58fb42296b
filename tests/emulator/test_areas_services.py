"""Queues, OAuth clients, identity providers, analytics, the admin surface and --state persistence."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from genesys_emulator import RunningEmulator, running_emulator

from .area_helpers import (
    ACME,
    GLOBEX,
    IDP_TYPES,
    INTERVAL,
    add_members,
    bulk,
    grants_of,
    new_division,
    new_group,
    new_user,
    queue_member_ids,
)


# ---- queues -------------------------------------------------------------------------------------
def test_queue_filters(api: httpx.Client, demo, name) -> None:
    acme, globex = demo.divisions[ACME], demo.divisions[GLOBEX]
    extra = name("Acme Claims")
    assert (
        api.post("/api/v2/routing/queues", json={"name": extra, "division": {"id": acme}}).status_code == 200
    )

    def names(**params) -> list[str]:
        return [q["name"] for q in api.get("/api/v2/routing/queues", params=params).json()["entities"]]

    assert names(name=f"{ACME} Support") == [f"{ACME} Support"]
    assert names(name="acme*") == sorted([extra, f"{ACME} Support"], key=str.lower)
    assert names(name="*Support") == [f"{ACME} Support", f"{GLOBEX} Support"]
    assert names(divisionId=acme) == sorted([extra, f"{ACME} Support"], key=str.lower)
    assert names(divisionId=globex) == [f"{GLOBEX} Support"]
    assert names(divisionId=[acme, globex]) == sorted(
        [extra, f"{ACME} Support", f"{GLOBEX} Support"], key=str.lower
    )
    assert names(name="Nope") == []
    q = api.get(f"/api/v2/routing/queues/{demo.queues[f'{ACME} Support']}").json()
    assert q["division"] == {"id": acme, "name": ACME, "selfUri": f"/api/v2/authorization/divisions/{acme}"}
    home_q = api.post("/api/v2/routing/queues", json={"name": name("Homeless")}).json()
    assert home_q["division"]["id"] == demo.divisions["Home"]


def test_queue_direct_members_cap_and_delete(api: httpx.Client, demo, name, error_body) -> None:
    queue = api.post("/api/v2/routing/queues", json={"name": name("Crowded")}).json()["id"]
    users = [u["id"] for u in demo.users.values()] + [
        new_user(api, name("Q member"))["id"] for _ in range(89)
    ]
    assert len(users) == 100
    path = f"/api/v2/routing/queues/{queue}/members"
    error_body(api.post(path, json=[{"id": u} for u in [*users, users[0]]]), 400)
    assert api.post(path, json=[{"id": u} for u in users]).status_code == 204
    listed = api.get(path, params={"pageSize": 100}).json()
    assert len(listed["entities"]) == 100 and all(m["memberBy"] == "user" for m in listed["entities"])
    # the SDK's QueueMemberEntityListing has no total, pageCount or lastUri: neither has the answer
    assert not {"total", "pageCount", "lastUri"} & set(listed)
    assert api.get(f"/api/v2/routing/queues/{queue}").json()["memberCount"] == 100
    assert api.post(f"{path}?delete=true", json=[{"id": u} for u in users[:60]]).status_code == 204
    assert set(queue_member_ids(api, queue)) == set(users[60:])
    assert api.delete(f"/api/v2/routing/queues/{queue}").status_code == 204
    assert api.get(f"/api/v2/routing/queues/{queue}").status_code == 404


def test_member_groups_make_group_members_queue_members(
    emu: RunningEmulator, api: httpx.Client, demo, name
) -> None:
    group = new_group(api, name("Queue group"))
    a, b = new_user(api, name("Via group")), new_user(api, name("Direct"))
    assert add_members(api, group["id"], [a["id"]]).status_code == 202
    qname = name("Bound queue")
    queue = api.post("/api/v2/routing/queues", json={"name": qname}).json()
    qid = queue["id"]
    assert api.post(f"/api/v2/routing/queues/{qid}/members", json=[{"id": b["id"]}]).status_code == 204
    put = {"name": qname, "memberGroups": [{"id": group["id"], "type": "GROUP"}]}
    r = api.put(f"/api/v2/routing/queues/{qid}", json=put)
    assert r.status_code == 200
    assert [(g["id"], g["type"], g["memberCount"]) for g in r.json()["memberGroups"]] == [
        (group["id"], "GROUP", 1)
    ]
    assert queue_member_ids(api, qid) == {a["id"]: "group", b["id"]: "user"}
    assert queue_member_ids(api, qid, memberBy="group") == {a["id"]: "group"}
    assert emu.timeline(a["id"])[-1]["event"] == "queue.member.add"
    # a later group member is a queue member too
    c = new_user(api, name("Late joiner"))
    assert add_members(api, group["id"], [c["id"]]).status_code == 202
    assert set(queue_member_ids(api, qid)) == {a["id"], b["id"], c["id"]}
    assert api.get(f"/api/v2/routing/queues/{qid}").json()["memberCount"] == 3
    # unbinding the group takes its members off the queue
    assert (
        api.put(f"/api/v2/routing/queues/{qid}", json={"name": qname, "memberGroups": []}).status_code == 200
    )
    assert queue_member_ids(api, qid) == {b["id"]: "user"}
    assert emu.timeline(a["id"])[-1]["event"] == "queue.member.remove"
    # deleting a bound group unbinds it
    assert api.put(f"/api/v2/routing/queues/{qid}", json=put).status_code == 200
    assert api.delete(f"/api/v2/groups/{group['id']}").status_code == 204
    assert api.get(f"/api/v2/routing/queues/{qid}").json()["memberGroups"] == []


# ---- OAuth clients ------------------------------------------------------------------------------
def test_oauth_client_secret_is_shown_once(emu: RunningEmulator, api: httpx.Client, demo, name) -> None:
    body = {
        "name": name("Once"),
        "authorizedGrantType": "CLIENT-CREDENTIALS",
        "roleDivisions": [{"roleId": demo.roles["Supervisor"], "divisionId": demo.divisions[ACME]}],
        "accessTokenValiditySeconds": 300,
    }
    created = api.post("/api/v2/oauth/clients", json=body).json()
    assert created["secret"] and created["roleDivisions"] == body["roleDivisions"]
    assert created["roleIds"] == [demo.roles["Supervisor"]]
    assert "secret" not in api.get(f"/api/v2/oauth/clients/{created['id']}").json()
    assert all(
        "secret" not in c and "secretHash" not in c
        for c in api.get("/api/v2/oauth/clients").json()["entities"]
    )
    token = httpx.post(
        f"{emu.base_url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(created["id"], created["secret"]),
    ).json()
    assert token["expires_in"] == 300
    rotated = api.post(f"/api/v2/oauth/clients/{created['id']}/secret").json()["secret"]
    assert rotated != created["secret"]
    old = httpx.post(
        f"{emu.base_url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(created["id"], created["secret"]),
    )
    assert old.status_code == 401
    assert emu.token(created["id"], rotated)


def test_oauth_tokens_carry_exactly_the_role_divisions(
    emu: RunningEmulator, api: httpx.Client, demo, client_with
) -> None:
    acme, globex = demo.divisions[ACME], demo.divisions[GLOBEX]
    sup = client_with([(demo.roles["Supervisor"], acme)])
    assert [q["division"]["id"] for q in sup.get("/api/v2/routing/queues").json()["entities"]] == [acme]
    # the directory is open on the platform: every division's people, to any token
    everyone = {u["division"]["id"] for u in demo.users.values()}
    assert {u["division"]["id"] for u in sup.get("/api/v2/users").json()["entities"]} == everyone
    emu.set_directory_restricted(True)
    assert {u["division"]["id"] for u in sup.get("/api/v2/users").json()["entities"]} == {acme}
    emu.set_directory_restricted(False)
    assert sup.get(f"/api/v2/routing/queues/{demo.queues[f'{GLOBEX} Support']}").status_code == 404
    # Supervisor holds routing:queueMember:manage but not directory:user:add
    acme_q = demo.queues[f"{ACME} Support"]
    dana = demo.users["dana.ops@bpo.example"]["id"]
    assert sup.post(f"/api/v2/routing/queues/{acme_q}/members", json=[{"id": dana}]).status_code == 204
    assert (
        sup.post(
            "/api/v2/users", json={"name": "N", "email": "n@acme.example", "divisionId": acme}
        ).status_code
        == 403
    )
    assert sup.get("/api/v2/oauth/clients").status_code == 403
    assert sup.get("/api/v2/authorization/roles").status_code == 403
    assert sup.put("/api/v2/identityproviders/okta", json={"issuerURI": "x"}).status_code == 403
    analytics = sup.post(
        "/api/v2/analytics/conversations/details/query",
        json={"interval": INTERVAL, "paging": {"pageSize": 100}},
    ).json()
    assert {c["divisionIds"][0] for c in analytics["conversations"]} == {acme}
    # a client and its tokens die together
    clients = api.get("/api/v2/oauth/clients").json()["entities"]
    doomed = next(
        c for c in clients if c["roleDivisions"] == [{"roleId": demo.roles["Supervisor"], "divisionId": acme}]
    )
    # an active client cannot be deleted: it is set inactive first (and its tokens stop working)
    refused = api.delete(f"/api/v2/oauth/clients/{doomed['id']}")
    assert refused.status_code == 400 and "inactive" in refused.json()["message"]
    assert sup.get("/api/v2/routing/queues").status_code == 200
    put = {"name": doomed["name"], "state": "inactive"}
    assert api.put(f"/api/v2/oauth/clients/{doomed['id']}", json=put).status_code == 200
    assert sup.get("/api/v2/routing/queues").status_code == 401
    assert api.delete(f"/api/v2/oauth/clients/{doomed['id']}").status_code == 204
    assert api.get(f"/api/v2/oauth/clients/{doomed['id']}").status_code == 404
    assert globex  # the other tenant never appeared above


def test_token_lifetime_and_expiry(emu: RunningEmulator, api: httpx.Client, name, error_body) -> None:
    for ttl in (299, 172_801, "300"):
        error_body(
            api.post("/api/v2/oauth/clients", json={"name": name("ttl"), "accessTokenValiditySeconds": ttl}),
            400,
        )
    rec = api.post(
        "/api/v2/oauth/clients", json={"name": name("Short"), "accessTokenValiditySeconds": 172_800}
    ).json()
    token = emu.token(rec["id"], rec["secret"])
    with httpx.Client(base_url=emu.base_url, headers={"Authorization": f"Bearer {token}"}) as c:
        assert c.get("/api/v2/authorization/divisions/home").status_code == 200
        assert emu.emulator is not None
        cid, _exp = emu.emulator.org.tokens[token]
        emu.emulator.org.tokens[token] = (cid, time.time() - 1)
        error_body(c.get("/api/v2/authorization/divisions/home"), 401)
    # an inactive client mints no token
    put = {"name": rec["name"], "state": "inactive"}
    assert api.put(f"/api/v2/oauth/clients/{rec['id']}", json=put).status_code == 200
    r = httpx.post(
        f"{emu.base_url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(rec["id"], rec["secret"]),
    )
    assert r.status_code == 400


# ---- identity providers -------------------------------------------------------------------------
@pytest.mark.parametrize("kind", IDP_TYPES)
def test_identity_provider_get_put_delete(api: httpx.Client, kind: str, error_body) -> None:
    path = f"/api/v2/identityproviders/{kind}"
    error_body(api.get(path), 404)
    body = {
        "name": f"{kind} SSO",
        "disabled": False,
        "issuerURI": f"https://{kind}.idp.example/issuer",
        "ssoTargetURI": f"https://{kind}.idp.example/sso",
        "certificate": "MIIDpDCCAoygAwIBAgIGAX",
        "relyingPartyIdentifier": "urn:genesys:tenantry",
        "nameIdentifierFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
    }
    saved = api.put(path, json=body)
    assert saved.status_code == 200
    got = api.get(path).json()
    assert got["id"] == saved.json()["id"] and got["selfUri"] == path
    for key, value in body.items():
        assert got[key] == value, key
    second = api.put(path, json=body | {"disabled": True}).json()
    assert second["id"] == got["id"] and second["disabled"] is True
    listed = api.get("/api/v2/identityproviders").json()["entities"]
    assert [p["id"] for p in listed] == [got["id"]]
    error_body(api.put(path, json={"certificates": "MIIC"}), 400)
    error_body(api.put(path, json={"disabled": "no"}), 400)
    assert api.delete(path).status_code == 200
    error_body(api.get(path), 404)
    assert api.get("/api/v2/identityproviders").json()["entities"] == []


# ---- analytics ----------------------------------------------------------------------------------
def _query(api: httpx.Client, **body) -> dict:
    r = api.post("/api/v2/analytics/conversations/details/query", json={"interval": INTERVAL} | body)
    assert r.status_code == 200, r.text
    return r.json()


def _by_division(*ids: str, kind: str = "or") -> list[dict]:
    return [
        {
            "type": kind,
            "predicates": [{"type": "dimension", "dimension": "divisionId", "value": i} for i in ids],
        }
    ]


def test_analytics_division_predicates(api: httpx.Client, demo) -> None:
    acme, globex = demo.divisions[ACME], demo.divisions[GLOBEX]
    assert _query(api)["totalHits"] == 120
    one = _query(api, conversationFilters=_by_division(acme), paging={"pageSize": 100})
    assert one["totalHits"] == 40 and {c["divisionIds"][0] for c in one["conversations"]} == {acme}
    two = _query(api, conversationFilters=_by_division(acme, globex), paging={"pageSize": 100})
    assert two["totalHits"] == 80 and {c["divisionIds"][0] for c in two["conversations"]} == {acme, globex}
    assert _query(api, conversationFilters=_by_division(acme, globex, kind="and"))["totalHits"] == 0
    nested = [{"type": "and", "clauses": _by_division(acme, globex), "predicates": [
        {"dimension": "originatingDirection", "value": "inbound"}]}]  # fmt: skip
    inbound = _query(api, conversationFilters=nested, paging={"pageSize": 100})
    assert 0 < inbound["totalHits"] < 80
    assert all(c["originatingDirection"] == "inbound" for c in inbound["conversations"])


def test_analytics_interval_and_paging(api: httpx.Client) -> None:
    # the demo starts a conversation every 37 minutes from 2026-11-01T00:00Z
    narrow = _query(api, interval="2026-11-01T00:00:00Z/2026-11-01T06:10:00Z", paging={"pageSize": 100})
    assert narrow["totalHits"] == 10
    assert all(c["conversationStart"] < "2026-11-01T06:10" for c in narrow["conversations"])
    assert _query(api, interval="2025-01-01T00:00:00Z/2025-02-01T00:00:00Z") == {"totalHits": 0}
    pages = [_query(api, paging={"pageSize": 50, "pageNumber": n}) for n in (1, 2, 3, 4)]
    assert [len(p.get("conversations", [])) for p in pages] == [50, 50, 20, 0]
    assert all(p["totalHits"] == 120 for p in pages)
    ids = [c["conversationId"] for p in pages for c in p.get("conversations", [])]
    assert len(set(ids)) == 120
    starts = [c["conversationStart"] for p in pages for c in p.get("conversations", [])]
    assert starts == sorted(starts)
    desc = _query(api, order="desc", paging={"pageSize": 5})
    assert [c["conversationStart"] for c in desc["conversations"]] == sorted(starts, reverse=True)[:5]
    assert len(_query(api)["conversations"]) == 25  # default page size
    r = api.post(
        "/api/v2/analytics/conversations/details/query",
        json={"interval": "2026-12-01T00:00:00Z/2026-11-01T00:00:00Z"},
    )
    assert r.status_code == 400


# ---- admin surface ------------------------------------------------------------------------------
def test_admin_timeline_and_stats(emu: RunningEmulator, api: httpx.Client, demo, name) -> None:
    user = new_user(api, name("Watched"))
    acme = demo.divisions[ACME]
    start = emu.admin.get("/_emulator/timeline").json()["next"]
    assert bulk(api, user["id"], "bulkadd", [(demo.roles["Agent"], acme)]).status_code == 204
    assert add_members(api, demo.groups[f"{ACME} Agents"], [user["id"]]).status_code == 202
    assert bulk(api, user["id"], "bulkremove", [(demo.roles["Agent"], acme)]).status_code == 204
    rows = emu.admin.get("/_emulator/timeline", params={"since": start, "subjectId": user["id"]}).json()[
        "events"
    ]
    assert [r["event"] for r in rows] == ["grant.add", "group.member.add", "grant.remove"]
    assert all(r["subjectId"] == user["id"] and r["ts"] > 0 for r in rows)
    assert [r["seq"] for r in rows] == sorted(r["seq"] for r in rows)
    # access is by grant (and queue): Acme by the new grant, Home by the default role (employee)
    assert rows[0]["access"] == sorted([acme, demo.divisions["Home"]])
    # still in Acme through the group's grants after the direct grant went
    assert acme in rows[-1]["access"]
    everyone = emu.timeline()
    assert {r["subjectId"] for r in everyone} >= {user["id"]}

    emu.admin.delete("/_emulator/stats").raise_for_status()
    for _ in range(3):
        api.get(f"/api/v2/users/{user['id']}")
    api.get("/api/v2/users/00000000-0000-4000-8000-000000000000")
    stats = emu.stats()
    assert stats["calls"]["GET /api/v2/users/{userId}"] == {"200": 3, "404": 1}
    assert stats["calls"]["DELETE /_emulator/stats"] == {"200": 1}  # the admin surface counts too
    assert stats["total"] == 5 and stats["faults"] == {}

    summary = emu.summary()
    assert summary["divisions"] == sorted([ACME, GLOBEX, "Home"])
    assert summary["users"][user["email"]]["division"] == "Home"
    assert user["email"] in summary["groups"][f"{ACME} Agents"]["members"]
    assert summary["queues"][f"{ACME} Support"]["memberGroups"] == [f"{ACME} Agents"]


def test_admin_reset_to_another_seed_keeps_admin_credentials(emu: RunningEmulator) -> None:
    emu.reset("empty")
    with httpx.Client(base_url=emu.base_url, headers={"Authorization": f"Bearer {emu.token()}"}) as api:
        assert [d["name"] for d in api.get("/api/v2/authorization/divisions").json()["entities"]] == ["Home"]
        assert api.get("/api/v2/users").json()["total"] == 0
        roles = {r["name"] for r in api.get("/api/v2/authorization/roles").json()["entities"]}
        assert {
            "Master Admin",
            "employee",
            "Agent",
            "Supervisor",
            "Reporting Viewer",
            "User Administrator",
        } <= roles


# ---- --state --------------------------------------------------------------------------------------
def test_state_file_keeps_the_org_across_restarts(tmp_path: Path) -> None:
    state = tmp_path / "org.json"
    with (
        running_emulator(seed="demo", state_file=str(state)) as emu,
        httpx.Client(base_url=emu.base_url, headers={"Authorization": f"Bearer {emu.token()}"}) as api,
    ):
        div = new_division(api, "Persistent")
        user = new_user(api, "Kept User", div)
        roles = api.get("/api/v2/authorization/roles").json()["entities"]
        agent = next(r["id"] for r in roles if r["name"] == "Agent")
        assert bulk(api, user["id"], "bulkadd", [(agent, div)]).status_code == 204
        group = new_group(api, "Kept group")
        assert add_members(api, group["id"], [user["id"]]).status_code == 202
        okta = {"issuerURI": "https://okta.example"}
        assert api.put("/api/v2/identityproviders/okta", json=okta).status_code == 200
        first_secret = emu.client_secret
        before = emu.summary()
    assert state.is_file()
    with running_emulator(seed="empty", state_file=str(state)) as emu:
        assert emu.summary() == before  # the state file wins over the seed
        with httpx.Client(base_url=emu.base_url, headers={"Authorization": f"Bearer {emu.token()}"}) as api:
            got = api.get(f"/api/v2/users/{user['id']}").json()
            assert got["division"]["id"] == div and got["division"]["name"] == "Persistent"
            employee = next(r["id"] for r in roles if r["name"] == "employee")
            home = api.get("/api/v2/authorization/divisions/home").json()["id"]
            assert grants_of(api, user["id"]) == {(agent, div), (employee, home)}
            members = api.get(f"/api/v2/groups/{group['id']}/members").json()["entities"]
            assert [m["id"] for m in members] == [user["id"]]
            assert api.get("/api/v2/identityproviders/okta").json()["issuerURI"] == "https://okta.example"
        # the admin client got a fresh secret; the old one no longer mints tokens
        old = httpx.post(
            f"{emu.base_url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(emu.client_id, first_secret),
        )
        assert old.status_code == 401
