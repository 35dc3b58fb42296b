"""The markdown report, for a ticket or a pull request: summary, skipped rules, findings per tenant."""

from __future__ import annotations

from tenantry.audit.engine import RULES, SEVERITIES, AuditResult, Finding
from tenantry.reports.common import by_tenant, notes, tenant_label
from tenantry.reports.evidence import incomplete_banner
from tenantry.reports.evidence import lines as evidence_lines


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _row(f: Finding) -> str:
    cells = [
        f"**{f.severity}**",
        f"{f.rule} {f.rule_info.name}",
        f"{f.subject.type} `{f.subject.name}`",
        f.division.name if f.division else "—",
        f.path,
        f.why,
        f.fix,
    ]
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def render_markdown(result: AuditResult, *, generated_at: str = "") -> str:
    counts = result.counts()
    s = result.snapshot
    lines = ["# tenantry isolation audit", ""]
    banner = incomplete_banner(result)
    if banner:
        lines += [f"> **{_cell(banner)}**", ""]
    if generated_at:
        lines += [f"_{generated_at}_", ""]
    lines += [
        f"{len(result.tenancy.tenants)} tenants, {len(s.users):,} users, {len(s.groups):,} groups, "
        f"{len(s.oauth_clients):,} OAuth clients; tenants from "
        f"{'tenants.yaml' if result.tenancy.configured else 'divisions (no tenants.yaml)'}.",
        "",
        "| " + " | ".join(SEVERITIES) + " |",
        "|" + "---:|" * len(SEVERITIES),
        "| " + " | ".join(str(counts[x]) for x in SEVERITIES) + " |",
        "",
    ]
    if result.skipped:
        lines += ["Skipped rules:", ""]
        lines += [f"- {r} {RULES[r].name}: {why}" for r, why in sorted(result.skipped.items())]
        lines.append("")
    lines += [f"> **Note:** {n}\n" for n in notes(result)]
    if not result.findings:
        lines += ["**No findings.** No tenant can reach another.", ""]
    lines += ["## Evidence", "", "| | |", "|---|---|"]
    lines += [f"| {_cell(label)} | {_cell(value)} |" for label, value in evidence_lines(result)]
    lines.append("")
    for key, findings in by_tenant(result):
        lines += [
            f"## {tenant_label(result, key)}",
            "",
            "| severity | rule | subject | division | path | why | fix |",
            "|---|---|---|---|---|---|---|",
            *(_row(f) for f in findings),
            "",
        ]
    if banner:
        lines += [f"> **{_cell(banner)}**", ""]
    return "\n".join(lines)
