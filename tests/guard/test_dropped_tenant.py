"""Issue 11 #2: removing a tenant from tenants.yaml must not strand its people in two tenants.

What tenantry made for a tenant stays managed (the journal remembers it) until the tenant is
retired: people of the dropped tenant who move to another lose its groups before they are moved.
"""

from __future__ import annotations

import json
from pathlib import Path

from genesys_emulator import RunningEmulator

from .conftest import DAY1
from .test_rails import copy_example


def drop_initech(text: str) -> str:
    return text[: text.index("  initech:")]


def test_people_of_a_dropped_tenant_do_not_keep_its_access(cli, emu: RunningEmulator, tmp_path: Path) -> None:
    full = copy_example(tmp_path)
    assert cli("apply", "-c", str(full), "--people", str(DAY1), "--auto-approve").exit_code == 0
    before = emu.summary()
    movers = sorted(before["groups"]["Initech Bank Agents"]["members"])
    assert len(movers) > 50
    dropped = tmp_path / "dropped.yaml"
    dropped.write_text(drop_initech(full.read_text()))
    feed = tmp_path / "moved.csv"
    feed.write_text(DAY1.read_text().replace(",INITECH,", ",ACME,"))
    r = cli(
        "apply", "-c", str(dropped), "--people", str(feed), "--auto-approve", "--allow-mass-revoke", "--json"
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout[r.stdout.index("{") :])["verify"] == []
    after = emu.summary()
    assert after["groups"]["Initech Bank Agents"]["members"] == []
    assert after["groups"]["Initech Bank Supervisors"]["members"] == []
    assert set(movers) <= set(after["groups"]["Acme Insurance Agents"]["members"])
    assert "Initech Bank" in after["divisions"]  # never deleted
    # and a second apply has nothing left to do
    r = cli("plan", "-c", str(dropped), "--people", str(feed), "--detailed-exitcode")
    assert r.exit_code == 0, r.output
    assert "tenant initech is no longer in tenants.yaml" in r.stdout


def test_a_retired_tenant_loses_its_grants_but_keeps_its_division(
    cli, emu: RunningEmulator, tmp_path: Path
) -> None:
    full = copy_example(tmp_path)
    assert cli("apply", "-c", str(full), "--people", str(DAY1), "--auto-approve").exit_code == 0
    retired = tmp_path / "retired.yaml"
    retired.write_text(
        drop_initech(full.read_text()).replace(
            "  protected:", "  retired_tenants: [initech]\n  protected:", 1
        )
    )
    feed = tmp_path / "moved.csv"
    feed.write_text(DAY1.read_text().replace(",INITECH,", ",ACME,"))
    r = cli("apply", "-c", str(retired), "--people", str(feed), "--auto-approve", "--allow-mass-revoke")
    assert r.exit_code == 0, r.output
    after = emu.summary()
    assert after["groups"]["Initech Bank Agents"]["grants"] == []
    assert after["groups"]["Initech Bank Agents"]["members"] == []
    assert "Initech Bank" in after["divisions"]
