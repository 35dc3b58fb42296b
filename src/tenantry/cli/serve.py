"""`tenantry serve` (the SCIM bridge) and `tenantry reconcile EMAIL` (provision on demand).

Exit codes: serve 0 on a clean stop, 1 bad input; reconcile 0 done, 1 error or not converged.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from tenantry.config import tenants as config_mod
from tenantry.errors import InputError, Problem
from tenantry.genesys import ConfigError
from tenantry.services import tenants as svc
from tenantry.services.runtime import client_for, settings_for

out = Console()
err = Console(stderr=True, soft_wrap=True)

ConfigOpt = Annotated[Path, typer.Option("--config", "-c", help="tenants.yaml (with sources:)")]
JournalOpt = Annotated[str | None, typer.Option("--journal", help="Journal URL (overrides tenants.yaml).")]
ProfileOpt = Annotated[str | None, typer.Option("--profile", "-p", help="Named Genesys profile.")]
TargetOpt = Annotated[str | None, typer.Option("--target", help="Region, domain or base URL.")]
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def duration(text: str, option: str) -> float:
    """`2s`, `500ms`, `10m`, `1h` (or bare seconds) → seconds; InputError naming the option."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*", text)
    if not m:
        raise InputError(
            [Problem("tenantry serve", None, option, f"{text!r} is not a duration such as 2s or 1h")]
        )
    return float(m.group(1)) * _UNITS[m.group(2) or "s"]


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/red] {escape(message)}")
    return typer.Exit(code)


def serve_command(
    config: ConfigOpt,
    host: Annotated[str, typer.Option(help="Listen address (TLS belongs to a reverse proxy).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Listen port.")] = 8080,
    settle: Annotated[str, typer.Option(help="Wait this long after a person's last change.")] = "2s",
    full_every: Annotated[str | None, typer.Option("--full-every", help="Full reconcile, e.g. 1h.")] = None,
    index_every: Annotated[str, typer.Option("--index-every", help="Re-read the whole org index.")] = "10m",
    body_limit: Annotated[int, typer.Option(help="Largest request body, in bytes.")] = 1_048_576,
    replicas: Annotated[
        bool,
        typer.Option(
            "--replicas/--single",
            help="PostgreSQL journal only: one of several serve replicas; batches go to `tenantry worker`s.",
        ),
    ] = False,
    admin_token_env: Annotated[
        str | None, typer.Option(help="Environment variable holding the token for POST /admin/…")
    ] = None,
    journal: JournalOpt = None,
    profile: ProfileOpt = None,
    target: TargetOpt = None,
) -> None:
    """Serve SCIM 2.0 for the IdPs under sources: at /scim/v2/<source>; reconcile what they push."""
    import uvicorn

    from tenantry.bridge.app import make_app
    from tenantry.bridge.server import uvicorn_config
    from tenantry.bridge.service import Bridge, sources_of

    try:
        cfg = config_mod.load(config)
        if not cfg.sources:
            raise InputError(
                [cfg.problem("sources", "tenantry serve needs at least one source under sources:")]
            )
        timings = (duration(settle, "--settle"), duration(index_every, "--index-every"))
        full = duration(full_every, "--full-every") if full_every else None
        admin = os.environ.get(admin_token_env) if admin_token_env else None
        if admin_token_env and not admin:
            raise InputError(
                [Problem("tenantry serve", None, "--admin-token-env", f"{admin_token_env} is unset")]
            )
        sources = sources_of(cfg)  # every token present before anything else is opened
        client = client_for(settings_for(cfg, profile, target))
        jr = svc.journal_for(cfg, journal)
        if replicas and not jr.is_postgres:
            raise InputError([Problem("tenantry serve", None, "--replicas", "needs a postgresql:// journal")])
        bridge = Bridge(
            cfg, jr, client, settle=timings[0], index_every=timings[1], sources=sources, replicas=replicas
        )
    except InputError as exc:
        raise _fail(str(exc)) from None
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    app = make_app(bridge, body_limit=body_limit, full_every=full, admin_token=admin)
    err.print(f"SCIM for {', '.join(cfg.sources)} at http://{host}:{port}/scim/v2/<source>")
    cfg_uv = uvicorn_config(app)
    cfg_uv.host, cfg_uv.port = host, port
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: uvicorn drains, then re-raises it
        uvicorn.Server(cfg_uv).run()
