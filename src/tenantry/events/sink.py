"""The executor's event hook, and the session that surrounds a run (`apply`, `move`, `serve`).

`EventSink.batch_applied` runs inside the executor right after a batch is journaled: it builds
the batch's events, appends them to the JSON-lines audit log, stores them (and their pending
deliveries) in the journal's database, counts them, and wakes the background dispatcher. Local
writes only: no subscriber is ever called from a batch, so a slow one cannot slow provisioning.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tenantry.events import metrics
from tenantry.events.model import SOURCE, BatchFacts, Who, batch_events, finding_events
from tenantry.events.store import EventStore
from tenantry.events.types import short_type
from tenantry.events.webhooks import Dispatcher, Subscriber

log = logging.getLogger("tenantry.events")  # rendered by events.logs when --log-format is given
log.addHandler(logging.NullHandler())


class AuditLog:
    """Appends events, one JSON object a line; the file is opened per write so rotation just works."""

    def __init__(self, path: Path | None) -> None:
        self.path = path

    def append(self, events: Sequence[dict[str, Any]]) -> None:
        if self.path is None or not events:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.writelines(json.dumps(e, separators=(",", ":"), sort_keys=True) + "\n" for e in events)


class EventSink:
    def __init__(
        self,
        store: EventStore,
        *,
        audit_log: Path | None = None,
        dispatcher: Dispatcher | None = None,
        people: Mapping[str, Who] | None = None,
        source: str = SOURCE,
    ) -> None:
        self.store = store
        self.audit_log = AuditLog(audit_log)
        self.dispatcher = dispatcher
        self.people = dict(people or {})
        self.source = source
        self.emitted = 0

    def emit(self, events: Sequence[dict[str, Any]]) -> None:
        if not events:
            return
        self.audit_log.append(events)
        self.store.add(events, self.dispatcher.urls_for if self.dispatcher else (lambda _e: ()))
        for e in events:
            metrics.EVENTS.labels(short_type(e["type"])).inc()
        self.emitted += len(events)
        if self.dispatcher is not None:
            self.dispatcher.wake.set()

    # ---- the executor's hook -------------------------------------------------------------
    def batch_applied(self, run_id: str, batch: Any, result: Mapping[str, Any], resolver: Any = None) -> None:
        metrics.BATCHES.labels(batch.phase, batch.op, "done").inc()
        ids = getattr(resolver, "ids", {}) or {}
        facts = BatchFacts(
            run_id,
            batch.id,
            batch.phase,
            batch.op,
            batch.target,
            list(batch.items),
            batch.tenant,
            dict(result or {}),
        )
        events = batch_events(facts, self.people, lambda e: ids.get(("user", e.lower())), self.source)
        self.emit(events)
        log.info(
            "batch applied",
            extra=_context(run_id, batch, events=len(events)),
        )

    def applied_from_journal(
        self, plan: Any, rows: Iterable[dict], resolver: Any = None, since: float = 0
    ) -> int:
        """Events of batches that workers ran (procrastinate): read back from the journal after the
        run, for the batches this run finished; the plan supplies each batch's items."""
        by_id = {b.id: b for b in plan.batches}
        rows = list(rows)
        for row in rows:  # ids the workers learnt: new users first, so later events can name them
            b = by_id.get(row["batch_id"])
            if b is not None and b.op == "user.create" and row["status"] == "done" and resolver is not None:
                made = json.loads(row["result"] or "{}").get("id")
                if made:
                    resolver.learn("user", b.target, made)
        n = 0
        for row in rows:
            b = by_id.get(row["batch_id"])
            if b is None or row["status"] != "done" or (row["finished_at"] or 0) < since:
                continue
            self.batch_applied(row["run_id"], b, json.loads(row["result"] or "{}"), resolver)
            n += 1
        return n

    def batch_failed(self, run_id: str, batch: Any, error: str) -> None:
        metrics.BATCHES.labels(batch.phase, batch.op, "failed").inc()
        log.warning(
            "batch failed",
            extra=_context(run_id, batch, error=error),
        )

    def findings(self, findings: Iterable[Any], run_id: str) -> int:
        events = finding_events(findings, run_id, self.source)
        self.emit(events)
        return len(events)


def people_index(persons: Iterable[Any], feed: str) -> dict[str, Who]:
    """HR id and reason for each person of a feed (inputs.people.Person)."""
    return {
        p.email.lower(): Who(p.hr_id, f"people feed {feed} line {p.line} (status {p.status})")
        for p in persons
    }


@contextlib.asynccontextmanager
async def session(
    store: EventStore,
    *,
    audit_log: Path | None = None,
    subscribers: Sequence[Subscriber] = (),
    people: Mapping[str, Who] | None = None,
    drain_seconds: float = 10.0,
    dispatcher: Dispatcher | None = None,
) -> AsyncIterator[EventSink]:
    """A sink for one run, with webhook delivery in the background; after the run, deliveries
    are drained for at most `drain_seconds`; the rest stays pending in the journal."""
    disp = dispatcher or (Dispatcher(store, subscribers) if subscribers else None)
    sink = EventSink(store, audit_log=audit_log, dispatcher=disp, people=people)
    task = asyncio.create_task(disp.run()) if disp else None
    started = time.perf_counter()
    try:
        yield sink
    finally:
        metrics.RECONCILE.labels("apply").observe(time.perf_counter() - started)
        if disp is not None and task is not None:
            t0 = time.monotonic()
            await disp.stop(task, max(drain_seconds, 0.1))
            left = drain_seconds - (time.monotonic() - t0)
            if left > 0:
                await disp.drain(left, while_progressing=True)


def _context(run_id: str, batch: Any, **more: Any) -> dict[str, Any]:
    """A batch's log context: its run, id, tenant, op, phase and target."""
    return dict(
        run_id=run_id,
        batch_id=batch.id,
        tenant=batch.tenant,
        op=batch.op,
        phase=batch.phase,
        target=batch.target,
        **more,
    )
