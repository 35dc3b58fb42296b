"""tenantry's command line: parse, call, render. The work happens in the modules it calls."""

from __future__ import annotations

from typing import Annotated

import typer

from tenantry.cli.emulator import emulator_app
from tenantry.cli.tenants import (
    apply_command,
    move_command,
    plan_command,
    reconcile_command,
    show_command,
    worker_command,
)

app = typer.Typer(
    name="tenantry",
    help="Keep many client tenants isolated inside one Genesys Cloud organization.",
    no_args_is_help=True,
    add_completion=True,
    rich_markup_mode=None,
)


def _version() -> str:
    from importlib.metadata import version as v

    return v("tenantry")


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"tenantry {_version()}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print tenantry's version and exit.", is_eager=True, callback=_print_version
        ),
    ] = False,
) -> None:
    """Keep many client tenants isolated inside one Genesys Cloud organization."""


def _mount() -> None:
    """Commands that live in their own modules."""
    from tenantry.cli.audit import audit_command
    from tenantry.cli.doctor import doctor_command
    from tenantry.cli.explain import explain_command
    from tenantry.cli.import_org import import_command
    from tenantry.cli.retire import retire_command
    from tenantry.cli.serve import serve_command
    from tenantry.cli.tenants_list import tenants_command
    from tenantry.cli.validate import validate_command

    app.command("plan")(plan_command)
    app.command("show")(show_command)
    app.command("apply")(apply_command)
    app.command("move")(move_command)
    app.command("reconcile")(reconcile_command)
    app.command("retire")(retire_command)
    app.command("explain")(explain_command)
    app.command("tenants")(tenants_command)
    app.command("validate")(validate_command)
    app.command("import")(import_command)
    app.command("audit")(audit_command)
    app.command("doctor")(doctor_command)
    app.command("worker")(worker_command)
    app.add_typer(emulator_app, name="emulator")
    from tenantry.cli.conversations import conversations_command
    from tenantry.cli.events import events_app, history_command

    app.command("conversations")(conversations_command)
    app.command("history")(history_command)
    app.add_typer(events_app, name="events")
    from tenantry.cli.sso import sso_app

    app.add_typer(sso_app, name="sso")
    app.command("serve")(serve_command)


_mount()


@app.command()
def version() -> None:
    """Print tenantry's version."""
    typer.echo(_version())


if __name__ == "__main__":
    app()
