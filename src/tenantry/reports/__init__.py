"""Renderings of an AuditResult: a terminal table, JSON (see SCHEMA.md), markdown and one HTML page.

Each renderer is a pure function of the result; the CLI decides where the text goes.
"""

from __future__ import annotations

from collections.abc import Callable

from tenantry.audit.engine import AuditResult

FORMATS = ("table", "json", "markdown", "html")


def render(result: AuditResult, fmt: str, *, generated_at: str = "") -> str:
    """The report as text in one of FORMATS. `generated_at` is shown as given (the caller's clock)."""
    renderers: dict[str, Callable[[AuditResult, str], str]] = {
        "table": _table,
        "json": _json,
        "markdown": _markdown,
        "html": _html,
    }
    if fmt not in renderers:
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    return renderers[fmt](result, generated_at)


def _table(result: AuditResult, generated_at: str) -> str:
    from tenantry.reports.table import render_text

    return render_text(result)


def _json(result: AuditResult, generated_at: str) -> str:
    from tenantry.reports.json_report import render_json

    return render_json(result, generated_at=generated_at)


def _markdown(result: AuditResult, generated_at: str) -> str:
    from tenantry.reports.markdown import render_markdown

    return render_markdown(result, generated_at=generated_at)


def _html(result: AuditResult, generated_at: str) -> str:
    from tenantry.reports.html import render_html

    return render_html(result, generated_at=generated_at)
