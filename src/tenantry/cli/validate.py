"""`tenantry validate -c tenants.yaml [--people FEED]`: check inputs without changing anything.

Exit codes: 0 valid, 1 a problem (each named with file, line and field). Role names are checked
against the org only when credentials are available (environment or --profile).
"""

from __future__ import annotations

import asyncio

import typer
from rich.markup import escape

from tenantry.cli.common import ConfigOpt, Io, JsonOpt, PeopleOpt, ProfileOpt, TargetOpt, WideOpt, required
from tenantry.errors import InputError
from tenantry.genesys import ConfigError, GenesysError
from tenantry.genesys.api import roles as roles_api
from tenantry.services.runtime import client_for, preflight, settings_for
from tenantry.services.validation import validate


async def _org_roles(settings) -> set[str]:
    async with client_for(settings) as client:
        await preflight(client)
        return {r.name for r in await roles_api.list_roles(client)}


def validate_command(
    config: ConfigOpt = None,
    people: PeopleOpt = None,
    as_json: JsonOpt = False,
    wide: WideOpt = False,
    profile: ProfileOpt = None,
    target: TargetOpt = None,
) -> None:
    """Check tenants.yaml (and a people feed) for everything that needs no org: schema, rules,
    columns, duplicates, certificates; role names too when credentials are given."""
    io = Io(wide, as_json)
    try:
        path = required(config, "--config", "tenants.yaml", "tenantry validate")
    except InputError as exc:
        raise io.input_error(exc) from None
    report = validate(path, people)
    if report.config is not None:
        try:
            settings = settings_for(report.config, profile, target)
        except ConfigError:
            settings = None
        if settings is not None:
            try:
                report = validate(path, people, asyncio.run(_org_roles(settings)))
            except GenesysError as exc:
                raise io.fail(str(exc)) from None
    if as_json:
        io.emit(report.to_json())
    else:
        for p in report.problems:
            io.out.print(f"[red]error:[/red] {escape(str(p))}", soft_wrap=True)
        for n in report.notes:
            io.out.print(f"note: {escape(n)}")
        if report.ok:
            io.out.print("[green]valid[/green]")
        else:
            io.out.print(f"[red]{len(report.problems)} problem(s)[/red]")
    if not report.ok:
        raise typer.Exit(1)
