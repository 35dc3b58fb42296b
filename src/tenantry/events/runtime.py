"""Events for an entry point: tenants.yaml's `events` settings → store, subscribers, a run's sink.

Shared by `apply`, `move`, `audit` and (through `for_run`) `tenantry serve`. A subscriber whose
secret variable is not set is an input error naming tenants.yaml's line, before anything runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from pathlib import Path
from typing import Any

from tenantry.errors import InputError
from tenantry.events import metrics
from tenantry.events.model import Who
from tenantry.events.sink import EventSink, people_index, session
from tenantry.events.store import EventStore
from tenantry.events.webhooks import Dispatcher, Subscriber, subscribers_from

DRAIN_SECONDS = 10.0  # at most, after a run; a subscriber that is down ends it at once


def audit_log_path(cfg: Any) -> Path | None:
    path = cfg.events.audit_log if cfg is not None else None
    return None if path is None else cfg.base_dir / path


def subscribers(cfg: Any, env: Mapping[str, str] | None = None) -> list[Subscriber]:
    if cfg is None:
        return []
    env = os.environ if env is None else env
    missing = [
        cfg.problem(f"events.webhooks.{i}.secret_env", f"environment variable {w.secret_env} is not set")
        for i, w in enumerate(cfg.events.webhooks)
        if w.secret_env not in env
    ]
    if missing:
        raise InputError(missing)
    return subscribers_from(cfg.events.webhooks, env)


@contextlib.asynccontextmanager
async def for_run(
    cfg: Any,
    journal: Any,
    *,
    persons: Iterable[Any] = (),
    feed: str = "",
    people: Mapping[str, Who] | None = None,
    drain_seconds: float = DRAIN_SECONDS,
) -> AsyncIterator[EventSink]:
    """The sink of one run: events to the journal's database and the audit log, webhooks drained
    in the background and for at most `drain_seconds` after the run."""
    index = dict(people or {}) | people_index(persons, feed)
    store = EventStore.of_journal(journal)
    async with session(
        store,
        audit_log=audit_log_path(cfg),
        subscribers=subscribers(cfg),
        people=index,
        drain_seconds=drain_seconds,
    ) as sink:
        yield sink


@contextlib.asynccontextmanager
async def for_service(cfg: Any, journal: Any, *, wake_every: float = 1.0) -> AsyncIterator[EventSink]:
    """The sink of a long-running service (`tenantry serve`, `tenantry worker -c`): deliveries go
    out in the background for its whole life, retries when due, and nothing is drained on the way
    out (what is pending stays in the journal). A reconcile only ever writes locally."""
    store = EventStore.of_journal(journal)
    subs = subscribers(cfg)
    disp = Dispatcher(store, subs) if subs else None
    sink = EventSink(store, audit_log=audit_log_path(cfg), dispatcher=disp)
    tasks: list[asyncio.Task[None]] = []
    if disp is not None:
        tasks = [asyncio.create_task(disp.run()), asyncio.create_task(_wake_for_retries(disp, wake_every))]
    try:
        yield sink
    finally:
        for t in tasks[1:]:
            t.cancel()
        if disp is not None:
            await disp.stop(tasks[0], 1.0)
        await asyncio.gather(*tasks[1:], return_exceptions=True)


async def _wake_for_retries(disp: Dispatcher, every: float) -> None:
    """Dispatcher.run sleeps until woken: wake it when a retry falls due (a subscriber came back)."""
    while True:
        await asyncio.sleep(every)
        due = disp.store.next_due_at()
        if due is not None and due <= time.time():
            disp.wake.set()


def people_per_tenant(desired: Any) -> dict[str | None, int]:
    out: dict[str | None, int] = {}
    for u in desired.users.values():
        out[u.tenant] = out.get(u.tenant, 0) + 1
    return out


def observe_desired(desired: Any) -> None:
    metrics.observe_people(people_per_tenant(desired))


def audit_findings(cfg: Any, findings: list[Any], *, drain_seconds: float = DRAIN_SECONDS) -> int:
    """Metrics for every audit; with tenants.yaml, a `leak_found` event per finding (journal,
    audit log, webhooks). Returns how many events were emitted."""
    import asyncio
    import uuid

    from tenantry.execution.journal import Journal

    metrics.observe_findings(findings)
    if cfg is None or not findings:
        return 0

    async def go() -> int:
        async with for_run(cfg, Journal(cfg.org.journal), drain_seconds=drain_seconds) as sink:
            return sink.findings(findings, "audit-" + uuid.uuid4().hex[:12])

    return asyncio.run(go())
