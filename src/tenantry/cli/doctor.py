"""`tenantry doctor`: a pass/fail table of what tenantry needs from the target org.

Exit codes: 0 all checks pass, 1 a check failed, 2 the credentials are missing or wrong or the
target does not answer (one sentence naming the URL, within seconds, no traceback). With
`--json`, one document on stdout whatever happens: `{"ok", "checks": [...]}`, plus `"error"`
when the run stopped short (exit 2).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from tenantry.cli.common import Io, JsonOpt, ProfileOpt, TargetOpt
from tenantry.config import tenants as tenants_config
from tenantry.errors import InputError
from tenantry.genesys.config import GenesysSettings, load_settings
from tenantry.genesys.doctor import DoctorReport, run_doctor
from tenantry.genesys.errors import ConfigError
from tenantry.services.runtime import Unreachable, client_for, reachable


def doctor_command(
    profile: ProfileOpt = None,
    profiles_file: Annotated[
        Path | None,
        typer.Option("--profiles-file", help="Genesys profiles file (TOML or YAML) holding --profile NAME."),
    ] = None,
    legacy_config: Annotated[
        Path | None, typer.Option("--config", hidden=True, help="Old name of --profiles-file.")
    ] = None,
    target: TargetOpt = None,
    tenants: Annotated[
        Path | None,
        typer.Option("--tenants", help="tenants.yaml: also check tenantry holds every role its clients get."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Check the target, credentials, token, permissions and rate-limit headers."""
    io = Io(as_json=as_json)
    try:
        settings = load_settings(profile, profiles_file or legacy_config, target=target)
        client_roles = _client_roles(tenants) if tenants else None
        report = asyncio.run(_doctor(settings, client_roles))
    except (ConfigError, InputError, Unreachable) as exc:
        raise io.fail(str(exc), 2) from None
    if as_json:
        io.emit(to_json(report))
    else:
        io.out.print(render(report))
    if report.credentials_error:
        if not as_json:
            io.err.print(f"[red]error:[/red] {escape(report.credentials_error)}", soft_wrap=True)
        raise typer.Exit(2)
    if not report.ok:
        if not as_json:
            io.err.print(f"[red]{sum(not c.ok for c in report.checks)} check(s) failed.[/red]")
        raise typer.Exit(1)
    if not as_json:
        io.out.print("[green]All checks passed.[/green]")


async def _doctor(settings: GenesysSettings, client_roles: dict[str, list[str]] | None) -> DoctorReport:
    """A quick reachability probe first: an unreachable target is named within seconds."""
    async with client_for(settings) as client:
        await reachable(client)
    return await run_doctor(settings, client_roles=client_roles)


def _client_roles(path: Path) -> dict[str, list[str]]:
    """Tenant OAuth client name → the roles tenants.yaml gives it."""
    cfg = tenants_config.load(path)
    return {c.name: list(c.roles) for t in cfg.tenants.values() for c in t.oauth_clients}


def to_json(report: DoctorReport) -> dict[str, Any]:
    """The report for scripts; wrong credentials are the `error`, as in every command's contract."""
    doc: dict[str, Any] = {
        "ok": report.ok,
        "checks": [
            {"name": c.name, "client": c.client_id, "ok": c.ok, "detail": c.detail} for c in report.checks
        ],
    }
    if report.credentials_error:
        doc["error"] = report.credentials_error
    return doc


def render(report: DoctorReport) -> Table:
    table = Table(title="tenantry doctor", show_lines=False)
    table.add_column("check", no_wrap=True)
    table.add_column("client", overflow="fold")
    table.add_column("result", no_wrap=True)
    table.add_column("detail", overflow="fold")
    for check in report.checks:
        verdict = "[green]pass[/green]" if check.ok else "[red]FAIL[/red]"
        table.add_row(check.name, escape(check.client_id), verdict, escape(check.detail))
    return table
