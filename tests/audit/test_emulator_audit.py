"""The audit end to end: an org created in the emulator over real HTTP, read back by the real
snapshot reader, audited. A clean multi-tenant org gives nothing; the same org with one injected
violation of each rule gives each rule exactly once, with the right subject and path."""

from __future__ import annotations

import json

from audit_org import VIOLATIONS, clean_org, config, point_env_at, read_org, seed_emulator, with_violations
from typer.testing import CliRunner

from tenantry.audit.engine import audit
from tenantry.cli.audit import audit_command


def _brief(findings) -> list[tuple[str, str, str, str]]:
    return sorted((f.rule, f.subject.type, f.subject.name, f.path) for f in findings)


async def test_clean_org_in_the_emulator_has_no_findings(emu, empty_org, tmp_path):
    seed_emulator(clean_org(), empty_org)
    snap = await read_org(emu)
    assert snap.self_client_id == emu.client_id
    assert len(snap.users) == 14 and len(snap.groups) == 5 and len(snap.oauth_clients) == 3
    result = audit(snap, config(tmp_path))
    assert _brief(result.findings) == []
    # The access matrix sees the tenants' people where they should be, and nowhere else.
    acme = {r.subject_name for r in result.access if r.tenant == "acme" and r.division_tenant == "acme"}
    assert {
        "agent1@acme.bpo.example",
        "sup1@acme.bpo.example",
        "Acme Insurance Agents",
        "Acme Reporting",
    } <= acme
    assert not [r for r in result.access if r.tenant and r.division_tenant and r.tenant != r.division_tenant]


async def test_each_injected_violation_is_reported_exactly_once(emu, empty_org, tmp_path):
    seed_emulator(with_violations(clean_org(), VIOLATIONS), empty_org)
    result = audit(await read_org(emu), config(tmp_path))
    assert _brief(result.findings) == sorted(
        (v.rule, v.subject_type, v.subject_name, v.path) for v in VIOLATIONS
    )


async def test_without_config_the_same_violations_are_found_and_config_rules_skipped(emu, empty_org):
    wanted = [v for v in VIOLATIONS if not v.needs_config]
    seed_emulator(with_violations(clean_org(org_level=False), wanted), empty_org)
    result = audit(await read_org(emu), None)
    assert _brief(result.findings) == sorted((v.rule, v.subject_type, v.subject_name, v.path) for v in wanted)
    assert set(result.skipped) == {"R06", "R11"}


def _cli() -> object:
    import typer

    app = typer.Typer()
    app.command("audit")(audit_command)
    app.command("noop", hidden=True)(lambda: None)  # keeps `audit` a named subcommand
    return app


def test_cli_exit_codes_follow_fail_on(emu, empty_org, tmp_path, monkeypatch):
    seed_emulator(with_violations(clean_org(), VIOLATIONS), empty_org)
    point_env_at(monkeypatch, emu)
    cfg = tmp_path / "tenants.yaml"
    config(tmp_path)  # writes tenants.yaml
    runner = CliRunner()
    out = tmp_path / "audit.json"
    r = runner.invoke(_cli(), ["audit", "-c", str(cfg), "--format", "json", "-o", str(out)])
    assert r.exit_code == 1, r.output
    data = json.loads(out.read_text())
    assert data["summary"]["findings"] == {"critical": 4, "high": 4, "medium": 2, "low": 1}
    assert sorted(f["rule"] for f in data["findings"]) == sorted(v.rule for v in VIOLATIONS)
    page = tmp_path / "audit.html"
    r = runner.invoke(
        _cli(), ["audit", "-c", str(cfg), "--format", "html", "-o", str(page), "--fail-on", "low"]
    )
    assert r.exit_code == 1 and page.read_text().startswith("<!DOCTYPE html>")
    assert page.read_text().count("class='finding'") == len(VIOLATIONS)
    # Only the drift is low: failing on critical still fails, and the exit code can gate a pipeline.
    assert (
        runner.invoke(_cli(), ["audit", "-c", str(cfg), "--fail-on", "critical", "-o", str(out)]).exit_code
        == 1
    )


def test_cli_clean_org_exits_zero_and_bad_input_exits_two(emu, empty_org, tmp_path, monkeypatch):
    seed_emulator(clean_org(), empty_org)
    point_env_at(monkeypatch, emu)
    config(tmp_path)
    runner = CliRunner()
    r = runner.invoke(_cli(), ["audit", "-c", str(tmp_path / "tenants.yaml"), "--fail-on", "low"])
    assert r.exit_code == 0, r.output
    assert "No findings" in r.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("tenants:\n  acme:\n    divison: Acme\n")
    r = runner.invoke(_cli(), ["audit", "-c", str(bad)])
    assert r.exit_code == 2
    assert "bad.yaml:3" in r.output
    r = runner.invoke(_cli(), ["audit", "--format", "pdf"])
    assert r.exit_code == 2


def test_cli_findings_below_fail_on_exit_zero(emu, empty_org, tmp_path, monkeypatch):
    drift = [v for v in VIOLATIONS if v.rule == "R11"]
    seed_emulator(with_violations(clean_org(), drift), empty_org)
    point_env_at(monkeypatch, emu)
    config(tmp_path)
    cfg = str(tmp_path / "tenants.yaml")
    runner = CliRunner()
    r = runner.invoke(_cli(), ["audit", "-c", cfg, "--format", "markdown"])
    assert r.exit_code == 0, r.output  # one low finding; the default --fail-on is high
    assert "R11 drift" in r.output and "agent4@acme.bpo.example" in r.output
    assert runner.invoke(_cli(), ["audit", "-c", cfg, "--fail-on", "low"]).exit_code == 1
