"""The edges the commands share: settings → client, journal, a snapshot read under a progress bar."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from tenantry.config.tenants import Config
from tenantry.domain.model import Snapshot
from tenantry.genesys import GenesysClient, GenesysSettings, load_settings
from tenantry.genesys.config import ENV_API_REGION, ENV_REGION
from tenantry.genesys.snapshot import read_snapshot


def settings_for(config: Config | None, profile: str | None, target: str | None) -> GenesysSettings:
    """Environment or profile credentials; tenants.yaml's `org.target` when nothing names a region."""
    env_names_region = os.environ.get(ENV_REGION) or os.environ.get(ENV_API_REGION)
    if target is None and config is not None and config.org.target and not env_names_region:
        target = config.org.target
    return load_settings(profile, target=target)


def client_for(settings: GenesysSettings, **kwargs) -> GenesysClient:
    return GenesysClient.from_settings(settings, **kwargs)


def progress(console: Console) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description:<22}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


async def snapshot_with_progress(client: GenesysClient, console: Console) -> Snapshot:
    with progress(console) as bar:
        task = bar.add_task("reading the org", total=None)
        snap = await read_snapshot(client, progress=lambda _step: bar.advance(task))
        bar.update(task, total=bar.tasks[0].completed, description="read the org")
    return snap


@contextmanager
def phase_bars(console: Console) -> Iterator[Callable[[str, int], Callable[[], None]]]:
    """A bar per phase, created as the executor reaches it."""
    with progress(console) as bar:

        def start(phase: str, total: int) -> Callable[[], None]:
            task = bar.add_task(phase, total=total)
            return lambda: bar.advance(task)

        yield start
