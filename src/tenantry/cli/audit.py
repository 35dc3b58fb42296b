"""`tenantry audit`: read the org, report every way one tenant can reach another.

Exit codes, so the audit can gate a pipeline: 0 nothing at or above `--fail-on` (default high),
1 something is, 2 the audit could not run (bad tenants.yaml or option, missing credentials,
unreachable org). The lead mounts it with `app.command("audit")(audit_command)`.
"""

from __future__ import annotations

import asyncio
import json
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from tenantry.audit.engine import AuditResult, audit
from tenantry.config import tenants as config_mod
from tenantry.domain.model import Snapshot
from tenantry.errors import InputError
from tenantry.genesys import ConfigError, GenesysError
from tenantry.services import saved as svc_saved


class Format(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"
    html = "html"


class Severity(StrEnum):
    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"


def _read_org(
    cfg: config_mod.Config | None, profile: str | None, target: str | None, err: Console
) -> Snapshot:
    from tenantry.services.runtime import client_for, settings_for, snapshot_with_progress

    async def go() -> Snapshot:
        client = client_for(settings_for(cfg, profile, target))
        try:
            return await snapshot_with_progress(client, err)
        finally:
            await client.aclose()

    return asyncio.run(go())


def _fail(err: Console, message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)
    return typer.Exit(2)


def audit_command(
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="tenants.yaml; without it every non-Home division is a tenant."),
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="Report format.")] = Format.table,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the report (or, with --fix, the plan) to FILE."),
    ] = None,
    fail_on: Annotated[
        Severity, typer.Option("--fail-on", help="Exit 1 when a finding at or above this severity exists.")
    ] = Severity.high,
    fix: Annotated[
        bool, typer.Option("--fix", help="Write a remediation plan to -o FILE for `tenantry apply FILE`.")
    ] = False,
    profile: Annotated[str | None, typer.Option("--profile", "-p", help="Named Genesys profile.")] = None,
    target: Annotated[str | None, typer.Option("--target", help="Region, domain or base URL.")] = None,
) -> None:
    """Prove that no tenant can reach another, and show where one can."""
    out, err = Console(), Console(stderr=True)
    if fix and output is None:
        raise _fail(err, "--fix writes a remediation plan: give it a file with -o, e.g. --fix -o fix.json")
    try:
        cfg = config_mod.load(config) if config is not None else None
        snap = _read_org(cfg, profile, target, err)
    except InputError as exc:
        raise _fail(err, str(exc)) from None
    except (ConfigError, GenesysError) as exc:
        raise _fail(err, str(exc)) from None
    result = audit(snap, cfg)
    if fix:
        _write_fix(result, cfg, output, out)
    else:
        _write_report(result, fmt.value, output, out, err)
    if result.at_or_above(fail_on.value):
        raise typer.Exit(1)


def _write_report(result: AuditResult, fmt: str, output: Path | None, out: Console, err: Console) -> None:
    from tenantry.reports import render
    from tenantry.reports.json_report import write_json
    from tenantry.reports.table import headline, print_table

    if fmt == "table" and output is None:
        print_table(out, result)
        return
    when = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    if output is None:
        out.file.write(render(result, fmt, generated_at=when))
        return
    if fmt == "json":  # streamed: a 50,000-user report is never held twice in memory
        with output.open("w") as fp:
            write_json(result, fp, generated_at=when)
    else:
        output.write_text(render(result, fmt, generated_at=when))
    err.print(headline(result))
    err.print(f"{fmt} report written to {escape(str(output))}")


def _write_fix(result: AuditResult, cfg: config_mod.Config | None, output: Path | None, out: Console) -> None:
    from tenantry.planning.remediation import remediation_plan
    from tenantry.reports.table import print_table

    assert output is not None
    plan = remediation_plan(result, cfg)
    output.write_text(json.dumps(svc_saved.signed(plan.to_json()), indent=1))  # apply trusts it
    print_table(out, result)
    out.print(
        f"Remediation plan: {plan.changes} batch(es), {len(plan.warnings)} item(s) left to a person; "
        f"written to {escape(str(output))}. Review it, then run `tenantry apply {escape(str(output))}`."
    )
    for w in plan.warnings:
        out.print(f"  [yellow]manual:[/yellow] {escape(w)}")
