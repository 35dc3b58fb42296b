"""`tenantry conversations --tenant KEY --interval START/END`: one tenant's conversation details.

Exit codes: 0 the report; 1 a returned conversation is not the tenant's alone (nothing is
printed), or the platform refused; 2 bad input (tenants.yaml, tenant, interval, credentials).
"""

from __future__ import annotations

import asyncio
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tenantry.analytics.scope import COLUMNS, to_csv, to_jsonl
from tenantry.analytics.service import Report, ScopeError, pull
from tenantry.cli.common import ConfigOpt, LogFormatOpt, MetricsFileOpt, ProfileOpt, TargetOpt
from tenantry.cli.events import observed
from tenantry.config import tenants as config_mod
from tenantry.errors import InputError
from tenantry.genesys import ConfigError, GenesysError


class Format(StrEnum):
    table = "table"
    csv = "csv"
    jsonl = "jsonl"


def _interval(text: str) -> str:
    """`2026-11-01/2026-11-08` (dates are UTC midnights) or full ISO-8601 date-times."""
    from datetime import datetime

    start, sep, end = text.partition("/")
    if not sep:
        raise ValueError(f"--interval {text!r}: give START/END, e.g. 2026-11-01/2026-11-08")
    parts = []
    for p in (start, end):
        p = p.strip()
        if len(p) == 10:
            p += "T00:00:00Z"
        try:
            datetime.fromisoformat(p.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"--interval {text!r}: {p!r} is not an ISO-8601 date or date-time") from None
        parts.append(p)
    if parts[1] <= parts[0]:
        raise ValueError(f"--interval {text!r}: the end must come after the start")
    return "/".join(parts)


def conversations_command(
    tenant: Annotated[str, typer.Option("--tenant", "-t", help="Tenant key from tenants.yaml.")],
    interval: Annotated[str, typer.Option("--interval", help="START/END, e.g. 2026-11-01/2026-11-08.")],
    config: ConfigOpt = None,
    fmt: Annotated[Format, typer.Option("--format", help="table, csv or jsonl.")] = Format.table,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the rows to FILE.")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="A JSON summary: count per day, per queue.")
    ] = False,
    use_job: Annotated[
        bool | None, typer.Option("--async/--sync", help="Force the details jobs API or the query.")
    ] = None,
    secrets_dir: Annotated[
        Path, typer.Option("--secrets-dir", help="Where apply keeps new OAuth clients' secrets.")
    ] = Path("tenantry-secrets"),
    profile: ProfileOpt = None,
    target: TargetOpt = None,
    metrics_file: MetricsFileOpt = None,
    log_format: LogFormatOpt = None,
) -> None:
    """A tenant's conversation details, read with its own client when tenantry holds its secret."""
    out, err = Console(), Console(stderr=True, soft_wrap=True)
    with observed(metrics_file, log_format):
        try:
            if config is None:
                raise InputError(
                    [config_mod.Problem("tenantry", None, "--config", "tenants.yaml is required")]
                )
            cfg = config_mod.load(config)
            if tenant not in cfg.tenants:
                raise ValueError(f"tenant {tenant!r} is not in {config}; one of {', '.join(cfg.tenants)}")
            span = _interval(interval)
            from tenantry.services.runtime import settings_for

            settings = settings_for(cfg, profile, target)
        except (InputError, ValueError, ConfigError) as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}")
            raise typer.Exit(2) from None
        try:
            report = asyncio.run(
                _pull(settings, tenant, cfg.tenants[tenant], span, secrets_dir, use_job, err)
            )
        except ScopeError as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}")
            raise typer.Exit(1) from None
        except (GenesysError, TimeoutError) as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}")
            raise typer.Exit(1) from None
        _render(report, fmt, output, as_json, out, err)


async def _pull(settings, tenant, spec, span, secrets_dir, use_job, err: Console) -> Report:
    from tenantry.services.runtime import progress as bar_of

    with bar_of(err) as bar:
        task = bar.add_task(f"conversations {tenant}", total=None)

        def advance(read: int, total: int | None) -> None:
            bar.update(task, completed=read, total=total)

        return await pull(
            settings, tenant, spec, span, secrets_dir=secrets_dir, use_job=use_job, progress=advance
        )


def _render(
    report: Report, fmt: Format, output: Path | None, as_json: bool, out: Console, err: Console
) -> None:
    rows = report.rows
    if fmt is Format.table and output is None and not as_json:
        t = Table(*COLUMNS, title=f"{report.tenant}: {len(rows)} conversations ({report.via})")
        for r in rows:
            t.add_row(*(";".join(v) if isinstance(v, list) else str(v or "") for v in r.values()))
        out.print(t)
        return
    text = to_csv(rows) if fmt is Format.csv else to_jsonl(rows) if fmt is Format.jsonl else ""
    if output is not None:
        output.write_text(text if text else to_jsonl(rows))
        err.print(
            f"{len(rows)} conversations of {report.tenant} written to {escape(str(output))} ({report.via})"
        )
    elif not as_json:
        out.file.write(text)
    if as_json:
        out.print_json(json.dumps(report.summary()))
