"""Issue 11 #3–#7: the guard rails of the diff itself, over real HTTP.

#3 movers count towards the mass-revoke share; #4 the org's Home is the division the platform
flags; #5 every client of tenantry's own pool is protected; #6 a protected member of a managed
group is skipped and reported without blocking the others; #7 staff cannot make a person span
two tenants.
"""

from __future__ import annotations

import asyncio
import csv
import json
import shutil
import time
from pathlib import Path

from genesys_emulator import RunningEmulator
from tenantry.config import tenants as config
from tenantry.genesys import Credentials, GenesysClient, resolve_target
from tenantry.genesys.snapshot import read_snapshot
from tenantry.inputs import people
from tenantry.planning.desired import build
from tenantry.planning.plan import Plan, diff

from .conftest import DAY1, EXAMPLE, TENANTS, Tenantry, writes


def copy_example(tmp_path: Path, edit=lambda text: text) -> Path:
    """tenants.yaml (and its certificate) in tmp_path, edited."""
    shutil.copytree(EXAMPLE / "certs", tmp_path / "certs", dirs_exist_ok=True)
    path = tmp_path / "tenants.yaml"
    path.write_text(edit(TENANTS.read_text()))
    return path


def swapped_feed(tmp_path: Path) -> Path:
    """Everyone of ACME becomes GLOBEX's and the other way round."""
    rows = list(csv.DictReader(DAY1.open()))
    swap = {"ACME": "GLOBEX", "GLOBEX": "ACME"}
    for r in rows:
        r["client"] = swap.get(r["client"], r["client"])
    out = tmp_path / "swapped.csv"
    with out.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return out


def test_swapping_two_tenants_people_is_a_mass_revoke(cli, tenantry: Tenantry, tmp_path: Path) -> None:
    tenantry.apply(DAY1)
    plan = tenantry.plan(swapped_feed(tmp_path))
    movers = {e for b in plan.batches if b.op == "user.move" for e in b.items}
    assert len(movers) > 100
    assert plan.revoked_users >= len(movers)  # every mover loses its old tenant: it counts
    tenantry.emu.admin.delete("/_emulator/stats")
    r = cli("apply", "-c", str(TENANTS), "--people", "swapped.csv", "--auto-approve")
    assert r.exit_code == 1
    assert f"removes access from {plan.revoked_users} of" in r.stderr
    assert writes(tenantry.emu.stats()) == 0


def test_home_is_the_division_the_platform_flags(cli, emu: RunningEmulator, tmp_path: Path) -> None:
    renamed = copy_example(
        tmp_path, lambda t: t.replace("home_division: Home", "home_division: Headquarters")
    )
    r = cli("plan", "-c", str(renamed), "--people", str(DAY1), "--json")
    assert r.exit_code == 0, r.output
    moves = [b for p in json.loads(r.stdout)["phases"] for b in p["batches"] if b["op"] == "user.move"]
    assert moves == []  # staff stay in the org's Home; nobody is sent to "Headquarters"
    stolen = copy_example(
        tmp_path,
        lambda t: t.replace("home_division: Home", "home_division: Main").replace(
            "division: Initech Bank", "division: Home"
        ),
    )
    r = cli("plan", "-c", str(stolen), "--people", str(DAY1))
    assert r.exit_code == 1
    assert "tenants.initech.division: 'Home' is the org's home division" in r.stderr
    assert "tenants.yaml:66:" in r.stderr


def test_every_client_of_the_pool_is_protected(emu: RunningEmulator, tmp_path: Path) -> None:
    second = emu.new_admin_client("tenantry-pool-2")
    cfg_path = copy_example(
        tmp_path,
        lambda t: t.replace(
            "      - name: acme-reporting\n",
            "      - name: tenantry-pool-2\n        roles: [Agent]\n      - name: acme-reporting\n",
        ),
    )
    cfg = config.load(cfg_path)

    async def plan() -> Plan:
        creds = [Credentials.of(emu.client_id, emu.client_secret), Credentials.of(*second)]
        async with GenesysClient(resolve_target(emu.base_url), creds) as c:
            snap = await read_snapshot(c)
        return diff(cfg, build(cfg, people.load(DAY1)), snap, now=time.time())

    p = asyncio.run(plan())
    assert not [b for b in p.batches if b.target == "tenantry-pool-2"]
    assert "OAuth client 'tenantry-pool-2' is protected; left unchanged" in p.warnings


def test_a_protected_member_does_not_block_the_other_revocations(tenantry: Tenantry, api) -> None:
    users = {
        u["email"]: u["id"] for u in api.get("/api/v2/users", params={"pageSize": 500}).json()["entities"]
    }
    groups = {g["name"]: g for g in api.get("/api/v2/groups", params={"pageSize": 500}).json()["entities"]}
    g = groups["Acme Insurance Agents"]
    intruder = "agent1@globex.bpo.example"  # GLOBEX's: its removal shares the batch with dana's
    body = {"memberIds": [users["dana.ops@bpo.example"], users[intruder]], "version": g["version"]}
    api.post(f"/api/v2/groups/{g['id']}/members", json=body).raise_for_status()
    assert "dana.ops@bpo.example" in tenantry.emu.summary()["groups"]["Acme Insurance Agents"]["members"]
    plan, result = tenantry.apply(DAY1)
    assert (
        "dana.ops@bpo.example in group 'Acme Insurance Agents' is protected; left in place" in plan.warnings
    )
    assert result.ok, result.failed
    members = tenantry.emu.summary()["groups"]["Acme Insurance Agents"]["members"]
    assert "dana.ops@bpo.example" in members
    assert intruder not in members  # everyone else's removal happened


def test_staff_cannot_make_a_person_span_two_tenants(cli, tmp_path: Path) -> None:
    cfg = copy_example(
        tmp_path,
        lambda t: t.replace(
            "      - email: lee.wfm@bpo.example\n        roles: [Reporting Viewer]\n\n  initech:",
            "      - email: lee.wfm@bpo.example\n        roles: [Reporting Viewer]\n"
            "      - email: ben.mendoza.1@bpo.example\n        roles: [Reporting Viewer]\n\n  initech:",
        ),
    )
    assert "ben.mendoza.1" in cfg.read_text()
    r = cli("plan", "-c", str(cfg), "--people", str(DAY1))
    assert r.exit_code == 1
    assert "tenants.globex.staff.1.email" in r.stderr
    assert "a person belongs to at most one tenant" in r.stderr
