"""Issue 11 #1 and #15 (saved plans), issue 10 (typed ops, plan JSON validated on load).

A saved plan is untrusted input: the guard rails come from tenants.yaml and the org, never from
the file; every batch must be signed by this machine or be one a fresh diff would produce; a
malformed file is a file:line error, exit 1, and nothing is written.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from genesys_emulator import RunningEmulator
from tenantry.planning.batching import PHASES, batch_id

from .conftest import DAY1, TENANTS, writes

AGENT = "agent2@acme.bpo.example"
PROTECTED = "dana.ops@bpo.example"


def forged(phase: str, op: str, target: str, items: list) -> dict:
    """A batch as an attacker writes it: with a correctly recomputed id."""
    return {
        "id": batch_id(phase, op, target, items),
        "op": op,
        "target": target,
        "items": items,
        "tenant": None,
    }


def add_batch(data: dict, phase: str, batch: dict) -> None:
    """Into its phase, which is added in tenantry's order when the plan has none."""
    by = {p["name"]: p for p in data["phases"]}
    by.setdefault(phase, {"name": phase, "batches": []})["batches"].append(batch)
    data["phases"] = [by[name] for name in PHASES if name in by]


def edit(path: Path) -> dict:
    data = json.loads(path.read_text())
    data["settings"] |= {"org_admins": [AGENT], "protected": [], "mass_revoke_threshold": 1.0}
    add_batch(data, "grant", forged("grant", "user.grants.add", AGENT, [["Master Admin", "*"]]))
    add_batch(data, "revoke", forged("revoke", "user.deactivate", PROTECTED, []))
    add_batch(data, "revoke", forged("revoke", "user.deactivate", "agent3@acme.bpo.example", []))
    path.write_text(json.dumps(data, indent=1))
    return data


def test_an_edited_plan_cannot_grant_master_admin_or_touch_protected_people(
    cli, emu: RunningEmulator, tmp_path: Path
) -> None:
    assert cli("plan", "-c", str(TENANTS), "--people", str(DAY1), "-o", "plan.json").exit_code == 0
    edit(tmp_path / "plan.json")
    before = emu.summary()
    emu.admin.delete("/_emulator/stats")
    for extra in ([], ["--people", str(DAY1)]):
        r = cli("apply", "plan.json", "-c", str(TENANTS), "--auto-approve", *extra)
        assert r.exit_code == 1, r.output
        assert "refused, nothing applied" in r.stderr
        grant_id = forged("grant", "user.grants.add", AGENT, [["Master Admin", "*"]])["id"]
        assert f"batch {grant_id}" in r.stderr and "only for the configured org admins" in r.stderr
        assert "protected subjects are never changed" in r.stderr
    # with the feed, the batch the guard allows but no fresh plan would contain is named too
    assert "(user.deactivate on agent3@acme.bpo.example): a fresh plan would not do this" in r.stderr
    assert writes(emu.stats()) == 0
    assert emu.summary() == before


def test_a_saved_plan_needs_tenants_yaml(cli, emu: RunningEmulator) -> None:
    assert cli("plan", "-c", str(TENANTS), "--people", str(DAY1), "-o", "plan.json").exit_code == 0
    emu.admin.delete("/_emulator/stats")
    r = cli("apply", "plan.json", "--auto-approve")
    assert r.exit_code == 1
    assert "tenants.yaml (-c) is required" in r.stderr
    assert writes(emu.stats()) == 0


def test_an_unsigned_plan_is_checked_against_a_fresh_diff(cli, emu: RunningEmulator, tmp_path: Path) -> None:
    assert cli("plan", "-c", str(TENANTS), "--people", str(DAY1), "-o", "plan.json").exit_code == 0
    path = tmp_path / "plan.json"
    data = json.loads(path.read_text())
    del data["signature"]
    path.write_text(json.dumps(data))
    r = cli("apply", "plan.json", "-c", str(TENANTS), "--auto-approve")
    assert r.exit_code == 1 and "it is not signed" in r.stderr
    r = cli("apply", "plan.json", "-c", str(TENANTS), "--people", str(DAY1), "--auto-approve", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["done"] == sum(len(p["batches"]) for p in data["phases"])


@pytest.mark.parametrize(
    "damage,message",
    [
        (lambda t, d: t.replace('"phases"', '"phases" ', 1)[:-40], "not valid JSON"),
        (lambda t, d: _set(d, "op", "division.delete"), "phases.0.batches.0.op: Input should be"),
        (lambda t, d: _set(d, "items", [{"description": 7}]), "phases.1.batches.0: items.0.description"),
        (lambda t, d: _set(d, "target", "Another name"), "does not match the batch's content"),
        (lambda t, d: json.dumps({"format": 1, "phases": "x"}), "summary: Field required"),
    ],
    ids=["truncated", "unknown-op", "malformed-items", "edited-target", "schema"],
)
def test_a_malformed_saved_plan_is_a_file_error(
    cli, emu: RunningEmulator, tmp_path: Path, damage, message
) -> None:
    assert cli("plan", "-c", str(TENANTS), "--people", str(DAY1), "-o", "plan.json").exit_code == 0
    path = tmp_path / "plan.json"
    text = path.read_text()
    path.write_text(damage(text, json.loads(text)))
    emu.admin.delete("/_emulator/stats")
    r = cli("apply", "plan.json", "-c", str(TENANTS), "--auto-approve")
    assert r.exit_code == 1, r.output
    assert "plan.json:" in r.stderr and message in r.stderr, r.stderr
    assert "Traceback" not in r.output
    assert writes(emu.stats()) == 0


def _set(data: dict, field: str, value: object) -> str:
    phase = 1 if field == "items" else 0
    data["phases"][phase]["batches"][0][field] = value
    return json.dumps(data, indent=1)
