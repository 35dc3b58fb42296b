"""IdP sequences through the bridge over real HTTP to the emulated org: joiner, moves in both
orders, attribute change, leaver, reactivation, hard delete, a person the source may not feed."""

from __future__ import annotations

import time

import httpx

from genesys_emulator import RunningEmulator
from tenantry.bridge.server import RunningBridge

from .idp import EntraClient, OktaClient
from .org import access_history, tenant_access, user, wait_idle


def test_entra_joiner_gets_exactly_its_tenant(
    emu: RunningEmulator, serve: RunningBridge, entra: EntraClient
) -> None:
    entra.test_connection()
    uid = entra.provision("nina.joiner@bpo.example", "Nina", "Joiner")
    gid = entra.group("ACME-Agents")
    assert entra.add_members(gid, uid).status_code == 204
    wait_idle(serve)
    u = user(emu, "nina.joiner@bpo.example")
    assert u is not None and u["state"] == "active"
    assert tenant_access(emu, "nina.joiner@bpo.example") == {"Acme Insurance"}
    assert serve.bridge.latency.samples


def _never_two(emu: RunningEmulator, email: str) -> None:
    history = access_history(emu, email)
    assert history, "no access change was recorded"
    assert all(len(a) <= 1 for a in history), history


def _joined(
    entra: EntraClient, serve: RunningBridge, email: str, group: str = "ACME-Agents"
) -> tuple[str, str]:
    uid = entra.provision(email, "Mo", "Ver")
    gid = entra.group(group)
    assert entra.add_members(gid, uid).status_code == 204
    wait_idle(serve)
    return uid, gid


def _move(entra: EntraClient, uid: str, old: str, new: str, add_first: bool, gap: float) -> None:
    steps = [lambda: entra.add_members(new, uid), lambda: entra.remove_members(old, uid)]
    for i, step in enumerate(steps if add_first else reversed(steps)):
        if i:
            time.sleep(gap)
        assert step().status_code == 204


def test_group_move_add_first_then_remove(
    emu: RunningEmulator, serve: RunningBridge, entra: EntraClient
) -> None:
    uid, acme = _joined(entra, serve, "mo.addfirst@bpo.example")
    assert tenant_access(emu, "mo.addfirst@bpo.example") == {"Acme Insurance"}
    _move(entra, uid, acme, entra.group("GLOBEX-Agents"), add_first=True, gap=0.4)
    wait_idle(serve)
    assert tenant_access(emu, "mo.addfirst@bpo.example") == {"Globex Telecom"}
    assert user(emu, "mo.addfirst@bpo.example")["division"]["name"] == "Globex Telecom"
    _never_two(emu, "mo.addfirst@bpo.example")


def test_group_move_remove_first_then_add(
    emu: RunningEmulator, serve: RunningBridge, entra: EntraClient
) -> None:
    uid, acme = _joined(entra, serve, "mo.removefirst@bpo.example")
    _move(entra, uid, acme, entra.group("GLOBEX-Agents"), add_first=False, gap=0.4)
    wait_idle(serve)
    assert tenant_access(emu, "mo.removefirst@bpo.example") == {"Globex Telecom"}
    _never_two(emu, "mo.removefirst@bpo.example")


def test_add_first_move_slower_than_the_settle_window_waits_in_one_tenant(
    emu: RunningEmulator, serve: RunningBridge, entra: EntraClient
) -> None:
    uid, acme = _joined(entra, serve, "mo.slow@bpo.example")
    globex = entra.group("GLOBEX-Agents")
    entra.add_members(globex, uid)
    wait_idle(serve)  # the settle window passed with the person in both IdP groups
    assert tenant_access(emu, "mo.slow@bpo.example") == {"Acme Insurance"}
    assert "mo.slow@bpo.example" in serve.bridge.waiting
    entra.remove_members(acme, uid)
    wait_idle(serve)
    assert tenant_access(emu, "mo.slow@bpo.example") == {"Globex Telecom"}
    assert "mo.slow@bpo.example" not in serve.bridge.waiting
    _never_two(emu, "mo.slow@bpo.example")


def test_attribute_change_moves_and_a_forbidden_tenant_is_refused(
    emu: RunningEmulator, serve: RunningBridge, entra: EntraClient
) -> None:
    email = "ada.attr@bpo.example"
    uid = entra.provision(email, "Ada", "Attr", department="Sales")
    wait_idle(serve)
    assert tenant_access(emu, email) == set()
    assert entra.update(uid, department="Globex").status_code == 200
    wait_idle(serve)
    assert tenant_access(emu, email) == {"Globex Telecom"}
    refused = entra.update(uid, department="Initech", title="Lead")
    assert refused.status_code == 403
    assert refused.json()["status"] == "403" and "may not feed tenant 'initech'" in refused.json()["detail"]
    stored = entra.get_user(uid)
    assert stored["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["department"] == "Globex"
    assert "title" not in stored
    wait_idle(serve)
    assert tenant_access(emu, email) == {"Globex Telecom"}
    assert user(emu, email)["department"] == "Globex"
    history = serve.bridge.store.history("entra", uid)
    assert [h["status"] for h in history][-1] == 403 and "may not feed" in history[-1]["outcome"]


def test_deactivation_is_a_leaver_and_reactivation_restores_the_current_tenant(
    emu: RunningEmulator, serve: RunningBridge, entra: EntraClient
) -> None:
    email = "lou.leaver@bpo.example"
    uid, _acme = _joined(entra, serve, email)
    assert tenant_access(emu, email) == {"Acme Insurance"}
    assert entra.set_active(uid, False).status_code == 200
    wait_idle(serve)
    assert user(emu, email)["state"] == "inactive"
    assert tenant_access(emu, email) == set()
    # inactive: still readable, filterable, and still in its IdP group
    body = entra.get_user(uid)
    assert body["active"] is False and [g["display"] for g in body["groups"]] == ["ACME-Agents"]
    assert entra.find("Users", "userName", email)[0]["id"] == uid
    assert entra.set_active(uid, True).status_code == 200
    wait_idle(serve)
    assert user(emu, email)["state"] == "active"
    assert tenant_access(emu, email) == {"Acme Insurance"}
    _never_two(emu, email)


def test_hard_delete_deactivates_and_starts_retention(
    emu: RunningEmulator, serve: RunningBridge, entra: EntraClient
) -> None:
    email = "del.gone@bpo.example"
    uid, _ = _joined(entra, serve, email)
    assert entra.delete(uid).status_code == 204
    assert entra.http.get(f"/Users/{uid}").status_code == 404
    assert entra.find("Users", "userName", email) == []
    wait_idle(serve)
    assert user(emu, email)["state"] == "inactive"
    assert tenant_access(emu, email) == set()
    assert email in serve.bridge.journal.leaver_since()


def test_okta_oin_and_aiw_flows(emu: RunningEmulator, serve: RunningBridge, okta: OktaClient) -> None:
    okta.test_connector()
    email = "olga.okta@bpo.example"
    uid = okta.assign(email, "Olga", "Okta")
    gid = okta.push_group("ACME-Agents")
    assert okta.membership(gid, add=(uid,)).status_code == 204
    wait_idle(serve)
    assert tenant_access(emu, email) == {"Acme Insurance"}
    # profile update: the whole GET answer PUT back (id, meta, groups included); the password never returned
    r = okta.put_profile(uid, title="Senior Agent")
    assert r.status_code == 200 and r.json()["title"] == "Senior Agent" and "password" not in r.json()
    assert okta.set_active(uid, False).status_code == 200
    wait_idle(serve)
    assert tenant_access(emu, email) == set() and user(emu, email)["state"] == "inactive"
    assert okta.get_user(uid)["active"] is False
    okta.aiw = True
    assert okta.set_active(uid, True).status_code == 200
    wait_idle(serve)
    assert tenant_access(emu, email) == {"Acme Insurance"}
    assert okta.membership(gid, remove=(uid,)).status_code == 200
    wait_idle(serve)
    assert tenant_access(emu, email) == set()
    _never_two(emu, email)


def test_okta_may_not_feed_globex_nothing_is_stored_nor_applied(
    emu: RunningEmulator, serve: RunningBridge, okta: OktaClient
) -> None:
    email = "gus.globex@bpo.example"
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": email,
        "name": {"givenName": "Gus", "familyName": "Globex"},
        "emails": [{"primary": True, "value": email, "type": "work"}],
        "active": True,
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Globex"},
    }
    r = okta.http.post("/Users", json=body)
    assert r.status_code == 403 and "'okta' may not feed tenant 'globex'" in r.json()["detail"]
    assert okta.find("Users", "userName", email) == []
    # a group push that would put an Okta user into Globex is refused too, membership unchanged
    uid = okta.assign("ok.user@bpo.example", "Ok", "User")
    gid = okta.push_group("GLOBEX-Agents")
    r = okta.membership(gid, add=(uid,))
    assert r.status_code == 403
    assert okta.http.get(f"/Groups/{gid}").json()["members"] == []
    wait_idle(serve)
    assert user(emu, email) is None
    assert tenant_access(emu, "ok.user@bpo.example") == set()


def test_full_reconcile_on_demand_removes_drift(
    emu: RunningEmulator, serve: RunningBridge, entra: EntraClient
) -> None:
    email = "dri.ft@bpo.example"
    _joined(entra, serve, email)
    h = {"Authorization": f"Bearer {emu.token()}"}
    groups = emu.admin.get("/api/v2/groups", params={"pageSize": 100}, headers=h).json()["entities"]
    globex = next(g for g in groups if g["name"] == "Globex Telecom Agents")
    version = emu.admin.get(f"/api/v2/groups/{globex['id']}", headers=h).json()["version"]
    body = {"memberIds": [user(emu, email)["id"]], "version": version}
    emu.admin.post(f"/api/v2/groups/{globex['id']}/members", json=body, headers=h).raise_for_status()
    assert tenant_access(emu, email) == {"Acme Insurance", "Globex Telecom"}  # someone widened it by hand
    admin = {"Authorization": "Bearer admin-secret"}
    r = httpx.post(f"{serve.base_url}/admin/reconcile", json={"all": True}, headers=admin, timeout=120)
    assert r.status_code == 200 and r.json()["ok"] is True
    assert tenant_access(emu, email) == {"Acme Insurance"}
