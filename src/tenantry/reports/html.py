"""The HTML report: one self-contained page (inline CSS, no script, no external asset), rendered from
a Jinja2 template (templates/report.html.j2) with autoescaping on, so no name in the org can inject
markup into it.

A tenant × division heat map comes first, because a person sees a red cell off the diagonal
faster than they read a table; the evidence block says what the report covers and carries the
digest of the JSON report of the same audit; the findings, grouped by tenant and worst first,
follow. A partial audit says INCOMPLETE at the top and at the bottom of the page.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from jinja2 import Environment, PackageLoader, select_autoescape

from tenantry.audit.catalogue import NO_TENANT, RULES, SEVERITIES
from tenantry.audit.matrix import Cell, access_matrix
from tenantry.audit.model import AuditResult
from tenantry.reports.common import by_tenant, notes, summary, tenant_label
from tenantry.reports.evidence import incomplete_banner, lines
from tenantry.reports.json_report import digest_of

COLOURS = {"critical": "#b91c1c", "high": "#ea580c", "medium": "#ca8a04", "low": "#0e7490"}


@cache
def _env() -> Environment:
    return Environment(
        loader=PackageLoader("tenantry.reports", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def _css() -> str:
    return files("tenantry.reports").joinpath("templates", "report.css").read_text()


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


def _row_label(result: AuditResult, row: str) -> str:
    if row == NO_TENANT:
        return tenant_label(result, None)
    return tenant_label(result, row) if row in result.tenancy.tenants else row


def _count_text(c: dict[str, int]) -> str:
    return f"{c['users']:,} users, {c['groups']:,} groups, {c['oauth_clients']:,} OAuth clients"


def heat_map(result: AuditResult) -> dict:
    """The heat map as plain data for the template."""
    m = access_matrix(result)
    peak = max((max(c.view, c.change) for c in m.cells.values()), default=0)
    home = result.tenancy.home_division_id
    zero = {"users": 0, "groups": 0, "oauth_clients": 0}
    rows = []
    for row in m.rows:
        label = _row_label(result, row)
        cells = []
        for col in m.columns:
            cell = m.cells[(row, col.id)]
            css, cls = _cell_style(cell, peak)
            tip = (
                f"{label} → {col.name}: {cell.view:,} subject(s) can view, {cell.change:,} can change"
                f" ({cell.kind})"
            )
            cells.append({"css": css, "cls": cls, "tip": tip, "view": cell.view, "change": cell.change})
        rows.append({"label": label, "count": _count_text(m.counts.get(row, zero)), "cells": cells})
    columns = [{"name": c.name, "home": c.id == home} for c in m.columns]
    return {"columns": columns, "rows": rows}


def render_html(result: AuditResult, *, generated_at: str = "") -> str:
    counts = result.counts()
    s = summary(result, generated_at)["subjects"]
    source = "tenants.yaml" if result.tenancy.configured else "divisions (no tenants.yaml given)"
    tenants = 1 if result.scope else len(result.tenancy.tenants)
    facts = (
        f"{tenants} tenant(s) (from {source}) · {s['users']:,} users in the org "
        f"({s['active_users']:,} active) · {s['groups']:,} groups · {s['queues']:,} queues · "
        f"{s['oauth_clients']:,} OAuth clients · {len(result.access):,} access rows"
    )
    page = (
        _env()
        .get_template("report.html.j2")
        .render(
            css=_css(),
            scope=result.scope,
            banner=incomplete_banner(result),
            generated_at=generated_at,
            cards=[{"severity": sev, "count": counts[sev], "colour": COLOURS[sev]} for sev in SEVERITIES],
            facts=facts,
            evidence=lines(result),
            digest=digest_of(result, generated_at=generated_at),
            heat=heat_map(result),
            groups=[{"label": tenant_label(result, k), "findings": fs} for k, fs in by_tenant(result)],
            colours=COLOURS,
            skipped=[(r, RULES[r].name, why) for r, why in sorted(result.skipped.items())],
            notes=notes(result),
        )
    )
    return page + ("" if page.endswith("\n") else "\n")
