"""`tenantry events failed | replay | deliver`, `tenantry history EMAIL`, and the observability
options the run commands share (`--metrics-file`, `--log-format`).

Exit codes: 0 done; 1 `events failed` found undeliverable deliveries, or a replay left some
undelivered; 2 bad input (tenants.yaml, journal).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tenantry.cli.common import JournalOpt
from tenantry.config import tenants as config_mod
from tenantry.errors import InputError

events_app = typer.Typer(
    help="Webhook deliveries kept in the journal: list failed ones, replay them.", no_args_is_help=True
)
out = Console()
err = Console(stderr=True, soft_wrap=True)


@contextlib.contextmanager
def observed(metrics_file: Path | None, log_format: str | None) -> Iterator[None]:
    """Logs configured for the command; metrics written when it ends, whatever the outcome."""
    from tenantry.events import logs
    from tenantry.events.metrics import write_metrics_file

    try:
        restore = logs.configure(log_format)
    except ValueError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None
    try:
        yield
    finally:
        restore()
        if metrics_file is not None:
            write_metrics_file(metrics_file)


def _open(config: Path | None, journal: str | None):
    from tenantry.events.store import EventStore
    from tenantry.execution.journal import Journal

    try:
        cfg = config_mod.load(config) if config else None
    except InputError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None
    url = journal or (cfg.org.journal if cfg else "sqlite:///tenantry.db")
    return cfg, EventStore.of_journal(Journal(url))


ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="tenants.yaml (journal, webhooks).")]
# not common's JsonOpt: these commands' errors go to stderr, not into the document
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]


def _print_deliveries(rows, as_json: bool) -> None:
    if as_json:
        out.print_json(
            json.dumps(
                [
                    {
                        "delivery": d.seq,
                        "event_id": d.event_id,
                        "type": json.loads(d.body)["type"],
                        "subject": json.loads(d.body)["subject"],
                        "url": d.url,
                        "attempts": d.attempts,
                        "last_status": d.last_status,
                        "last_error": d.last_error,
                    }
                    for d in rows
                ]
            )
        )
        return
    t = Table("delivery", "event", "type", "subject", "url", "attempts", "last error")
    for d in rows:
        ev = json.loads(d.body)
        t.add_row(
            str(d.seq),
            d.event_id[:12],
            ev["type"].rsplit(".", 1)[-1],
            ev["subject"],
            d.url,
            str(d.attempts),
            d.last_error or d.last_status or "",
        )
    out.print(t)


@events_app.command("failed")
def failed_command(config: ConfigOpt = None, journal: JournalOpt = None, as_json: JsonOpt = False) -> None:
    """List webhook deliveries that ran out of attempts (exit 1 if there are any)."""
    _, store = _open(config, journal)
    rows = store.failed()
    _print_deliveries(rows, as_json)
    if not as_json:
        out.print(f"{len(rows)} undeliverable; {len(store.pending())} still pending.")
    if rows:
        raise typer.Exit(1)


@events_app.command("replay")
def replay_command(
    deliveries: Annotated[
        list[int] | None, typer.Argument(help="Delivery numbers; all failed ones if none.")
    ] = None,
    config: ConfigOpt = None,
    journal: JournalOpt = None,
    wait: Annotated[float, typer.Option(help="Seconds to keep delivering (retries included).")] = 30.0,
    as_json: JsonOpt = False,
) -> None:
    """Put failed deliveries back in line and deliver everything pending, now."""
    from tenantry.events.runtime import subscribers
    from tenantry.events.webhooks import Dispatcher

    cfg, store = _open(config, journal)
    try:
        subs = subscribers(cfg)
    except InputError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None
    requeued = store.requeue(deliveries or None)
    sent = asyncio.run(Dispatcher(store, subs).drain(wait))
    left, failed = len(store.pending()), len(store.failed())
    summary = {"requeued": requeued, "attempted": sent, "pending": left, "failed": failed}
    if as_json:
        out.print_json(json.dumps(summary))
    else:
        out.print(f"requeued {requeued}, attempted {sent}; {left} pending, {failed} failed.")
    if left or failed:
        raise typer.Exit(1)


def history_command(
    email: Annotated[str, typer.Argument(help="The person (email).")],
    config: ConfigOpt = None,
    journal: JournalOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A person's timeline: every event tenantry recorded about them, oldest first."""
    _, store = _open(config, journal)
    events = store.history(email)
    if as_json:
        out.print_json(json.dumps(events))
        return
    if not events:
        out.print(f"no events about {escape(email)}")
        return
    t = Table("time", "event", "tenant", "what", "reason", "run")
    for e in events:
        d = e["data"]
        t.add_row(
            e["time"][:19].replace("T", " "),
            e["type"].rsplit(".", 1)[-1],
            d.get("tenant") or "",
            _what(d),
            d.get("reason") or "",
            (d.get("run_id") or "")[:8],
        )
    out.print(t)


def _what(d: dict) -> str:
    bits = []
    person = d.get("person") or {}
    if person.get("genesys_user_id") and d.get("operation") == "user.create":
        bits.append(f"user id {person['genesys_user_id']}")
    for key in ("division", "group", "queue", "action", "rule", "severity"):
        if d.get(key):
            bits.append(f"{key} {d[key]}")
    for g in d.get("grants") or []:
        bits.append(f"{g['role']} in {g['division']}")
    return ", ".join(bits)
