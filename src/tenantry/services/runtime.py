"""The edges the commands share: settings → client, a quick preflight, a snapshot read under a progress bar.

The preflight exists because the client's retry budget is tuned for a long apply (a connection
error is retried for up to two minutes): an operator who mistyped a region must hear about it in
seconds, with the URL, not after half a minute of silence.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from tenantry.config.tenants import Config
from tenantry.domain.model import Snapshot
from tenantry.genesys import GenesysClient, GenesysSettings, load_settings
from tenantry.genesys.config import ENV_API_REGION, ENV_REGION
from tenantry.genesys.reachability import PREFLIGHT_TIMEOUT, Unreachable, reachable

__all__ = ["PREFLIGHT_TIMEOUT", "Unreachable", "reachable"]
from tenantry.genesys.snapshot import read_snapshot


def settings_for(config: Config | None, profile: str | None, target: str | None) -> GenesysSettings:
    """Environment or profile credentials; tenants.yaml's `org.target` when nothing names a region."""
    env_names_region = os.environ.get(ENV_REGION) or os.environ.get(ENV_API_REGION)
    if target is None and config is not None and config.org.target and not env_names_region:
        target = config.org.target
    return load_settings(profile, target=target)


def client_for(settings: GenesysSettings, **kwargs) -> GenesysClient:
    return GenesysClient.from_settings(settings, **kwargs)


async def preflight(client: GenesysClient, timeout: float = PREFLIGHT_TIMEOUT) -> None:
    """Target answers, then each OAuth client gets a token, one at a time, before any concurrent read.

    Minting first means wrong credentials fail as one clear error, before the snapshot's many
    concurrent requests start (and leave half-opened connections behind).
    """
    await reachable(client, timeout)
    for member in client.pool.members:
        await member.tokens.get()


def rate_wait(client: GenesysClient | None, clock: Callable[[], float] = time.monotonic) -> float:
    """Seconds the client is waiting on its rate budget (the longest member wait; 0 when none)."""
    if client is None:
        return 0.0
    now = clock()
    return max(
        (m.budget.sleeping_until - now for m in client.pool.members if m.budget.sleeping_until), default=0.0
    )


class RateWaitColumn(ProgressColumn):
    """Says so on the progress line while the rate budget holds requests back, and for how long."""

    def __init__(self, client: GenesysClient | None) -> None:
        super().__init__()
        self.client = client

    def render(self, task: Task) -> Text:
        wait = rate_wait(self.client)
        if wait < 0.2:
            return Text("")
        return Text(f"rate limit: waiting {wait:.0f} s", style="yellow")


@contextmanager
def rate_notices(console: Console, client: GenesysClient | None, every: float = 0.25) -> Iterator[None]:
    """Without a terminal (a CI log) no bar is drawn: say each rate-limit wait of a second or more."""
    if client is None or console.is_terminal:
        yield
        return
    stop = threading.Event()

    def watch() -> None:
        told = 0.0
        while not stop.wait(every):
            until = max((m.budget.sleeping_until for m in client.pool.members), default=0.0)
            wait = rate_wait(client)
            if wait >= 1.0 and until != told:
                told = until
                console.print(f"rate limit: waiting {wait:.0f} s")

    thread = threading.Thread(target=watch, name="tenantry-rate-notices", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def progress(console: Console, client: GenesysClient | None = None) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description:<22}"),
        BarColumn(bar_width=24),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        RateWaitColumn(client),
        console=console,
        transient=False,
    )


async def snapshot_with_progress(client: GenesysClient, console: Console) -> Snapshot:
    await preflight(client)
    with progress(console, client) as bar, rate_notices(console, client):
        task = bar.add_task("reading the org", total=None)
        snap = await read_snapshot(client, progress=lambda _step: bar.advance(task))
        bar.update(task, total=bar.tasks[0].completed, description="read the org")
    return snap


@contextmanager
def phase_bars(
    console: Console, client: GenesysClient | None = None
) -> Iterator[Callable[[str, int], Callable[[], None]]]:
    """A bar per phase, created as the executor reaches it."""
    with progress(console, client) as bar, rate_notices(console, client):

        def start(phase: str, total: int) -> Callable[[], None]:
            task = bar.add_task(phase, total=total)
            return lambda: bar.advance(task)

        yield start
