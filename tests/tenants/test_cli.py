"""The commands as a script sees them: exit codes, --json, bad input, kill -9 and resume."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from genesys_emulator import RunningEmulator
from support.cli import apply_args, env_for, tenantry_cmd
from tenantry.cli.main import app
from tenantry.execution.journal import Journal

from .conftest import EXAMPLE, Tenantry, writes

TENANTS, DAY1, DAY2 = EXAMPLE / "tenants.yaml", EXAMPLE / "people.csv", EXAMPLE / "people-day2.csv"


@pytest.fixture
def cli(emu: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    journal = f"sqlite:///{tmp_path / 'j.db'}"

    def run(*args: str):
        return runner.invoke(app, [*args, "--journal", journal], env=env_for(emu), catch_exceptions=False)

    return run


def test_plan_detailed_exitcode_and_json(cli, emu: RunningEmulator, tmp_path: Path) -> None:
    r = cli(
        "plan", "-c", str(TENANTS), "--people", str(DAY1), "--detailed-exitcode", "--json", "-o", "plan.json"
    )
    assert r.exit_code == 2, r.output
    data = json.loads(r.stdout)
    assert data["summary"]["tenants"]["acme"]["joiners"] == 120
    assert json.loads((tmp_path / "plan.json").read_text())["fingerprint"] == data["fingerprint"]
    r = cli("apply", "plan.json", "-c", str(TENANTS), "--json")  # tenants.yaml: required (issue 11 #1)
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["ok"] is True
    r = cli("plan", "-c", str(TENANTS), "--people", str(DAY1), "--detailed-exitcode")
    assert r.exit_code == 0, r.output
    assert "No changes" in r.stdout


def test_saved_plan_is_refused_after_the_org_changed(cli, emu: RunningEmulator) -> None:
    assert cli("plan", "-c", str(TENANTS), "--people", str(DAY1), "-o", "plan.json").exit_code == 0
    token = emu.token()
    emu.admin.post(
        "/api/v2/authorization/divisions",
        json={"name": "Someone else's"},
        headers={"Authorization": f"Bearer {token}"},
    ).raise_for_status()
    emu.admin.delete("/_emulator/stats")
    r = cli("apply", "plan.json", "-c", str(TENANTS))
    assert r.exit_code == 1
    assert "the org changed since plan.json was planned" in r.stderr
    assert writes(emu.stats()) == 0


@pytest.mark.parametrize(
    "broken,where",
    [
        ("tenants", "tenants.yaml:7: tenants.acme.groups.Agents.roles: Input should be a valid list"),
        ("people", "people.csv:3: email: 'nobody-at-example' is not a valid email address"),
    ],
)
def test_bad_input_exits_1_names_the_place_and_changes_nothing(
    cli, emu: RunningEmulator, tmp_path: Path, broken: str, where: str
) -> None:
    (tmp_path / "tenants.yaml").write_text(
        "tenants:\n  acme:\n    division: Acme\n    members: [{client: ACME}]\n    groups:\n      Agents:\n"
        + ("        roles: Agent\n" if broken == "tenants" else "        roles: [Agent]\n")
    )
    rows = DAY1.read_text().splitlines()
    if broken == "people":
        cols = rows[2].split(",")
        cols[1] = "nobody-at-example"
        rows[2] = ",".join(cols)
    (tmp_path / "people.csv").write_text("\n".join(rows) + "\n")
    emu.admin.delete("/_emulator/stats")
    r = cli("apply", "-c", "tenants.yaml", "--people", "people.csv", "--auto-approve")
    assert r.exit_code == 1
    assert where in r.stderr
    assert writes(emu.stats()) == 0


def test_mass_revoke_needs_explicit_confirmation(
    cli, tenantry: Tenantry, emu: RunningEmulator, tmp_path: Path
) -> None:
    tenantry.apply(DAY1)
    rows = DAY1.read_text().splitlines()
    out = [rows[0]] + [r.replace(",active,", ",leaver,") if i % 3 == 0 else r for i, r in enumerate(rows[1:])]
    (tmp_path / "leavers.csv").write_text("\n".join(out) + "\n")
    emu.admin.delete("/_emulator/stats")
    r = cli("apply", "-c", str(TENANTS), "--people", "leavers.csv", "--auto-approve")
    assert r.exit_code == 1 and "--allow-mass-revoke" in r.stderr
    assert writes(emu.stats()) == 0
    r = cli("apply", "-c", str(TENANTS), "--people", "leavers.csv", "--auto-approve", "--allow-mass-revoke")
    assert r.exit_code == 0, r.output


def test_move_command_revokes_first_and_verifies(cli, tenantry: Tenantry, emu: RunningEmulator) -> None:
    tenantry.apply(DAY1)
    who = next(
        p.email
        for p in __import__("tenantry.inputs.people").inputs.people.load(DAY1)
        if p.attributes["client"] == "GLOBEX" and p.attributes["title"] == "Agent"
    )
    r = cli("move", who, "--to", "initech", "-c", str(TENANTS), "--auto-approve")
    assert r.exit_code == 0, r.output
    assert "verified" in r.stdout
    org = emu.summary()
    assert org["users"][who]["division"] == "Initech Bank"
    assert sorted(n for n, g in org["groups"].items() if who in g["members"]) == ["Initech Bank Agents"]


def _wait_for_run(db: Path, before: int, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    """Until the journal holds more runs than `before` (the apply has started writing)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if db.exists():
            with contextlib.suppress(Exception):
                rows = (
                    Journal(f"sqlite:///{db}")
                    .engine.connect()
                    .exec_driver_sql("select count(*) from tenantry_runs")
                    .scalar()
                )
                if rows and rows > before:
                    return
        time.sleep(0.05)


def test_kill_9_at_random_moments_then_resume_converges(
    emu: RunningEmulator, tenantry: Tenantry, tmp_path: Path
) -> None:
    """Reference: a clean apply. Then the same input under kill -9, three times, and a final run."""
    tenantry.apply(DAY1)
    reference = emu.summary()
    emu.reset("demo")
    emu.set_rate_limit("60/1s")  # about six seconds of work, so the kills land mid-run
    journal = f"sqlite:///{tmp_path / 'killed.db'}"
    cmd = tenantry_cmd(*apply_args(journal, feed=DAY1, config=TENANTS))
    env = os.environ | env_for(emu)
    rng = random.Random(9)
    kills = 0
    for started in range(3):
        proc = subprocess.Popen(
            cmd, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _wait_for_run(
            tmp_path / "killed.db", started, proc
        )  # kill during the writes, however slow start-up is
        started += 1
        time.sleep(rng.uniform(0.05, 1.0))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
    assert kills >= 2
    done = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert emu.summary() == reference
    tenantry.emu = emu
    assert max(tenantry.users_by_email().values()) == 1
    runs = Journal(journal).engine.connect().exec_driver_sql("select status from tenantry_runs").fetchall()
    assert sorted(r[0] for r in runs).count("interrupted") >= kills - 1
    emu.admin.delete("/_emulator/stats")
    again = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and writes(emu.stats()) == 0
