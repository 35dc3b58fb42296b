"""Issue 11 #2: a tenant dropped from tenants.yaml strands nobody in two tenants, whatever journal
plans it, and `tenantry retire` revokes what it still holds, empties its division and keeps it.

Over real HTTP against the emulator, through the command line as a script runs it.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from genesys_emulator import RunningEmulator
from tenantry.cli.main import app
from tenantry.genesys import Credentials, GenesysClient, resolve_target
from tenantry.genesys.api import groups
from tenantry.genesys.snapshot import read_snapshot

from .conftest import EXAMPLE

TENANTS, DAY1 = EXAMPLE / "tenants.yaml", EXAMPLE / "people.csv"
TENANT_DIVISIONS = {"Acme Insurance", "Globex Telecom", "Initech Bank"}
STAFF = {"lee.wfm@bpo.example"}  # BPO staff listed in tenants.yaml: the one who may span tenants


@pytest.fixture
def cli(emu: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable:
    """`tenantry …` in-process, in tmp_path, against the emulator; `journal` names the journal file."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    env = {
        "GENESYSCLOUD_OAUTHCLIENT_ID": emu.client_id,
        "GENESYSCLOUD_OAUTHCLIENT_SECRET": emu.client_secret,
        "GENESYSCLOUD_API_REGION": emu.base_url,
    }

    def run(*args: str, journal: str = "j.db"):
        extra = ["--journal", f"sqlite:///{tmp_path / journal}"]
        return runner.invoke(app, [*args, *extra], env=env, catch_exceptions=False)

    return run


def setup(tmp_path: Path) -> tuple[Path, Path, Path, set[str]]:
    """tenants.yaml, the same without initech, and day 1's feed with initech's people moved to acme
    (but for three who stay INITECH's: they match no tenant now, and stay in its division)."""
    shutil.copytree(EXAMPLE / "certs", tmp_path / "certs", dirs_exist_ok=True)
    full = tmp_path / "tenants.yaml"
    full.write_text(TENANTS.read_text())
    dropped = tmp_path / "dropped.yaml"
    dropped.write_text(full.read_text()[: full.read_text().index("  initech:")])
    feed = tmp_path / "moved.csv"
    lines = DAY1.read_text().splitlines(keepends=True)
    stay = [i for i, line in enumerate(lines) if ",INITECH," in line][:3]
    moved = [line if i in stay else line.replace(",INITECH,", ",ACME,") for i, line in enumerate(lines)]
    feed.write_text("".join(moved))
    return full, dropped, feed, {lines[i].split(",")[1] for i in stay}


def two_tenants(summary: dict) -> list[str]:
    """People (BPO staff aside) who reach more than one tenant's division: grants direct and through
    groups, queues."""
    reach: dict[str, set[str]] = {
        e: {g.split("@", 1)[1] for g in u["grants"]} for e, u in summary["users"].items()
    }
    for g in summary["groups"].values():
        for e in g["members"]:
            reach.setdefault(e, set()).update(x.split("@", 1)[1] for x in g["grants"])
    for q in summary["queues"].values():
        people = set(q["members"])
        for gname in q["memberGroups"]:
            people |= set(summary["groups"][gname]["members"])
        for e in people:
            reach.setdefault(e, set()).add(q["division"])
    return sorted(e for e, divs in reach.items() if len(divs & TENANT_DIVISIONS) > 1 and e not in STAFF)


def add_by_hand(emu: RunningEmulator, group: str, email: str) -> None:
    """Someone puts a person into a group through the API, outside tenantry."""

    async def go() -> None:
        creds = [Credentials.of(emu.client_id, emu.client_secret)]
        async with GenesysClient(resolve_target(emu.base_url), creds, rate_limit=100_000) as c:
            snap = await read_snapshot(c)
            gid = next(g.id for g in snap.groups.values() if g.name == group)
            await groups.add_group_members(c, gid, [snap.user_by_email()[email].id])

    asyncio.run(go())


def client_state(emu: RunningEmulator, name: str) -> str:
    h = {"Authorization": f"Bearer {emu.token()}"}
    clients = emu.admin.get("/api/v2/oauth/clients", headers=h).json()["entities"]
    return next(c["state"] for c in clients if c["name"] == name)


def document(r) -> dict:
    return json.loads(r.stdout[r.stdout.index("{") :])


def test_a_dropped_tenant_is_known_by_its_names_with_a_fresh_journal(
    cli, emu: RunningEmulator, tmp_path: Path
) -> None:
    full, dropped, feed, stay = setup(tmp_path)
    assert cli("apply", "-c", str(full), "--people", str(DAY1), "--auto-approve").exit_code == 0
    movers = emu.summary()["groups"]["Initech Bank Agents"]["members"]
    assert len(movers) > 50
    add_by_hand(emu, "Initech Bank Agents", "sam.qa@bpo.example")  # not in the feed: not tenantry's
    # another machine, another journal: it never saw initech's groups being made
    r = cli(
        "apply", "-c", str(dropped), "--people", str(feed), "--auto-approve", "--allow-mass-revoke", "--json",
        journal="fresh.db",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    out = document(r)
    assert out["verify"] == []
    after = emu.summary()
    # naming alone takes the feed's people out; someone tenantry does not manage is left, reported
    assert after["groups"]["Initech Bank Agents"]["members"] == ["sam.qa@bpo.example"]
    assert after["groups"]["Initech Bank Supervisors"]["members"] == []
    assert set(movers) - stay <= set(after["groups"]["Acme Insurance Agents"]["members"])
    assert two_tenants(after) == []
    assert "Initech Bank" in after["divisions"]
    assert after["groups"]["Initech Bank Agents"]["grants"]  # only dropped: nothing else revoked
    r = cli(
        "plan", "-c", str(dropped), "--people", str(feed), "--detailed-exitcode", "-v", journal="third.db"
    )
    assert r.exit_code == 0, r.output
    assert "members tenantry does not manage left in place (sam.qa@bpo.example)" in " ".join(r.stdout.split())


def test_retire_revokes_empties_the_division_and_keeps_it(cli, emu: RunningEmulator, tmp_path: Path) -> None:
    full, dropped, feed, _ = setup(tmp_path)
    assert cli("apply", "-c", str(full), "--people", str(DAY1), "--auto-approve").exit_code == 0
    r = cli("apply", "-c", str(dropped), "--people", str(feed), "--auto-approve", "--allow-mass-revoke")
    assert r.exit_code == 0, r.output
    before = emu.summary()
    assert before["oauthClients"]["initech-wfm-integration"] == ["Reporting Viewer@Initech Bank"]
    assert client_state(emu, "initech-wfm-integration") == "active"
    assert any(u["division"] == "Initech Bank" for u in before["users"].values())  # its unmatched people
    shown = cli("retire", "initech", "-c", str(dropped), "--json")  # a dry run by default
    assert shown.exit_code == 0, shown.output
    assert document(shown)["phases"] and emu.summary() == before
    r = cli("retire", "initech", "-c", str(dropped), "--apply", "--auto-approve", "--json")
    assert r.exit_code == 0, r.output
    out = document(r)
    assert out["done"] > 0 and out["verify"] == [] and "org.retired_tenants" in out["next"]
    after = emu.summary()
    for name in ("Initech Bank Agents", "Initech Bank Supervisors"):
        assert after["groups"][name] == {"rolesEnabled": True, "grants": [], "members": []}
    assert after["queues"]["Initech Cards"]["memberGroups"] == []
    assert after["queues"]["Initech Cards"]["division"] == "Initech Bank"  # queues stay
    assert after["oauthClients"]["initech-wfm-integration"] == []
    assert client_state(emu, "initech-wfm-integration") == "inactive"  # it mints no token any more
    assert "Initech Bank" in after["divisions"]  # never deleted
    assert [e for e, u in after["users"].items() if u["division"] == "Initech Bank"] == []
    assert not any(g.endswith("@Initech Bank") for u in after["users"].values() for g in u["grants"])
    assert two_tenants(after) == []
    # a second run has nothing left to do
    r = cli("retire", "initech", "-c", str(dropped), "--apply", "--auto-approve", "--json")
    assert r.exit_code == 0, r.output
    assert document(r)["done"] == 0
    assert emu.summary() == after


def test_retire_by_division_name_with_a_fresh_journal(cli, emu: RunningEmulator, tmp_path: Path) -> None:
    full, dropped, feed, _ = setup(tmp_path)
    assert cli("apply", "-c", str(full), "--people", str(DAY1), "--auto-approve").exit_code == 0
    r = cli("apply", "-c", str(dropped), "--people", str(feed), "--auto-approve", "--allow-mass-revoke")
    assert r.exit_code == 0, r.output
    r = cli("retire", "initech", "-c", str(dropped), journal="fresh.db")
    assert r.exit_code == 1 and "division's name" in r.stderr
    r = cli("retire", "Initech Bank", "-c", str(dropped), "--apply", "--auto-approve", journal="fresh.db")
    assert r.exit_code == 0, r.output
    after = emu.summary()
    assert after["groups"]["Initech Bank Agents"]["grants"] == []
    assert after["oauthClients"]["initech-wfm-integration"] == []
    # the journal now remembers the retired tenant's objects: listing it in tenants.yaml agrees
    retired = tmp_path / "retired.yaml"
    retired.write_text(
        dropped.read_text().replace("  protected:", '  retired_tenants: ["Initech Bank"]\n  protected:', 1)
    )
    r = cli("plan", "-c", str(retired), "--people", str(feed), "--detailed-exitcode", journal="fresh.db")
    assert r.exit_code == 0, r.output


def test_retire_refuses_a_listed_tenant_and_an_unknown_one(cli, emu: RunningEmulator, tmp_path: Path) -> None:
    full, dropped, _, _ = setup(tmp_path)
    assert cli("apply", "-c", str(full), "--people", str(DAY1), "--auto-approve").exit_code == 0
    before = emu.summary()
    r = cli("retire", "initech", "-c", str(full), "--apply", "--auto-approve")
    assert r.exit_code == 1
    assert "tenants.yaml" in r.stderr and "tenants.initech" in r.stderr and "still listed" in r.stderr
    r = cli("retire", "Initech Bank", "-c", str(full), "--apply", "--auto-approve", "--json")
    assert r.exit_code == 1 and document(r)["problems"][0]["field"] == "tenants.initech"
    r = cli("retire", "hooli", "-c", str(dropped), "--apply", "--auto-approve")
    assert r.exit_code == 1 and "nothing to retire for 'hooli'" in r.stderr
    assert emu.summary() == before
    both = tmp_path / "both.yaml"
    both.write_text(full.read_text().replace("  protected:", "  retired_tenants: [initech]\n  protected:", 1))
    r = cli("plan", "-c", str(both), "--people", str(DAY1))
    assert r.exit_code == 1 and "org.retired_tenants.0" in r.stderr and "still listed" in r.stderr
