"""`tenantry emulator …`: the offline org as a command."""

from __future__ import annotations

from typing import Annotated

import typer

emulator_app = typer.Typer(help="Run the built-in Genesys Cloud emulator.", no_args_is_help=True)


@emulator_app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port; 0 picks a free one.")] = 8765,
    seed: Annotated[
        str, typer.Option(help="demo | empty | FILE | scale:users=N,tenants=M[,grants=G][,inactive=K]")
    ] = "demo",
    state: Annotated[str | None, typer.Option(help="Keep the org in this file across restarts.")] = None,
    rate_limit: Annotated[
        str, typer.Option(help="Requests per token and window, e.g. 300/60s or 300/1s.")
    ] = "300/60s",
    token_rate_limit: Annotated[str, typer.Option(help="Token mints per client and window.")] = "120/60s",
    faults: Annotated[
        str | None, typer.Option(help="e.g. 429:0.05,500:0.02,503:0.02,timeout:0.01,reset:0.01,latency:20ms")
    ] = None,
    fault_seed: Annotated[int, typer.Option(help="Seed that makes the faults reproducible.")] = 0,
    consistency_delay: Annotated[
        str, typer.Option(help="New roles, divisions, groups answer 404 when referenced this long.")
    ] = "0s",
    org_rate_limit: Annotated[
        str | None, typer.Option(help="An org-wide ceiling over all tokens' requests, e.g. 600/60s.")
    ] = None,
) -> None:
    """Serve an emulated org; prints its base URL and the admin client's id and secret."""
    # imported here: the server stack is not loaded by every other command
    from genesys_emulator.faults import parse_duration
    from genesys_emulator.server import Options, serve

    try:
        opts = Options(
            seed,
            host,
            port,
            rate_limit,
            token_rate_limit,
            faults,
            fault_seed,
            parse_duration(consistency_delay),
            state,
            org_rate_limit,
        )
        opts.validate()
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        serve(opts, echo=typer.echo)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        pass
