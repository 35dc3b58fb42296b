"""Scale-out on PostgreSQL with procrastinate: batches become jobs, `tenantry worker`s run them.

Each worker runs with its own OAuth client, so each adds its own rate budget. A job's lock is
the object its batch changes, so two batches on one object never run at once; the coordinator
(`tenantry apply`) defers one phase at a time and waits for it, so phases still run in order.
The journal decides exactly-once: a batch already `done` there is never run again.

Killed workers: every worker sends procrastinate heartbeats; while it waits, the coordinator asks
procrastinate for the jobs of workers whose heartbeat stopped (stalled jobs) and retries those of
its own run (the journal skips whatever already finished) and fails those of any other run. A job
of a superseded run (its journal run is no longer `running`) never runs its batch, whenever a
worker picks it up: a newer plan has taken over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import procrastinate
import psycopg
from procrastinate.jobs import Status

from tenantry.execution.executor import (
    ApplyResult,
    Context,
    Guard,
    GuardError,
    PhaseProgress,
    Resolver,
    plan_id,
    run_batch,
)
from tenantry.execution.journal import Journal
from tenantry.genesys import GenesysClient, GenesysError
from tenantry.planning.plan import Batch, Plan

log = logging.getLogger("tenantry.worker")

QUEUE = "tenantry"
TASK = "tenantry.run_batch"
_SCHEMA_LOCK = 7_463_201  # advisory lock id: one process applies procrastinate's schema
HEARTBEAT = 1.0  # seconds between a worker's heartbeats
STALLED_AFTER = 6.0  # a worker silent this long is dead: its jobs are retried (or failed)
MAX_ATTEMPTS = 3  # a batch whose worker died this often is failed, not retried forever


def conninfo(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]


@dataclass
class WorkerState:
    client: GenesysClient
    journal: Journal
    resolver: Resolver
    name: str


_STATE: WorkerState | None = None


async def _task(run_id: str, batch: dict[str, Any], guard: dict[str, list[str]]) -> str:
    state = _STATE
    if state is None:
        raise RuntimeError("this process is not a tenantry worker")
    b = Batch(batch["phase"], batch["op"], batch["target"], batch["items"], batch.get("tenant"), batch["id"])
    if state.journal.run_status(run_id) != "running":
        return "superseded"  # a newer run took over (or this one ended): its plan is stale
    if state.journal.batch_statuses(run_id).get(b.id) == "done":
        return "already done"
    guard_rails = Guard(frozenset(guard["org_admins"]), frozenset(guard["protected"]))
    # a new OAuth client's secret lands on the machine of the worker that created it, mode 600
    ctx = Context(state.client, state.resolver, state.journal, guard_rails, Path("tenantry-secrets"))
    state.journal.batch_started(run_id, b.id, state.name)
    try:
        out = await run_batch(ctx, b)
    except (GenesysError, GuardError, LookupError) as exc:
        state.journal.batch_failed(run_id, b.id, str(exc))
        return "failed"
    state.journal.batch_done(run_id, b.id, out)
    return "done"


def make_app(journal_url: str) -> procrastinate.App:
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(journal_url)))
    app.task(name=TASK, queue=QUEUE)(_task)
    return app


async def ensure_schema(journal_url: str, app: procrastinate.App) -> None:
    async with await psycopg.AsyncConnection.connect(conninfo(journal_url), autocommit=True) as conn:
        await conn.execute("SELECT pg_advisory_lock(%s)", (_SCHEMA_LOCK,))
        try:
            row = await (await conn.execute("SELECT to_regclass('procrastinate_jobs')")).fetchone()
            if row is None or row[0] is None:
                await app.schema_manager.apply_schema_async()
        finally:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (_SCHEMA_LOCK,))


def _payload(b: Batch) -> dict[str, Any]:
    return {
        "id": b.id,
        "phase": b.phase,
        "op": str(b.op),
        "target": b.target,
        "items": b.items,
        "tenant": b.tenant,
    }


@dataclass
class ExtraQueue:
    """Another queue a worker serves beside the batches (the SCIM bridge's reconcile jobs): its
    own procrastinate worker, so its jobs never take the slots the batches they wait for need.
    Its stalled jobs (a dead worker's) are retried by whichever worker is alive."""

    queue: str
    register: Callable[[procrastinate.App], None]
    concurrency: int = 200
    fetch_every: float = 0.2  # its jobs are scheduled (a settle window): poll, do not wait 5 s
    background: Callable[[], Coroutine[Any, Any, None]] | None = None


async def run_worker(
    client: GenesysClient,
    journal: Journal,
    *,
    concurrency: int = 8,
    name: str | None = None,
    stop: asyncio.Event | None = None,
    extra: Sequence[ExtraQueue] = (),
) -> None:
    """Serve batches (and `extra` queues) until `stop` is set (or the process is interrupted)."""
    global _STATE
    _STATE = WorkerState(client, journal, Resolver(client), name or f"{socket.gethostname()}:{id(client):x}")
    app = make_app(journal.url)
    for q in extra:
        q.register(app)
    async with app.open_async():
        await ensure_schema(journal.url, app)
        worker = asyncio.create_task(
            app.run_worker_async(
                queues=[QUEUE],
                concurrency=concurrency,
                install_signal_handlers=stop is None,
                update_heartbeat_interval=HEARTBEAT,
                stalled_worker_timeout=STALLED_AFTER,
            )
        )
        others = [
            asyncio.create_task(
                app.run_worker_async(
                    queues=[q.queue],
                    concurrency=q.concurrency,
                    install_signal_handlers=False,
                    update_heartbeat_interval=HEARTBEAT,
                    stalled_worker_timeout=STALLED_AFTER,
                    fetch_job_polling_interval=q.fetch_every,
                )
            )
            for q in extra
        ]
        others += [asyncio.create_task(_recover_loop(app, q.queue)) for q in extra]
        for q in extra:
            if q.background is not None:
                others.append(task := asyncio.create_task(q.background()))
                task.add_done_callback(lambda t: _background_ended(t, worker))
        try:
            if stop is None:
                await worker
            else:
                await stop.wait()
        finally:
            for t in [worker, *others]:
                t.cancel()
            await asyncio.gather(worker, *others, return_exceptions=True)


def _background_ended(task: asyncio.Task[Any], worker: asyncio.Task[Any]) -> None:
    """A queue's background task (the bridge's job runner) must not die while the worker lives:
    its jobs would wait for ever. Stop the worker instead: its heartbeat stops, and another
    worker retries its jobs as stalled."""
    if task.cancelled() or task.exception() is None:
        return
    log.error("a worker queue's background task failed; stopping this worker", exc_info=task.exception())
    worker.cancel()


async def recover_stalled(app: procrastinate.App, queue: str) -> int:
    """Jobs of `queue` whose worker's heartbeat stopped: retried now, failed after MAX_ATTEMPTS."""
    n = 0
    jm = app.job_manager
    for job in await jm.get_stalled_jobs(queue=queue, seconds_since_heartbeat=STALLED_AFTER):
        assert job.id is not None
        if job.queueing_lock and await _waiting(app, job.queueing_lock):
            # an equal job already waits (its queueing lock): it covers this one, which cannot
            # go back to `todo` beside it; left `doing`, it would hold its lock for ever
            with contextlib.suppress(Exception):
                await jm.finish_job_by_id_async(job.id, Status.FAILED, delete_job=False)
                n += 1
            continue
        try:
            if job.attempts < MAX_ATTEMPTS:
                await jm.retry_job_by_id_async(job.id, retry_at=datetime.now(UTC))
            else:
                await jm.finish_job_by_id_async(job.id, Status.FAILED, delete_job=False)
            n += 1
        except Exception:  # another live worker recovered it first
            continue
    return n


async def _waiting(app: procrastinate.App, queueing_lock: str) -> bool:
    row = await app.connector.execute_query_one_async(
        "SELECT count(*) AS n FROM procrastinate_jobs WHERE queueing_lock = %(l)s AND status = 'todo'",
        l=queueing_lock,
    )
    return bool(row and row["n"])


async def _recover_loop(app: procrastinate.App, queue: str) -> None:
    while True:
        await asyncio.sleep(HEARTBEAT * 2)
        with contextlib.suppress(Exception):  # the database away for a moment: next round
            await recover_stalled(app, queue)


async def recover(app: procrastinate.App, run_id: str) -> dict[str, int]:
    """Jobs of dead workers (their heartbeat stopped) of `run_id` are retried; every job of another
    run — a superseded one: the run lock lets one run live at a time — is failed if it was taken,
    cancelled if it waits. Returns what was done."""
    done: Counter[str] = Counter()
    jm = app.job_manager
    for job in await jm.get_stalled_jobs(queue=QUEUE, seconds_since_heartbeat=STALLED_AFTER):
        assert job.id is not None
        if job.task_kwargs.get("run_id") != run_id:
            continue  # another run's: failed below
        if job.attempts < MAX_ATTEMPTS:
            await jm.retry_job_by_id_async(job.id, retry_at=datetime.now(UTC))
            done["retried"] += 1
        else:  # its workers keep dying: the batch fails rather than loop
            await jm.finish_job_by_id_async(job.id, Status.FAILED, delete_job=False)
            done["failed"] += 1
    for status in ("doing", "todo"):
        for job in await jm.list_jobs_async(queue=QUEUE, status=status):
            if job.id is None or job.task_kwargs.get("run_id") == run_id:
                continue
            if status == "doing":
                await jm.finish_job_by_id_async(job.id, Status.FAILED, delete_job=False)
            else:
                await jm.cancel_job_by_id_async(job.id)
            done["failed" if status == "doing" else "cancelled"] += 1
    return dict(done)


async def diagnose(journal_url: str, run_id: str) -> str:
    """What stops a run: no live worker, or jobs held by dead ones."""
    async with await psycopg.AsyncConnection.connect(conninfo(journal_url), autocommit=True) as conn:
        live = await (
            await conn.execute(
                "SELECT count(*) FROM procrastinate_workers "
                "WHERE last_heartbeat > now() - %s * interval '1 second'",
                (STALLED_AFTER,),
            )
        ).fetchone()
        rows = await (
            await conn.execute(
                "SELECT status, count(*) FROM procrastinate_jobs WHERE queue_name = %s "
                "AND args->>'run_id' = %s GROUP BY status",
                (QUEUE, run_id),
            )
        ).fetchall()
    jobs = ", ".join(f"{n} {s}" for s, n in rows) or "none"
    n = live[0] if live else 0
    hint = "start `tenantry worker --journal …` (or apply with its local worker)" if not n else ""
    alive = f"{n} worker(s) alive (heartbeat within {STALLED_AFTER:.0f} s)"
    return f"{alive}; this run's jobs: {jobs}. {hint}".strip()


async def execute_distributed(
    plan: Plan,
    journal: Journal,
    guard: Guard,
    *,
    run_id: str | None = None,
    progress: PhaseProgress | None = None,
    local: tuple[GenesysClient, int] | None = None,
    poll: float = 0.2,
    idle_timeout: float = 300.0,
) -> ApplyResult:
    """Defer each phase's batches as jobs and wait for the workers; `local` also works in-process."""
    app = make_app(journal.url)
    guard_json: dict[str, Any] = {
        "org_admins": sorted(guard.org_admins),
        "protected": sorted(guard.protected),
    }
    if run_id is None:
        run_id = journal.start_run(
            plan_id(plan), plan.fingerprint, [(b.id, b.phase, b.op, b.target, b.tenant) for b in plan.batches]
        )
    result = ApplyResult(run_id)
    start = time.perf_counter()
    stop = asyncio.Event()
    local_worker = None
    async with app.open_async():
        await ensure_schema(journal.url, app)
        await recover(app, run_id)
        if local is not None:
            local_worker = asyncio.create_task(
                run_worker(local[0], journal, concurrency=local[1], name="coordinator", stop=stop)
            )
        try:
            for phase, batches in plan.phases():
                await _run_phase(
                    app, journal, run_id, phase, batches, guard_json, result, progress, poll, idle_timeout
                )
                if result.failed:
                    result.stopped_after = phase
                    break
        finally:
            stop.set()
            if local_worker is not None:
                await asyncio.gather(local_worker, return_exceptions=True)
    result.seconds = time.perf_counter() - start
    journal.finish_run(run_id, "done" if result.ok else "failed", result.to_json())
    return result


async def _run_phase(
    app: procrastinate.App,
    journal: Journal,
    run_id: str,
    phase: str,
    batches: list[Batch],
    guard_json: dict[str, Any],
    result: ApplyResult,
    progress: PhaseProgress | None,
    poll: float,
    idle_timeout: float,
) -> None:
    statuses = journal.batch_statuses(run_id)
    todo = [b for b in batches if statuses.get(b.id) != "done"]
    result.skipped += len(batches) - len(todo)
    advance = progress(phase, len(batches)) if progress else (lambda: None)
    for _ in range(len(batches) - len(todo)):
        advance()
    task = app.tasks[TASK]
    jobs: dict[int, str] = {}
    for b in todo:
        job = await task.configure(lock=b.locks[0]).defer_async(
            run_id=run_id, batch=_payload(b), guard=guard_json
        )
        jobs[job] = b.id
    pending = {b.id: b for b in todo}
    last_change = last_recover = time.monotonic()
    while pending:
        await asyncio.sleep(poll)
        statuses = journal.batch_statuses(run_id)
        finished = [i for i in pending if statuses.get(i) in ("done", "failed")]
        for i in finished:
            b = pending.pop(i)
            if statuses[i] == "done":
                result.done += 1
            else:
                err = next((r["error"] for r in journal.batch_rows(run_id) if r["batch_id"] == i), "")
                result.failed.append((b, err or "failed"))
            advance()
        now = time.monotonic()
        if finished:
            last_change = now
        if now - last_recover > HEARTBEAT * 2:
            last_recover = now
            await recover(app, run_id)
            await _fail_abandoned(app, journal, run_id, jobs, pending, result, advance)
        if pending and time.monotonic() - last_change > idle_timeout:
            raise TimeoutError(
                f"no batch finished for {idle_timeout:.0f} s: {await diagnose(journal.url, run_id)}"
            )


async def _fail_abandoned(
    app: procrastinate.App,
    journal: Journal,
    run_id: str,
    jobs: dict[int, str],
    pending: dict[str, Batch],
    result: ApplyResult,
    advance: Any,
) -> None:
    """A pending batch whose job procrastinate ended without a journal record (failed by `recover`
    after its workers kept dying, or crashed in the task): failed here too, with the reason."""
    rows = await app.connector.execute_query_all_async(
        "SELECT id, status FROM procrastinate_jobs WHERE id = ANY(%(ids)s) "
        "AND status IN ('failed', 'cancelled', 'aborted')",
        ids=list(jobs),
    )
    for row in rows:
        i = jobs.get(row["id"])
        if i is None or i not in pending:
            continue
        b = pending.pop(i)
        msg = f"its job ended {row['status']} without finishing (the workers running it died)"
        journal.batch_failed(run_id, i, msg)
        result.failed.append((b, msg))
        advance()
