"""Each rule on a hand-built Snapshot: one violation → exactly one finding, the clean org → none."""

from __future__ import annotations

import pytest
from audit_org import (
    ACME,
    ACME_AGENTS,
    DANA,
    GLOBEX,
    GLOBEX_AGENTS,
    VIOLATIONS,
    Violation,
    clean_org,
    config,
    to_snapshot,
    with_violations,
)

from tenantry.audit.engine import RULES, audit
from tenantry.domain.model import ALL_DIVISIONS


def _brief(findings) -> list[tuple[str, str, str, str]]:
    return [(f.rule, f.subject.type, f.subject.name, f.path) for f in findings]


def test_clean_org_with_config_has_no_findings(tmp_path):
    result = audit(to_snapshot(clean_org()), config(tmp_path))
    assert _brief(result.findings) == []
    assert result.skipped == {}


def test_clean_org_without_config_has_no_findings_and_names_skipped_rules():
    result = audit(to_snapshot(clean_org(org_level=False)), None)
    assert _brief(result.findings) == []
    assert set(result.skipped) == {"R06", "R11"}
    assert all("tenants.yaml" in why for why in result.skipped.values())


def test_without_config_org_level_access_is_not_explained():
    """The org admin's `*` and the staff member's tenant grants need tenants.yaml to be allowed."""
    result = audit(to_snapshot(clean_org(org_level=True)), None)
    assert sorted(_brief(result.findings)) == [
        ("R01", "user", "root@bpo.example", "direct"),
        ("R08", "user", DANA, "direct"),
        ("R08", "user", DANA, "direct"),
    ]


@pytest.mark.parametrize("v", VIOLATIONS, ids=lambda v: f"{v.rule}-{RULES[v.rule].name}")
def test_each_violation_is_found_exactly_once_with_config(v: Violation, tmp_path):
    result = audit(to_snapshot(with_violations(clean_org(), [v])), config(tmp_path))
    assert _brief(result.findings) == [(v.rule, v.subject_type, v.subject_name, v.path)]
    assert result.findings[0].severity == RULES[v.rule].severity
    assert result.findings[0].why and result.findings[0].fix


@pytest.mark.parametrize(
    "v", [v for v in VIOLATIONS if not v.needs_config], ids=lambda v: f"{v.rule}-{RULES[v.rule].name}"
)
def test_each_violation_is_found_exactly_once_without_config(v: Violation):
    result = audit(to_snapshot(with_violations(clean_org(org_level=False), [v])), None)
    assert _brief(result.findings) == [(v.rule, v.subject_type, v.subject_name, v.path)]


def test_all_violations_together_each_once(tmp_path):
    result = audit(to_snapshot(with_violations(clean_org(), VIOLATIONS)), config(tmp_path))
    assert sorted(_brief(result.findings)) == sorted(
        (v.rule, v.subject_type, v.subject_name, v.path) for v in VIOLATIONS
    )


def test_findings_carry_tenant_division_role_and_via(tmp_path):
    by_rule = {
        f.rule: f
        for f in audit(to_snapshot(with_violations(clean_org(), VIOLATIONS)), config(tmp_path)).findings
    }
    r02 = by_rule["R02"]
    assert (r02.tenant, r02.division.name, r02.role.name) == ("acme", GLOBEX, "Agent")
    r03 = by_rule["R03"]
    assert (r03.tenant, r03.division.name, r03.via.name) == ("acme", GLOBEX, GLOBEX_AGENTS)
    assert by_rule["R01"].division.id == ALL_DIVISIONS
    r04 = by_rule["R04"]
    assert r04.tenant is None and "2 tenants" in r04.why
    r05 = by_rule["R05"]
    assert (r05.tenant, r05.division.name, r05.member.name) == ("acme", ACME, "agent1@globex.bpo.example")
    r06 = by_rule["R06"]
    assert (r06.tenant, r06.division.name) == ("acme", "Home") and "tenant groups" in r06.why
    r07 = by_rule["R07"]
    assert r07.role.name == "User Administrator" and "authorization:grant:add" in r07.why
    r10 = by_rule["R10"]
    assert (r10.tenant, r10.division.name) == ("acme", "Home")


def test_findings_are_sorted_worst_first(tmp_path):
    findings = audit(to_snapshot(with_violations(clean_org(), VIOLATIONS)), config(tmp_path)).findings
    ranks = [("critical", "high", "medium", "low").index(f.severity) for f in findings]
    assert ranks == sorted(ranks)


def test_a_groups_cross_tenant_grant_is_reported_on_the_group_not_per_member(tmp_path):
    o = clean_org()
    o.groups[ACME_AGENTS].grants.append(("Agent", GLOBEX))
    findings = audit(to_snapshot(o), config(tmp_path)).findings
    assert _brief(findings) == [("R02", "group", ACME_AGENTS, "direct")]


def test_an_org_admin_may_hold_all_divisions_but_not_when_unlisted(tmp_path):
    o = clean_org()
    o.grant(DANA, "Master Admin", ALL_DIVISIONS)
    findings = audit(to_snapshot(o), config(tmp_path)).findings
    assert _brief(findings) == [("R01", "user", DANA, "direct")]
    assert findings[0].severity == "critical"


def test_staff_outside_their_listed_roles_is_drift_and_outside_their_tenants_is_unassigned(tmp_path):
    o = clean_org()
    o.divisions.append("Initech")
    o.grant(DANA, "Reporting Viewer", ACME)  # listed for acme, but not this role
    o.grant(DANA, "Supervisor", "Initech")  # not a configured tenant: out of tenants' scope
    findings = audit(to_snapshot(o), config(tmp_path)).findings
    assert _brief(findings) == [("R11", "user", DANA, "direct")]
    assert findings[0].role.name == "Reporting Viewer"


def test_group_with_grants_in_two_tenants_without_config_reports_each_foreign_member():
    o = clean_org(org_level=False)
    o.groups["Shared Supervisors"] = o.groups.pop("Acme Insurance Supervisors")
    o.groups["Shared Supervisors"].grants.append(("Supervisor", GLOBEX))
    findings = audit(to_snapshot(o), None).findings
    assert _brief(findings) == [("R03", "user", "sup1@acme.bpo.example", "via group Shared Supervisors")]
    assert findings[0].division.name == GLOBEX


def test_inactive_users_are_judged_by_rule_9_only(tmp_path):
    o = clean_org()
    o.users["agent1@acme.bpo.example"].state = "inactive"
    o.grant("agent1@acme.bpo.example", "Agent", GLOBEX)  # would be R02 for an active user
    findings = audit(to_snapshot(o), config(tmp_path)).findings
    assert _brief(findings) == [
        ("R09", "user", "agent1@acme.bpo.example", f"direct; via group {ACME_AGENTS}")
    ]
    assert "inactive" in findings[0].why


def test_at_or_above_and_counts(tmp_path):
    result = audit(to_snapshot(with_violations(clean_org(), VIOLATIONS)), config(tmp_path))
    assert result.counts() == {"critical": 4, "high": 4, "medium": 2, "low": 1}
    assert len(result.at_or_above("critical")) == 4
    assert len(result.at_or_above("high")) == 8
    assert len(result.at_or_above("low")) == 11
