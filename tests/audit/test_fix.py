"""`tenantry audit --fix`: a remediation plan in `tenantry plan`'s format that `tenantry apply` runs."""

from __future__ import annotations

import asyncio
import json

import typer
from audit_org import (
    VIOLATIONS,
    clean_org,
    config,
    point_env_at,
    read_org,
    seed_emulator,
    to_snapshot,
    with_violations,
)
from typer.testing import CliRunner

from tenantry.audit.engine import audit
from tenantry.cli.audit import audit_command
from tenantry.cli.tenants import apply_command
from tenantry.planning.plan import Plan, fingerprint
from tenantry.planning.remediation import remediation_plan


def _ops(plan: Plan) -> set[tuple[str, str, str]]:
    return {(b.op, b.target, json.dumps(item)) for b in plan.batches for item in b.items}


def test_plan_revokes_exactly_what_the_findings_name(tmp_path):
    snap = to_snapshot(with_violations(clean_org(), VIOLATIONS))
    cfg = config(tmp_path)
    plan = remediation_plan(audit(snap, cfg), cfg)
    assert _ops(plan) == {
        ("user.grants.remove", "agent1@acme.bpo.example", '["Reporting Viewer", "*"]'),  # R01
        ("user.grants.remove", "agent2@acme.bpo.example", '["Agent", "Globex Telecom"]'),  # R02
        ("group.members.remove", "Globex Telecom Agents", '"agent3@acme.bpo.example"'),  # R03
        ("queue.members.remove", "Acme Support", '"agent1@globex.bpo.example"'),  # R05
        ("user.move", "Acme Insurance", '"misplaced@acme.bpo.example"'),  # R06
        ("user.grants.remove", "contractor@outside.example", '["Reporting Viewer", "Acme Insurance"]'),  # R08
        ("group.members.remove", "Acme Insurance Agents", '"gone@acme.bpo.example"'),  # R09
        ("queue.move", "Acme Insurance", '"Acme Billing"'),  # R10
        ("user.grants.remove", "agent4@acme.bpo.example", '["Agent", "Acme Insurance"]'),  # R11
    }
    assert plan.warnings == [
        "R04 oauth_client Shared Reporting: split it into one OAuth client per tenant, then delete it",
        "R07 group Acme Insurance Supervisors: replace User Administrator with a role without admin "
        "permissions",
    ]
    assert plan.fingerprint == fingerprint(snap)
    assert not any(op.endswith(".add") for op, _, _ in _ops(plan))
    assert plan.revoked_users == 6 and plan.managed_users == 14  # the inactive leaver is not "revoked"
    again = Plan.from_json(json.loads(json.dumps(plan.to_json())))
    assert [b.id for b in again.batches] == [b.id for b in plan.batches]


def test_member_group_of_another_tenant_is_unbound_keeping_the_others(tmp_path):
    o = clean_org()
    o.queues["Acme Support"].groups.append("Globex Telecom Agents")
    cfg = config(tmp_path)
    plan = remediation_plan(audit(to_snapshot(o), cfg), cfg)
    assert _ops(plan) == {("queue.update", "Acme Support", '{"groups": ["Acme Insurance Agents"]}')}


def test_clean_org_gives_an_empty_plan(tmp_path):
    cfg = config(tmp_path)
    plan = remediation_plan(audit(to_snapshot(clean_org()), cfg), cfg)
    assert plan.batches == [] and plan.warnings == []


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("audit")(audit_command)
    app.command("apply")(apply_command)
    return app


def test_fix_then_apply_leaves_only_what_needs_a_person(emu, empty_org, tmp_path, monkeypatch):
    seed_emulator(with_violations(clean_org(), VIOLATIONS), empty_org)
    point_env_at(monkeypatch, emu)
    config(tmp_path)
    cfg, fix = str(tmp_path / "tenants.yaml"), tmp_path / "fix.json"
    runner = CliRunner()
    r = runner.invoke(_app(), ["audit", "-c", cfg, "--fix", "-o", str(fix)])
    assert r.exit_code == 1, r.output  # the findings are still there until the plan is applied
    assert "tenantry apply" in r.output and fix.exists()
    journal = f"sqlite:///{tmp_path / 'journal.db'}"
    r = runner.invoke(_app(), ["apply", str(fix), "-c", cfg, "--journal", journal, "--allow-mass-revoke"])
    assert r.exit_code == 0, r.output
    left = audit(asyncio.run(read_org(emu)), config(tmp_path)).findings
    assert sorted((f.rule, f.subject.name) for f in left) == [
        ("R04", "Shared Reporting"),
        ("R07", "Acme Insurance Supervisors"),
    ]


def test_fix_needs_an_output_file():
    r = CliRunner().invoke(_app(), ["audit", "--fix"])
    assert r.exit_code == 2
    assert "-o" in r.output


def test_missing_credentials_exit_two(tmp_path, monkeypatch):
    for name in ("GENESYSCLOUD_OAUTHCLIENT_ID", "GENESYSCLOUD_OAUTHCLIENT_SECRET", "GENESYSCLOUD_REGION",
                 "GENESYSCLOUD_API_REGION"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TENANTRY_GENESYS_CONFIG", str(tmp_path / "none.toml"))
    r = CliRunner().invoke(_app(), ["audit"])
    assert r.exit_code == 2
    assert "error:" in r.output and "Traceback" not in r.output
