"""tenantry's command line: parse, call, render. The work happens in the modules it calls."""

from __future__ import annotations

import typer
from rich.console import Console

from tenantry.cli.emulator import emulator_app
from tenantry.cli.tenants import apply_command, move_command, plan_command, worker_command

app = typer.Typer(
    name="tenantry",
    help="Keep many client tenants isolated inside one Genesys Cloud organization.",
    no_args_is_help=True,
    add_completion=False,
)
app.command("plan")(plan_command)
app.command("apply")(apply_command)
app.command("move")(move_command)
app.command("worker")(worker_command)
app.add_typer(emulator_app, name="emulator")
console = Console(stderr=True)


def _mount() -> None:
    """Commands that live in their own modules."""
    from tenantry.cli.audit import audit_command
    from tenantry.cli.doctor import doctor_command
    from tenantry.cli.serve import reconcile_command, serve_command

    app.command("doctor")(doctor_command)
    app.command("audit")(audit_command)
    app.command("serve")(serve_command)
    app.command("reconcile")(reconcile_command)


_mount()


@app.command()
def version() -> None:
    """Print tenantry's version."""
    from importlib.metadata import version as v

    typer.echo(v("tenantry"))


if __name__ == "__main__":
    app()
