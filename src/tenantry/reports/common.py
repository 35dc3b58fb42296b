"""What every rendering shares: tenant labels, findings grouped by tenant worst first, the summary."""

from __future__ import annotations

from collections import Counter

from tenantry.audit.engine import RANK, RULES, SEVERITIES, AuditResult, Finding
from tenantry.domain.tenancy import census


def tenant_label(result: AuditResult, key: str | None) -> str:
    if key is None:
        return "no tenant"
    t = result.tenancy.tenants.get(key)
    return f"{key} ({t.name})" if t and t.name != key else key


def by_tenant(result: AuditResult) -> list[tuple[str | None, list[Finding]]]:
    """Findings per subject tenant; the tenant with the worst finding first, then by name."""
    groups: dict[str | None, list[Finding]] = {}
    for f in result.findings:
        groups.setdefault(f.tenant, []).append(f)
    return sorted(
        groups.items(),
        key=lambda kv: (min(RANK[f.severity] for f in kv[1]), kv[0] is None, (kv[0] or "").casefold()),
    )


def summary(result: AuditResult, generated_at: str = "") -> dict:
    """The JSON `summary` object; the other formats print parts of it. See SCHEMA.md."""
    s, t = result.snapshot, result.tenancy
    per_rule = Counter(f.rule for f in result.findings)
    users = census(t)
    return {
        "generated_at": generated_at or None,
        "configured": t.configured,
        "complete": result.complete,
        "tenants": [
            {"key": k, "division": {"id": x.division_id, "name": x.name}, "users": users[k]}
            for k, x in t.tenants.items()
            if result.scope in (None, k)
        ],
        "subjects": {
            "users": len(s.users),
            "active_users": sum(u.state == "active" for u in s.users.values()),
            "groups": len(s.groups),
            "oauth_clients": len(s.oauth_clients),
            "queues": len(s.queues),
            "divisions": len(s.divisions),
        },
        "inactive_unread": s.inactive_unread,
        "findings": result.counts(),
        "rules": [
            {
                "id": r.id,
                "name": r.name,
                "severity": r.severity,
                "title": r.title,
                "findings": per_rule.get(r.id, 0),
                "skipped": result.skipped.get(r.id),
            }
            for r in RULES.values()
        ],
        "access_rows": len(result.access),
    }


def notes(result: AuditResult) -> list[str]:
    """What limits this audit's view of the org, in sentences; every format prints them."""
    out = []
    if result.snapshot.directory_open is None and result.snapshot.self_client_id:
        out.append(
            "Whether the org restricts directory search by division could not be read (tenantry holds no "
            "tenant OAuth client secret to ask with): on the platform's default (open) every tenant client "
            "reads every tenant's people (rule R12)."
        )
    if result.snapshot.inactive_unread:
        out.append(
            f"{result.snapshot.inactive_unread:,} inactive users were past the platform's paging cap and "
            "could not be read: R09 did not see them."
        )
    missing = [
        t for k, t in result.tenancy.tenants.items() if t.division_id is None and result.scope in (None, k)
    ]
    if missing:
        out.append(
            "Configured tenants whose division does not exist in the org: "
            + ", ".join(f"{t.key} ({t.name})" for t in missing)
            + "."
        )
    return out


def worst(result: AuditResult) -> str | None:
    return next((s for s in SEVERITIES if any(f.severity == s for f in result.findings)), None)
