"""The isolation audit: every subject's effective access, and every way one tenant can reach another.

Pure functions over a Snapshot (and tenants.yaml when given): no I/O, so the same audit runs on
a live org, on the emulator and on a snapshot built by hand in a test.

One fact, one finding. A fact is a grant, a group or queue membership, or where an object lives.
Rules run worst first (catalogue.PRECEDENCE) and each fact is reported by the first rule it breaks
only: a `*` grant is not also "drift", an OAuth client reaching two tenants is not also two
cross-tenant grants, and a group's cross-tenant grant is reported once on the group, not once per
member. Inactive users are judged by rule 9 alone (they cannot sign in; what they still hold is the
risk), and org admins (see tenancy.py) by none but rule 9.

The names other modules import from here (rules, findings, access rows, the matrix) are re-exported.
"""

from __future__ import annotations

from collections.abc import Callable

from tenantry.audit.catalogue import DEFAULT_ROLES, NO_TENANT, PRECEDENCE, RANK, RULES, SEVERITIES, RuleInfo
from tenantry.audit.context import AuditContext
from tenantry.audit.matrix import Cell, Matrix, access_matrix
from tenantry.audit.model import AuditResult, Finding, Ref
from tenantry.audit.rules import drift, grants, membership, org, placement
from tenantry.audit.visibility import Visibility, prove
from tenantry.config.tenants import Config
from tenantry.domain.access import (
    CHANGE_ACTIONS,
    VIEW_ACTIONS,
    AccessRow,
    capabilities,
    effective_access,
    reach,
)
from tenantry.domain.model import Snapshot
from tenantry.domain.tenancy import resolve

__all__ = [
    "CHANGE_ACTIONS",
    "DEFAULT_ROLES",
    "NO_TENANT",
    "RANK",
    "RULES",
    "SEVERITIES",
    "VIEW_ACTIONS",
    "AccessRow",
    "AuditResult",
    "Cell",
    "Finding",
    "Matrix",
    "Ref",
    "RuleInfo",
    "Visibility",
    "access_matrix",
    "audit",
    "capabilities",
    "effective_access",
    "reach",
]

STEPS: dict[str, Callable[[AuditContext], None]] = {
    "R01": grants.r01_all_divisions,
    "R02": grants.r02_direct_cross_tenant,
    "R03": membership.r03_group_cross_tenant,
    "R04": grants.r04_oauth_clients,
    "R05": membership.r05_queues,
    "R06": placement.r06_home_division,
    "R07": grants.r07_admin_roles,
    "R08": grants.r08_unassigned,
    "R09": membership.r09_inactive,
    "R10": placement.r10_outside,
    "R11": drift.r11_drift,
    "R12": org.r12_open_directory,
}
NEEDS_CONFIG = {
    "R06": "needs tenants.yaml (-c): without it a user's tenant is its home division",
    "R11": "needs tenants.yaml (-c): drift is measured against the declared tenants",
}


def audit(snapshot: Snapshot, config: Config | None = None) -> AuditResult:
    """Run every rule, worst first; the findings come sorted by severity, tenant, rule and subject."""
    tenancy = resolve(snapshot, config)
    a = AuditContext(snapshot, tenancy, config)
    skipped: dict[str, str] = {}
    for rule in PRECEDENCE:
        if RULES[rule].needs_config and config is None:
            skipped[rule] = NEEDS_CONFIG[rule]
            continue
        STEPS[rule](a)
    findings = sorted(
        a.findings,
        key=lambda f: (RANK[f.severity], f.tenant or "~", f.rule, f.subject.name.casefold(), f.path),
    )
    access = effective_access(snapshot, tenancy)
    expected = [t.division for t in config.tenants.values()] if config is not None else []
    return AuditResult(findings, access, tenancy, snapshot, skipped, visibility=prove(snapshot, expected))
