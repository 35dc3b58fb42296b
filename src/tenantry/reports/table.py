"""The terminal report: a summary line, then one table per tenant, worst tenant and finding first."""

from __future__ import annotations

import io

from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from tenantry.audit.engine import RULES, SEVERITIES, AuditResult
from tenantry.reports.common import by_tenant, notes, tenant_label
from tenantry.reports.evidence import incomplete_banner, lines

STYLE = {"critical": "bold white on red", "high": "bold red", "medium": "yellow", "low": "cyan"}


def headline(result: AuditResult) -> Text:
    counts = result.counts()
    s = result.snapshot
    text = Text()
    text.append(
        f"{len(result.tenancy.tenants)} tenants, {len(s.users):,} users, {len(s.groups):,} groups, "
        f"{len(s.oauth_clients):,} OAuth clients, {len(result.access):,} access rows. "
    )
    if not result.findings:
        text.append("No findings.", style="bold green")
        return text
    for i, sev in enumerate(SEVERITIES):
        text.append(f"{counts[sev]} {sev}", style=STYLE[sev] if counts[sev] else "dim")
        text.append(", " if i < len(SEVERITIES) - 1 else ".")
    return text


def evidence_table(result: AuditResult) -> Table:
    table = Table(title="evidence", title_justify="left", show_header=False, expand=True)
    table.add_column("fact", no_wrap=True, style="bold")
    table.add_column("value", overflow="fold")
    for label, value in lines(result):
        table.add_row(escape(label), escape(value))
    return table


def renderables(result: AuditResult) -> list[RenderableType]:
    banner = incomplete_banner(result)
    out: list[RenderableType] = [Text(banner, style="bold white on red")] if banner else []
    out.append(headline(result))
    for key, findings in by_tenant(result):
        table = Table(title=f"tenant: {escape(tenant_label(result, key))}", title_justify="left", expand=True)
        table.add_column("severity", no_wrap=True)
        table.add_column("rule", no_wrap=True)
        table.add_column("subject", overflow="fold")
        table.add_column("division", overflow="fold")
        table.add_column("path", overflow="fold")
        table.add_column("why", overflow="fold", ratio=2)
        for f in findings:
            table.add_row(
                Text(f.severity, style=STYLE[f.severity]),
                f"{f.rule} {f.rule_info.name}",
                escape(f"{f.subject.type} {f.subject.name}"),
                escape(f.division.name if f.division else "—"),
                escape(f.path),
                escape(f.why),
            )
        out.append(table)
    for rule, why in sorted(result.skipped.items()):
        out.append(Text(f"skipped {rule} {RULES[rule].name}: {why}", style="dim"))
    out += [Text(f"note: {n}", style="yellow") for n in notes(result)]
    out.append(evidence_table(result))
    if banner:
        out.append(Text(banner, style="bold white on red"))
    return out


def print_table(console: Console, result: AuditResult) -> None:
    console.print(Group(*renderables(result)))


def render_text(result: AuditResult, width: int = 160) -> str:
    """Plain text (no colour) for a file."""
    buf = io.StringIO()
    print_table(Console(file=buf, width=width, no_color=True, highlight=False, emoji=False), result)
    return buf.getvalue()
