"""Issue 13, items 10–14: an audit that cannot be wrong without saying so.

Over real HTTP against the emulator: partial visibility is refused or marked INCOMPLETE, every
format carries the evidence block, the JSON its SHA-256 (shown in the HTML), a per-tenant report
names no other tenant, and the heat map colours no-tenant reach. R12 (open directory) on a
snapshot built by hand, since the emulator on this branch still hides the directory.
"""

from __future__ import annotations

import hashlib
import json
import re

import httpx
import pytest
from audit_org import (
    ACME,
    GLOBEX,
    VIOLATIONS,
    clean_org,
    config,
    point_env_at,
    seed_emulator,
    to_snapshot,
    with_violations,
)
from typer.testing import CliRunner

from tenantry.audit.engine import RULES, audit
from tenantry.cli.audit import audit_command
from tenantry.reports import render


def _cli():
    import typer

    app = typer.Typer()
    app.command("audit")(audit_command)
    app.command("noop", hidden=True)(lambda: None)
    return app


def _run(*args: str, env: dict | None = None):
    return CliRunner().invoke(_cli(), ["audit", *args], env=env)


# ---- 10. partial visibility ------------------------------------------------------------------
VIEW_ROLE = {
    "name": "Auditor (one division)",
    "permissionPolicies": [
        {"domain": d, "entityName": e, "actionSet": ["view"]}
        for d, e in (
            ("authorization", "division"),
            ("authorization", "role"),
            ("authorization", "grant"),
            ("directory", "user"),
            ("directory", "group"),
            ("routing", "queue"),
            ("oauth", "client"),
            ("sso", "provider"),
        )
    ],
}


def _acme_only_client(api: httpx.Client) -> tuple[str, str]:
    """An auditing OAuth client whose view permissions cover Acme's division only."""
    role = api.post("/api/v2/authorization/roles", json=VIEW_ROLE).json()
    divs = {d["name"]: d["id"] for d in api.get("/api/v2/authorization/divisions").json()["entities"]}
    made = api.post(
        "/api/v2/oauth/clients",
        json={
            "name": "auditor-acme-only",
            "authorizedGrantType": "CLIENT-CREDENTIALS",
            "roleDivisions": [{"roleId": role["id"], "divisionId": divs[ACME]}],
        },
    )
    assert made.status_code < 300, made.text
    return made.json()["id"], made.json()["secret"]


def test_partial_visibility_is_refused_naming_divisions_and_permissions(
    emu, empty_org, tmp_path, monkeypatch
):
    seed_emulator(with_violations(clean_org(), VIOLATIONS), empty_org)
    client_id, secret = _acme_only_client(empty_org)
    point_env_at(monkeypatch, emu)
    monkeypatch.setenv("GENESYSCLOUD_OAUTHCLIENT_ID", client_id)
    monkeypatch.setenv("GENESYSCLOUD_OAUTHCLIENT_SECRET", secret)
    config(tmp_path)
    r = _run("-c", str(tmp_path / "tenants.yaml"), "--format", "json")
    assert r.exit_code == 2, r.output
    message = " ".join(r.output.split())
    assert "INCOMPLETE" in message and "--partial" in message
    # the directory is open: the client lists every division, and names each it cannot view
    assert "directory:user:view in Globex Telecom, Home, any division it cannot list" in message, message
    assert "Traceback" not in r.output


def test_partial_report_is_marked_incomplete_on_every_page(emu, empty_org, tmp_path, monkeypatch):
    seed_emulator(with_violations(clean_org(), VIOLATIONS), empty_org)
    client_id, secret = _acme_only_client(empty_org)
    point_env_at(monkeypatch, emu)
    monkeypatch.setenv("GENESYSCLOUD_OAUTHCLIENT_ID", client_id)
    monkeypatch.setenv("GENESYSCLOUD_OAUTHCLIENT_SECRET", secret)
    config(tmp_path)
    cfg = str(tmp_path / "tenants.yaml")
    out = tmp_path / "audit.json"
    r = _run("-c", cfg, "--partial", "--format", "json", "-o", str(out), "--fail-on", "low")
    assert r.exit_code in (0, 1), r.output
    data = json.loads(out.read_text())
    assert data["summary"]["complete"] is False
    vis = data["evidence"]["visibility"]
    assert vis["complete"] is False and GLOBEX in vis["missing"]["directory:user:view"]
    for fmt in ("html", "markdown", "table"):
        page = tmp_path / f"audit.{fmt}"
        r = _run("-c", cfg, "--partial", "--format", fmt, "-o", str(page), "--fail-on", "low")
        assert r.exit_code in (0, 1), r.output
        text = page.read_text()
        assert text.count("INCOMPLETE REPORT") >= 2, fmt  # top and bottom of the page


def test_full_visibility_is_proven_complete(emu, empty_org, tmp_path, monkeypatch):
    seed_emulator(clean_org(), empty_org)
    point_env_at(monkeypatch, emu)
    config(tmp_path)
    out = tmp_path / "audit.json"
    r = _run("-c", str(tmp_path / "tenants.yaml"), "--format", "json", "-o", str(out))
    assert r.exit_code == 0, r.output
    data = json.loads(out.read_text())
    assert data["evidence"]["visibility"] == {"complete": True, "missing": {}}
    assert data["summary"]["complete"] is True


# ---- 11. evidence --------------------------------------------------------------------------
def test_every_format_states_the_evidence_and_json_carries_its_digest(emu, empty_org, tmp_path, monkeypatch):
    seed_emulator(clean_org(), empty_org)
    point_env_at(monkeypatch, emu)
    config(tmp_path)
    cfg = tmp_path / "tenants.yaml"
    out = tmp_path / "audit.json"
    assert _run("-c", str(cfg), "--format", "json", "-o", str(out)).exit_code == 0
    from tenantry.reports.json_report import verify_digest

    text = out.read_text()
    data = json.loads(text)
    ev = data["evidence"]
    assert ev["org"]["name"] == "tenantry-emulator" and re.fullmatch(r"[0-9a-f-]{36}", ev["org"]["id"])
    assert ev["target"] == emu.base_url.rstrip("/")
    assert ev["tenantry_version"] == "0.1.0"
    assert ev["config"] == {"file": "tenants.yaml", "sha256": hashlib.sha256(cfg.read_bytes()).hexdigest()}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", ev["taken_at"])
    # a clean report lists the rules it passed
    assert ev["rules_failed"] == 0 and ev["rules_passed"] == ev["rules_evaluated"] == len(RULES)
    assert {r["id"] for r in ev["rules"] if r["status"] == "passed"} == set(RULES)
    # the digest covers the content: any change is detected
    assert verify_digest(text)
    assert not verify_digest(text.replace("tenantry-emulator", "tenantry-emulatoR", 1))
    digest = data["sha256"]
    assert hashlib.sha256(text[: text.rindex('"sha256"')].encode()).hexdigest() == digest
    # the other formats state the same facts; the HTML shows the JSON's digest (same audit, same time)
    page = tmp_path / "audit.html"
    assert _run("-c", str(cfg), "--format", "html", "-o", str(page)).exit_code == 0
    html = page.read_text()
    for fmt, body in (("html", html), ("markdown", None), ("table", None)):
        if body is None:
            target = tmp_path / f"audit.{fmt}"
            assert _run("-c", str(cfg), "--format", fmt, "-o", str(target)).exit_code == 0
            body = target.read_text()
        for fact in ("tenantry-emulator", ev["org"]["id"], ev["config"]["sha256"], "0.1.0", "complete"):
            assert fact in body, (fmt, fact)
        assert f"{len(RULES)} evaluated: {len(RULES)} passed" in " ".join(body.split()), fmt
    assert re.search(r"<code id=\"digest\">[0-9a-f]{64}</code>", html)


def test_json_digest_is_shown_by_the_html_of_the_same_audit(tmp_path):
    from tenantry.reports.json_report import verify_digest

    result = audit(to_snapshot(with_violations(clean_org(), VIOLATIONS)), config(tmp_path))
    text = render(result, "json", generated_at="2026-12-01T10:00:00Z")
    digest = json.loads(text)["sha256"]
    assert verify_digest(text)
    assert f'<code id="digest">{digest}</code>' in render(result, "html", generated_at="2026-12-01T10:00:00Z")


# ---- 12. per-tenant reports --------------------------------------------------------------
def _globex_names(spec) -> set[str]:
    names = {GLOBEX, "globex", "Globex"}
    names |= {e for e, u in spec.users.items() if u.division == GLOBEX or "globex" in e}
    names |= {n for n in spec.groups if n.startswith(GLOBEX)}
    names |= {n for n, q in spec.queues.items() if q.division == GLOBEX}
    return names


def test_per_tenant_report_names_no_other_tenant(emu, empty_org, tmp_path, monkeypatch):
    spec = with_violations(clean_org(), VIOLATIONS)
    seed_emulator(spec, empty_org)
    point_env_at(monkeypatch, emu)
    config(tmp_path)
    cfg = str(tmp_path / "tenants.yaml")
    forbidden = _globex_names(spec)
    for fmt in ("html", "json", "markdown", "table"):
        page = tmp_path / f"acme.{fmt}"
        r = _run("-c", cfg, "--tenant", "acme", "--format", fmt, "-o", str(page), "--fail-on", "low")
        assert r.exit_code == 1, r.output  # Acme has findings
        text = page.read_text()
        leaked = sorted(n for n in forbidden if n.casefold() in text.casefold())
        assert leaked == [], (fmt, leaked)
        assert "agent3@acme.bpo.example" in text, fmt  # Acme's own leak is there, its target withheld
        assert "another tenant" in text, fmt
    data = json.loads((tmp_path / "acme.json").read_text())
    assert data["evidence"]["scope"] == "acme"
    assert [t["key"] for t in data["summary"]["tenants"]] == ["acme"]
    rules = {f["rule"] for f in data["findings"]}
    assert {"R01", "R02", "R03", "R05"} <= rules
    assert _run("-c", cfg, "--tenant", "nope").exit_code == 2


def test_per_tenant_view_keeps_what_reaches_the_tenant(tmp_path):
    from tenantry.reports.tenant_view import for_tenant

    result = audit(to_snapshot(with_violations(clean_org(), VIOLATIONS)), config(tmp_path))
    globex = for_tenant(result, "globex")
    # Acme's agent3 reaches Globex through a group: Globex sees the reach, not who it is.
    r03 = [f for f in globex.findings if f.rule == "R03"]
    assert r03 and all(f.subject.name == "(a person of another tenant)" for f in r03)
    assert all("acme" not in f.why.casefold() for f in globex.findings)


# ---- 13. HTML fixes ------------------------------------------------------------------------
def test_heat_map_colours_no_tenant_reach_and_counts_subjects_by_kind(tmp_path):
    result = audit(to_snapshot(with_violations(clean_org(), VIOLATIONS)), config(tmp_path))
    html = render(result, "html")
    cells = re.findall(r'<td class="(\w+)" style="[^"]*" title="([^"]*)"', html)
    outsiders = {t.split(":")[0] for c, t in cells if c == "foreign" and t.startswith("no tenant")}
    assert outsiders == {f"no tenant → {ACME}", f"no tenant → {GLOBEX}"}  # R04's client, R08's contractor
    labels = re.findall(r'<th scope="row">([^<]*) <small>\(([^)]*)\)</small>', html)
    assert labels and all(
        re.fullmatch(r"[\d,]+ users, [\d,]+ groups, [\d,]+ OAuth clients", c) for _, c in labels
    )
    acme = dict(labels)[f"acme ({ACME})"]
    assert acme.endswith("groups, 1 OAuth clients")


def test_html_escapes_names_from_the_org(tmp_path):
    o = clean_org()
    o.queues["<script>alert(1)</script>"] = o.queues.pop("Acme Support")
    o.queues["<script>alert(1)</script>"].division = "Home"
    html = render(audit(to_snapshot(o), config(tmp_path)), "html")
    assert "<script>" not in html and "&lt;script&gt;" in html


# ---- 14. the open directory --------------------------------------------------------------
def test_open_directory_is_an_org_finding_naming_exposed_tenants(tmp_path):
    snap = to_snapshot(clean_org())
    assert not [f for f in audit(snap, config(tmp_path)).findings if f.rule == "R12"]
    snap.directory_open = True
    found = [f for f in audit(snap, config(tmp_path)).findings if f.rule == "R12"]
    org = [f for f in found if f.subject.type == "org"]
    assert len(org) == 1 and ACME in org[0].why and GLOBEX in org[0].why
    clients = {f.subject.name: f for f in found if f.subject.type == "oauth_client"}
    assert "Acme Reporting" in clients and clients["Acme Reporting"].tenant == "acme"
    assert "1 other tenant(s)" in clients["Acme Reporting"].why


def test_directory_setting_unknown_over_http_is_noted(emu, empty_org, tmp_path, monkeypatch):
    seed_emulator(clean_org(), empty_org)
    point_env_at(monkeypatch, emu)
    config(tmp_path)
    r = _run("-c", str(tmp_path / "tenants.yaml"), "--format", "markdown")
    assert r.exit_code == 0
    assert "restricts directory search" in " ".join(r.output.split())


@pytest.mark.parametrize("fmt", ["json", "html"])
def test_output_into_a_missing_folder_is_one_line(emu, tmp_path, monkeypatch, fmt):
    point_env_at(monkeypatch, emu)
    r = _run("--format", fmt, "-o", str(tmp_path / "nope" / f"a.{fmt}"))
    assert r.exit_code == 2 and "does not exist" in r.output and "Traceback" not in r.output
