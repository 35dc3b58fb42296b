"""The audit's terminal report, laid out for the terminal it lands in.

The per-tenant findings table needs about 150 columns; in an 80- or 100-column terminal or a CI
log each finding becomes a short block instead (severity and rule, then subject, division, path
and why as wrapped `header: value` lines), so that nothing shrinks to a letter per line.
"""

from __future__ import annotations

from rich.console import Console, RenderableType
from rich.text import Text

from tenantry.audit.engine import RULES, AuditResult
from tenantry.cli.layout import fits, table_or_list
from tenantry.reports.common import by_tenant, notes, tenant_label
from tenantry.reports.evidence import incomplete_banner, lines
from tenantry.reports.table import STYLE, headline

HEADERS = ["severity", "rule", "subject", "division", "path", "why"]


def renderables(console: Console, result: AuditResult) -> list[RenderableType]:
    banner = incomplete_banner(result)
    out: list[RenderableType] = [Text(banner, style="bold white on red")] if banner else []
    out.append(headline(result))
    for key, findings in by_tenant(result):
        title = f"tenant: {tenant_label(result, key)}"
        rows = [
            [
                f"{f.rule} {f.rule_info.name}",
                f"{f.subject.type} {f.subject.name}",
                f.division.name if f.division else "—",
                f.path,
                f.why,
            ]
            for f in findings
        ]
        table: list[list[str | Text]] = [
            [Text(f.severity, style=STYLE[f.severity]), *r] for f, r in zip(findings, rows, strict=True)
        ]
        if fits(console, HEADERS, table, wrap=[2, 5]):
            out.append(table_or_list(console, title, HEADERS, table, wrap=[2, 5]))
            continue
        listed: list[list[str | Text]] = [
            [Text(f"{f.severity} {r[0]}", style=STYLE[f.severity]), *r[1:]]
            for f, r in zip(findings, rows, strict=True)
        ]
        out.append(table_or_list(console, title, ["finding", *HEADERS[2:]], listed, wrap=[1, 4]))
    for rule, why in sorted(result.skipped.items()):
        out.append(Text(f"skipped {rule} {RULES[rule].name}: {why}", style="dim"))
    out += [Text(f"note: {n}", style="yellow") for n in notes(result)]
    out.append(
        table_or_list(console, "evidence", ["fact", "value"], [list(x) for x in lines(result)], wrap=[1])
    )
    if banner:
        out.append(Text(banner, style="bold white on red"))
    return out


def print_audit(console: Console, result: AuditResult) -> None:
    for r in renderables(console, result):
        console.print(r)
