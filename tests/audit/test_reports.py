"""The renderings: JSON keeps to its documented schema, markdown and table say what the audit found."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from audit_org import VIOLATIONS, clean_org, config, to_snapshot, with_violations

from tenantry.audit.engine import audit
from tenantry.config.tenants import load
from tenantry.reports import FORMATS, render
from tenantry.reports.json_report import to_json

SCHEMA_MD = Path(__file__).resolve().parents[2] / "src" / "tenantry" / "reports" / "SCHEMA.md"


@pytest.fixture
def result(tmp_path):
    return audit(to_snapshot(with_violations(clean_org(), VIOLATIONS)), config(tmp_path))


def _documented(section: str) -> set[str]:
    """The backticked keys in the first column of a SCHEMA.md section's table."""
    text = SCHEMA_MD.read_text()
    body = text.split(f"## `{section}`", 1)[1].split("\n## ", 1)[0]
    keys: set[str] = set()
    for line in body.splitlines():
        if line.startswith("| `"):
            keys |= set(re.findall(r"`([a-z_]+)`", line.split("|")[1]))
    return keys


def test_json_keys_are_exactly_the_documented_ones(result):
    data = json.loads(render(result, "json", generated_at="2026-11-25 09:00"))
    assert set(data) == {"schema", "evidence", "summary", "findings", "access", "matrix", "sha256"}
    assert data["schema"] == "tenantry.audit/1"
    assert set(data["summary"]) == _documented("summary")
    assert {k for f in data["findings"] for k in f} == _documented("findings[]")
    assert {k for row in data["access"] for k in row} == _documented("access[]")
    assert set(data["matrix"]) == _documented("matrix")
    assert set(data["evidence"]) == _documented("evidence")


def test_streamed_json_equals_the_document(result):
    streamed = json.loads(render(result, "json", generated_at="t"))
    assert len(streamed.pop("sha256")) == 64
    assert streamed == json.loads(json.dumps(to_json(result, generated_at="t")))


def test_json_content(result):
    data = json.loads(render(result, "json"))
    assert data["summary"]["findings"] == {"critical": 4, "high": 4, "medium": 2, "low": 1}
    r03 = next(f for f in data["findings"] if f["rule"] == "R03")
    assert r03["subject"] == {
        "type": "user",
        "id": "user:agent3@acme.bpo.example",
        "name": "agent3@acme.bpo.example",
    }
    assert r03["via"]["name"] == "Globex Telecom Agents" and r03["division"]["name"] == "Globex Telecom"
    leak = [
        a
        for a in data["access"]
        if a["subject_name"] == "agent3@acme.bpo.example" and a["division_tenant"] == "globex"
    ]
    assert {(a["role_name"], a["path"]) for a in leak} == {
        ("Agent", "via group Globex Telecom Agents"),
        ("employee", "via group Globex Telecom Agents"),
    }
    rules = {r["id"]: r for r in data["summary"]["rules"]}
    assert rules["R06"]["findings"] == 1 and rules["R06"]["skipped"] is None
    m = data["matrix"]
    acme, globex = m["rows"].index("acme"), [c["tenant"] for c in m["columns"]].index("globex")
    assert m["cells"][acme][globex] == {"view": 3, "change": 0, "kind": "foreign"}


def test_json_without_config_names_the_skipped_rules():
    data = json.loads(render(audit(to_snapshot(clean_org(org_level=False)), None), "json"))
    skipped = {r["id"]: r["skipped"] for r in data["summary"]["rules"] if r["skipped"]}
    assert set(skipped) == {"R06", "R11"}
    assert data["summary"]["configured"] is False and data["findings"] == []


def test_markdown_groups_by_tenant_worst_first(result):
    md = render(result, "markdown")
    assert md.index("## acme (Acme Insurance)") < md.index("## no tenant")
    assert "| 4 | 4 | 2 | 1 |" in md
    rows = [line for line in md.splitlines() if line.startswith("| **")]
    assert len(rows) == len(VIOLATIONS)
    assert any("R03 cross-tenant-group-grant" in r and "via group Globex Telecom Agents" in r for r in rows)


def test_markdown_escapes_pipes(tmp_path):
    o = clean_org()
    o.queues["Acme | Billing"] = o.queues.pop("Acme Support")
    o.queues["Acme | Billing"].division = "Home"
    md = render(audit(to_snapshot(o), None), "markdown")
    assert "Acme \\| Billing" in md


def test_table_text(result):
    text = render(result, "table")
    assert "4 critical, 4 high, 2 medium, 1 low." in text
    assert text.index("tenant: acme (Acme Insurance)") < text.index("tenant: no tenant")
    assert "R04 oauth-client-multi-tenant" in text


def test_clean_reports_say_so(tmp_path):
    clean = audit(to_snapshot(clean_org()), config(tmp_path))
    assert "No findings." in render(clean, "table")
    assert "**No findings.**" in render(clean, "markdown")
    assert "No findings: no tenant can reach another." in render(clean, "html")


def test_unknown_format():
    assert FORMATS == ("table", "json", "markdown", "html")
    with pytest.raises(ValueError, match="unknown format"):
        render(audit(to_snapshot(clean_org()), None), "pdf")


def test_every_format_notes_what_the_audit_could_not_see(tmp_path):
    snap = to_snapshot(clean_org())
    snap.inactive_unread = 1234
    path = tmp_path / "tenants.yaml"
    config(tmp_path)
    path.write_text(path.read_text() + "  initech:\n    division: Initech\n    members: [{client: INI}]\n"
                    "    groups: {agents: {roles: [Agent]}}\n")  # fmt: skip
    result = audit(snap, load(path))
    for fmt in ("table", "markdown", "html"):
        text = render(result, fmt)
        assert "1,234 inactive users" in text, fmt
        assert "initech (Initech)" in text, fmt
    assert json.loads(render(result, "json"))["summary"]["inactive_unread"] == 1234
