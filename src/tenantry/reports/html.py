"""The HTML report: one self-contained page (inline CSS, no script, no external asset).

A tenant × division heat map comes first, because a person sees a red cell off the diagonal
faster than they read a table; the findings, grouped by tenant and worst first, follow.
"""

from __future__ import annotations

from html import escape

from tenantry.audit.engine import (
    NO_TENANT,
    RULES,
    SEVERITIES,
    AuditResult,
    Cell,
    Finding,
    access_matrix,
)
from tenantry.reports.common import by_tenant, notes, summary, tenant_label

COLOURS = {"critical": "#b91c1c", "high": "#ea580c", "medium": "#ca8a04", "low": "#0e7490"}

CSS = """
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
  color:#1f2937;background:#f3f4f6}
header{background:#111827;color:#f9fafb;padding:18px 32px}
header h1{margin:0;font-size:22px;font-weight:650}
header p{margin:4px 0 0;color:#9ca3af}
main{padding:20px 32px 40px;max-width:1600px}
section{background:#fff;border-radius:10px;box-shadow:0 1px 3px rgba(0,0,0,.08);padding:18px 22px;
  margin:0 0 18px}
h2{font-size:17px;margin:0 0 12px}
h3{font-size:15px;margin:18px 0 8px}
.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{flex:1 1 120px;border-radius:8px;padding:10px 14px;background:#f9fafb;border-left:6px solid #d1d5db}
.card b{display:block;font-size:26px;line-height:1.1}
.card span{color:#4b5563}
.facts{margin:12px 0 0;color:#4b5563}
table{border-collapse:collapse;width:100%}
.heat{width:auto}
.heat th,.heat td{border:1px solid #e5e7eb;padding:6px 8px;text-align:center;min-width:74px}
.heat thead th{background:#f9fafb;font-weight:600;font-size:12px;vertical-align:bottom}
.heat tbody th{text-align:left;background:#f9fafb;font-weight:600;white-space:nowrap}
.heat td b{font-size:15px}
.heat td small{display:block;font-size:11px;opacity:.85}
.heat .zero{color:#c0c4cc;background:#fbfbfc}
.legend{display:flex;gap:16px;flex-wrap:wrap;margin:10px 0 0;color:#4b5563;font-size:12px}
.legend i{display:inline-block;width:14px;height:14px;border-radius:3px;vertical-align:-2px;margin-right:5px}
.findings th,.findings td{border-bottom:1px solid #e5e7eb;padding:7px 8px;text-align:left;vertical-align:top}
.findings thead th{background:#f9fafb;font-size:12px;text-transform:uppercase;letter-spacing:.03em;
  color:#4b5563}
.sev{display:inline-block;color:#fff;border-radius:4px;padding:1px 7px;font-size:12px;font-weight:600}
code{font:12px/1.3 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f3f4f6;padding:1px 4px;
  border-radius:3px}
.fix{color:#4b5563;font-size:12px}
.rule small{white-space:nowrap;color:#6b7280}
.ok{color:#15803d;font-weight:600}
.skipped{color:#6b7280;font-size:13px}
"""


def _cell_style(cell: Cell, peak: int) -> tuple[str, str]:
    """(css, class) of a heat-map cell: green on the tenant's own division, red across tenants."""
    if not cell.view and not cell.change:
        return "", "zero"
    share = max(cell.view, cell.change) / peak if peak else 0.0
    alpha = 0.25 + 0.75 * share
    if cell.kind == "own":
        return f"background:rgba(22,163,74,{alpha:.2f});color:{'#fff' if alpha > 0.6 else '#14532d'}", "own"
    if cell.kind == "foreign":
        return f"background:rgba(220,38,38,{max(alpha, 0.7):.2f});color:#fff;font-weight:700", "foreign"
    return f"background:rgba(71,85,105,{alpha * 0.6:.2f});color:{'#fff' if alpha > 0.8 else '#1e293b'}", "org"


def heat_map(result: AuditResult) -> str:
    m = access_matrix(result)
    users = {t["key"]: t["users"] for t in summary(result)["tenants"]}
    peak = max((max(c.view, c.change) for c in m.cells.values()), default=0)
    home = result.tenancy.home_division_id
    head = "".join(
        f"<th scope='col'>{escape(c.name)}{'<br><small>(home)</small>' if c.id == home else ''}</th>"
        for c in m.columns
    )
    rows = []
    for row in m.rows:
        label = tenant_label(result, None if row == NO_TENANT else row)
        count = f" <small>({users[row]:,} users)</small>" if row in users else ""
        cells = []
        for col in m.columns:
            cell = m.cells[(row, col.id)]
            css, cls = _cell_style(cell, peak)
            tip = (
                f"{label} → {col.name}: {cell.view:,} subject(s) can view, {cell.change:,} can change"
                f" ({cell.kind})"
            )
            body = "·" if cls == "zero" else f"<b>{cell.view:,}</b><small>✎ {cell.change:,}</small>"
            cells.append(f"<td class='{cls}' style='{css}' title='{escape(tip)}'>{body}</td>")
        rows.append(f"<tr><th scope='row'>{escape(label)}{count}</th>{''.join(cells)}</tr>")
    legend = (
        "<div class='legend'>"
        "<span><i style='background:#16a34a'></i>own division</span>"
        "<span><i style='background:#dc2626'></i>another tenant's division: a cross-tenant reach</span>"
        "<span><i style='background:#64748b'></i>home or a division of no tenant</span>"
        "<span>number: users, groups and OAuth clients that can view there; ✎ that can change</span>"
        "</div>"
    )
    return (
        "<section id='heatmap'><h2>Access: tenant × division</h2>"
        f"<table class='heat'><thead><tr><th>subjects of ↓ reach →</th>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>{legend}</section>"
    )


def _finding_row(f: Finding) -> str:
    sev = f"<span class='sev' style='background:{COLOURS[f.severity]}'>{f.severity}</span>"
    extra = []
    if f.role:
        extra.append(f"role <code>{escape(f.role.name)}</code>")
    if f.member:
        extra.append(f"member <code>{escape(f.member.name)}</code>")
    return (
        "<tr class='finding' data-rule='{rule}' data-severity='{severity}'>"
        "<td>{sev}</td><td class='rule'><b>{rule}</b><br><small>{rule_name}</small></td>"
        "<td>{stype}<br><code>{sname}</code></td><td>{division}</td><td>{path}</td>"
        "<td>{why}<br><small>{extra}</small><div class='fix'>{matters}</div></td>"
        "<td class='fix'>{fix}</td></tr>"
    ).format(
        rule=escape(f.rule),
        severity=escape(f.severity),
        sev=sev,
        rule_name=escape(f.rule_info.name),
        stype=escape(f.subject.type.replace("_", " ")),
        sname=escape(f.subject.name),
        division=escape(f.division.name if f.division else "—"),
        path=escape(f.path),
        why=escape(f.why),
        extra="; ".join(extra),
        matters=escape(f.rule_info.why),
        fix=escape(f.fix),
    )


def findings_section(result: AuditResult) -> str:
    if not result.findings:
        body = "<p class='ok'>No findings: no tenant can reach another.</p>"
    else:
        parts = []
        for key, findings in by_tenant(result):
            parts.append(
                f"<h3>tenant: {escape(tenant_label(result, key))} — {len(findings)} finding(s)</h3>"
                "<table class='findings'><thead><tr><th>severity</th><th>rule</th><th>subject</th>"
                "<th>division</th><th>path</th><th>why it matters</th><th>how to fix</th></tr></thead>"
                f"<tbody>{''.join(_finding_row(f) for f in findings)}</tbody></table>"
            )
        body = "".join(parts)
    skipped = "".join(
        f"<p class='skipped'>Skipped {escape(r)} {escape(RULES[r].name)}: {escape(why)}</p>"
        for r, why in sorted(result.skipped.items())
    )
    limits = "".join(f"<p class='skipped'><b>Note:</b> {escape(n)}</p>" for n in notes(result))
    return f"<section id='findings'><h2>Findings</h2>{body}{skipped}{limits}</section>"


def render_html(result: AuditResult, *, generated_at: str = "") -> str:
    counts = result.counts()
    s = summary(result, generated_at)["subjects"]
    cards = "".join(
        f"<div class='card' style='border-left-color:{COLOURS[sev]}'><b>{counts[sev]:,}</b>"
        f"<span>{sev}</span></div>"
        for sev in SEVERITIES
    )
    source = "tenants.yaml" if result.tenancy.configured else "divisions (no tenants.yaml given)"
    facts = (
        f"{len(result.tenancy.tenants)} tenants (from {source}) · {s['users']:,} users "
        f"({s['active_users']:,} active) · {s['groups']:,} groups · {s['queues']:,} queues · "
        f"{s['oauth_clients']:,} OAuth clients · {len(result.access):,} access rows"
    )
    when = f" · {escape(generated_at)}" if generated_at else ""
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>tenantry isolation audit</title><style>{CSS}</style></head><body>"
        f"<header><h1>tenantry isolation audit</h1><p>Can any tenant reach another?{when}</p></header>"
        f"<main><section id='summary'><div class='cards'>{cards}</div>"
        f"<p class='facts'>{escape(facts)}</p></section>"
        f"{heat_map(result)}{findings_section(result)}</main></body></html>\n"
    )
