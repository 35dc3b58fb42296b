"""Plan and apply against the emulator over real HTTP: first apply, idempotence, movers,
leavers and re-joiners, guard rails."""

from __future__ import annotations

import dataclasses
import time

from tenantry.execution.executor import Guard, GuardError
from tenantry.inputs.people import load
from tenantry.planning.plan import Batch

from .conftest import EXAMPLE, Tenantry, writes

DAY1, DAY2 = EXAMPLE / "people.csv", EXAMPLE / "people-day2.csv"


def test_first_apply_builds_every_tenant_then_second_apply_writes_nothing(tenantry: Tenantry) -> None:
    plan, result = tenantry.apply(DAY1)
    assert result.ok and result.done == plan.changes > 300
    org = tenantry.emu.summary()
    assert {"Acme Insurance", "Globex Telecom", "Initech Bank"} <= set(org["divisions"])
    feed = load(DAY1)
    acme = [p.email for p in feed if p.attributes["client"] == "ACME"]
    assert sorted(org["groups"]["Acme Insurance Agents"]["members"]) == sorted(acme)
    assert org["groups"]["Acme Insurance Agents"]["grants"] == [
        "Agent@Acme Insurance",
        "employee@Acme Insurance",
    ]
    assert org["queues"]["Acme Claims"]["memberGroups"] == [
        "Acme Insurance Agents",
        "Acme Insurance Supervisors",
    ]
    assert org["queues"]["Acme Claims"]["division"] == "Acme Insurance"
    assert org["oauthClients"]["acme-reporting"] == ["Reporting Viewer@Acme Insurance"]
    assert org["identityProviders"] == ["generic"]
    sso = tenantry.emu.admin.get(
        "/api/v2/identityproviders/generic", headers={"Authorization": f"Bearer {tenantry.emu.token()}"}
    ).json()
    assert sso["issuerURI"] == "https://idp.bpo.example/saml/metadata" and sso["name"] == "BPO Identity"
    assert "BEGIN" not in sso["certificate"] and len(sso["certificate"]) > 500
    assert org["users"]["lee.wfm@bpo.example"]["grants"] == [
        "Reporting Viewer@Acme Insurance",
        "Reporting Viewer@Globex Telecom",
        "employee@Home",
    ]
    for p in feed:
        if p.attributes["client"] == "INITECH":
            assert org["users"][p.email]["division"] == "Initech Bank"
    assert max(tenantry.users_by_email().values()) == 1

    tenantry.emu.admin.delete("/_emulator/stats")
    again, result = tenantry.apply(DAY1)
    assert again.changes == 0 and result.done == 0
    assert writes(tenantry.emu.stats()) == 0


def test_movers_never_hold_two_tenants(tenantry: Tenantry) -> None:
    tenantry.apply(DAY1)
    before = {p.email: p.attributes["client"] for p in load(DAY1)}
    movers = {
        p.email for p in load(DAY2) if p.active and before.get(p.email) not in (None, p.attributes["client"])
    }
    assert len(movers) == 20
    org = tenantry.emu.summary()
    ids = {email: u for email, u in org["users"].items()}
    plan, result = tenantry.apply(DAY2)
    assert result.ok
    assert sum(s.movers_in for s in plan.tenants.values()) == 20
    divisions = {
        d["name"]: d["id"]
        for d in tenantry.emu.admin.get(
            "/api/v2/authorization/divisions", headers={"Authorization": f"Bearer {tenantry.emu.token()}"}
        ).json()["entities"]
    }
    tenant_divs = {divisions[n] for n in ("Acme Insurance", "Globex Telecom", "Initech Bank")}
    after = tenantry.emu.summary()["users"]
    checked = 0
    for email in movers:
        uid = _user_id(tenantry, email)
        events = tenantry.emu.timeline(uid)
        assert events, f"no timeline for mover {email}"
        for e in events:
            held = tenant_divs.intersection(e["access"])
            assert len(held) <= 1, f"{email} held {held} after {e['event']}"
        assert after[email]["division"] != ids[email]["division"]
        checked += 1
    assert checked == 20


def _user_id(tenantry: Tenantry, email: str) -> str:
    """The user's id by search, waiting out the platform's search index lag (a few seconds)."""
    deadline = time.monotonic() + 10
    while True:
        r = tenantry.emu.admin.post(
            "/api/v2/users/search",
            headers={"Authorization": f"Bearer {tenantry.emu.token()}"},
            json={
                "query": [
                    {"type": "EXACT", "fields": ["email"], "values": [email]},
                    {"type": "EXACT", "fields": ["state"], "values": ["active", "inactive"]},
                ]
            },
        )
        if r.json()["results"] or time.monotonic() > deadline:
            return r.json()["results"][0]["id"]
        time.sleep(0.2)


def test_leavers_lose_everything_and_rejoiners_get_only_their_current_tenant(tenantry: Tenantry) -> None:
    tenantry.apply(DAY1)
    day2 = load(DAY2)
    leavers = {p.email for p in day2 if not p.active}
    tenantry.apply(DAY2)
    org = tenantry.emu.summary()
    for email in leavers:
        u = org["users"][email]
        assert u["state"] == "inactive" and u["grants"] == ["employee@Home"]  # the platform default only
        assert all(email not in g["members"] for g in org["groups"].values())
    assert set(tenantry.journal.leaver_since()) == leavers

    back = sorted(leavers)[0]
    day3 = [
        dataclasses.replace(p, status="active", attributes=p.attributes | {"client": "ACME", "site": "MNL"})
        if p.email == back
        else p
        for p in day2
    ]
    plan, result = tenantry.apply(day3)
    assert result.ok and plan.tenants["acme"].rejoiners == 1
    org = tenantry.emu.summary()
    assert org["users"][back]["state"] == "active" and org["users"][back]["division"] == "Acme Insurance"
    holding = sorted(name for name, g in org["groups"].items() if back in g["members"])
    assert holding == ["Acme Insurance Agents"]
    assert back not in tenantry.journal.leaver_since()


def test_rejoiner_deleted_after_retention_is_restored_with_its_id_and_only_its_new_tenant(
    tenantry: Tenantry,
) -> None:
    """Deleted users keep their email on the platform: creating it again answers 409, so the
    re-joiner is restored (same id) and given exactly its current tenant's access."""
    tenantry.apply(DAY1)
    day2 = load(DAY2)
    back = sorted(p.email for p in day2 if not p.active and p.attributes["client"] == "INITECH")[0]
    old_id = _user_id(tenantry, back)
    tenantry.apply(DAY2)  # leaver: deactivated
    org_settings = tenantry.cfg.org.model_copy(update={"leaver_retention_days": 0})
    tenantry.cfg = tenantry.cfg.model_copy(update={"org": org_settings})
    plan, result = tenantry.apply(DAY2)  # retention over: deleted
    assert result.ok and ("delete", "user.delete", back) in {(b.phase, b.op, b.target) for b in plan.batches}
    assert back not in tenantry.emu.summary()["users"]

    day3 = [
        dataclasses.replace(p, status="active", attributes=p.attributes | {"client": "ACME", "site": "MNL"})
        if p.email == back
        else p
        for p in day2
    ]
    plan, result = tenantry.apply(day3)
    assert result.ok, result.failed
    assert _user_id(tenantry, back) == old_id  # restored, not created again
    org = tenantry.emu.summary()
    u = org["users"][back]
    assert (u["state"], u["division"], u["grants"]) == ("active", "Acme Insurance", ["employee@Home"])
    assert sorted(n for n, g in org["groups"].items() if back in g["members"]) == ["Acme Insurance Agents"]
    assert sorted(n for n, q in org["queues"].items() if back in q["members"]) == []
    assert max(tenantry.users_by_email().values()) == 1
    _, again = tenantry.apply(day3)
    assert again.ok and again.done == 0  # converged


def test_protected_people_are_never_changed(tenantry: Tenantry) -> None:
    feed = load(DAY1)
    dana = dataclasses.replace(feed[0], hr_id="X1", email="dana.ops@bpo.example")
    plan, _ = tenantry.apply([*feed, dana])
    assert "user dana.ops@bpo.example is protected; left unchanged" in plan.warnings
    assert tenantry.emu.summary()["users"]["dana.ops@bpo.example"]["division"] == "Home"


def test_guard_refuses_all_division_grants_and_protected_targets() -> None:
    guard = Guard(org_admins=frozenset({"boss@x.com"}), protected=frozenset({"vip@x.com"}))
    star = [["Master Admin", "*"]]
    for b in (
        Batch("grant", "user.grants.add", "agent@x.com", star),
        Batch("grant", "group.grants.add", "Acme Agents", star),
        Batch("oauth-clients", "client.create", "c", [{"grants": star, "ttl": 3600}]),
        Batch("revoke", "user.deactivate", "vip@x.com"),
        Batch("grant", "group.members.add", "G", ["vip@x.com"]),
        Batch("divisions", "division.delete", "Acme"),
    ):
        try:
            guard.check(b)
        except GuardError:
            continue
        raise AssertionError(f"{b.op} on {b.target} passed the guard")
    guard.check(Batch("grant", "user.grants.add", "boss@x.com", star))  # an org admin may


def test_a_saved_plan_with_a_forbidden_grant_fails_that_batch_and_stops(tenantry: Tenantry) -> None:
    plan = tenantry.plan(DAY1)
    plan.batches.insert(
        0, Batch("divisions", "user.grants.add", "agent1@acme.bpo.example", [["Master Admin", "*"]])
    )
    tenantry.emu.admin.delete("/_emulator/stats")
    _, result = tenantry.apply(DAY1, plan)
    assert not result.ok and result.stopped_after == "divisions"
    assert "only for the configured org admins" in result.failed[0][1]
    assert writes(tenantry.emu.stats()) == 1  # the division create of the same phase; nothing after it
    assert tenantry.emu.summary()["users"]["agent1@acme.bpo.example"]["grants"] == ["employee@Home"]
