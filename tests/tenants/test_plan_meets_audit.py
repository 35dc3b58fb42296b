"""Two views of one model must agree: an org that tenantry applied has nothing for the audit to
find, and a violation injected afterwards is found and then planned away by the next apply."""

from __future__ import annotations

import asyncio

from tenantry.audit.engine import audit
from tenantry.genesys.snapshot import read_snapshot

from .conftest import EXAMPLE, Tenantry


def _audit(tenantry: Tenantry):
    async def go():
        async with tenantry.client() as c:
            return audit(await read_snapshot(c), tenantry.cfg)

    return asyncio.run(go())


def test_applied_org_audits_clean_and_a_cross_tenant_grant_is_found_then_removed(tenantry: Tenantry) -> None:
    tenantry.apply(EXAMPLE / "people.csv")
    clean = _audit(tenantry)
    assert [(f.rule, f.subject.name) for f in clean.findings] == []

    emu = tenantry.emu
    h = {"Authorization": f"Bearer {emu.token()}"}
    divisions = {
        d["name"]: d["id"]
        for d in emu.admin.get("/api/v2/authorization/divisions", headers=h).json()["entities"]
    }
    roles = {
        r["name"]: r["id"] for r in emu.admin.get("/api/v2/authorization/roles", headers=h).json()["entities"]
    }
    agent = next(
        u
        for u in emu.admin.get("/api/v2/users", params={"pageSize": 500}, headers=h).json()["entities"]
        if u["email"] == "agent1@acme.bpo.example"
    )
    emu.admin.post(
        f"/api/v2/authorization/subjects/{agent['id']}/bulkadd",
        headers=h,
        json={"grants": [{"roleId": roles["Supervisor"], "divisionId": divisions["Globex Telecom"]}]},
    ).raise_for_status()

    found = _audit(tenantry)
    assert [(f.rule, f.subject.name, f.division.name) for f in found.findings] == [
        ("R02", "agent1@acme.bpo.example", "Globex Telecom")
    ]

    plan, result = tenantry.apply(EXAMPLE / "people.csv")
    assert result.ok and [(b.op, b.target) for b in plan.batches] == [
        ("user.grants.remove", "agent1@acme.bpo.example")
    ]
    assert _audit(tenantry).findings == []
