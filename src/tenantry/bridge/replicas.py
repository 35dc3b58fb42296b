"""Several `tenantry serve` replicas on one PostgreSQL store: reconciles become procrastinate jobs.

Behind a load balancer, an IdP's two PATCHes of one move can reach two replicas. Neither plans
anything: each stores the change and defers a job "reconcile this person" (`JobQueue.touch`).
Per person there is at most one waiting job — its procrastinate *queueing lock* — so a burst of
changes across replicas makes one job, and the settle window lives in that job's `scheduled_at`
in the database, shared by every replica (a later change pushes it back, up to `max_wait` after
the first; a leaver makes it due at once). The job's *lock* is the person too: a change arriving
while the person's reconcile runs waits for it, then reconciles from what it left.

`tenantry worker -c tenants.yaml` runs the jobs (`ReplicaWorker`): due jobs are gathered into one
reconcile that reads the people's whole current state from the shared store, re-reads them in
the worker's org index, plans and applies revoke-before-grant; the batches run on the workers
(execution/distributed.py). The apply run lock is per org, so the workers' reconciles take turns
on a PostgreSQL advisory lock rather than fail on it. A worker killed mid-reconcile stops
heartbeating; another worker retries its stalled jobs (and the batches of the dead run fail).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

import procrastinate
import psycopg
from procrastinate.exceptions import AlreadyEnqueued

from tenantry.execution.distributed import conninfo, ensure_schema, make_app

log = logging.getLogger("tenantry.bridge")
QUEUE = "tenantry-bridge"
TASK = "tenantry.bridge_reconcile"
RETRY = procrastinate.RetryStrategy(max_attempts=5, wait=2)
_ORG_LOCK = int.from_bytes(hashlib.sha256(b"tenantry-bridge:reconcile").digest()[:8], "big", signed=True)

# A waiting job of this person: its settle window pushed back (or made due now, for a leaver).
_PUSH_BACK = """
UPDATE procrastinate_jobs SET
  scheduled_at = CASE
    WHEN %(urgent)s OR (args->>'urgent')::boolean THEN LEAST(COALESCE(scheduled_at, now()), now())
    ELSE GREATEST(COALESCE(scheduled_at, now()), LEAST(now() + make_interval(secs => %(settle)s),
         to_timestamp((args->>'since')::float8) + make_interval(secs => %(max_wait)s)))
  END,
  args = CASE WHEN %(urgent)s THEN jsonb_set(args, '{urgent}', 'true') ELSE args END
WHERE queueing_lock = %(lock)s AND status = 'todo'
"""


def person_lock(email: str) -> str:
    return f"tenantry-bridge:{email}"


class JobQueue:
    """A serve replica's side: touched people → one waiting procrastinate job each."""

    def __init__(self, journal_url: str, *, settle: float, max_wait: float) -> None:
        self.url = journal_url
        self.settle, self.max_wait = settle, max(max_wait, settle)
        self.app = make_app(journal_url)
        self.deferred = 0  # jobs this replica created
        self.merged = 0  # changes folded into a job already waiting
        self.last_depth: dict[str, int] = {}

    async def start(self) -> None:
        await self.app.open_async()
        await ensure_schema(self.url, self.app)

    async def stop(self) -> None:
        await self.app.close_async()

    async def touch(self, emails: Iterable[str], *, urgent: bool = False, reason: str = "") -> None:
        """Durable before the SCIM answer: a replica that dies after answering loses nothing."""
        for email in sorted(set(emails)):
            lock = person_lock(email)
            job = self.app.configure_task(
                TASK,
                queue=QUEUE,
                lock=lock,
                queueing_lock=lock,
                schedule_in={"seconds": 0 if urgent else self.settle},
            )
            try:
                await job.defer_async(email=email, since=time.time(), reason=reason, urgent=urgent)
                self.deferred += 1
            except AlreadyEnqueued:
                self.merged += 1
                await self.app.connector.execute_query_async(
                    _PUSH_BACK, urgent=urgent, settle=self.settle, max_wait=self.max_wait, lock=lock
                )

    async def depth(self) -> dict[str, int]:
        """Waiting (`todo`) and running (`doing`) reconcile jobs, across every replica."""
        rows = await self.app.connector.execute_query_all_async(
            "SELECT status::text AS status, count(*) AS n FROM procrastinate_jobs "
            "WHERE queue_name = %(q)s AND status IN ('todo', 'doing') GROUP BY status",
            q=QUEUE,
        )
        self.last_depth = {r["status"]: int(r["n"]) for r in rows}
        return self.last_depth


@contextlib.asynccontextmanager
async def org_locked(journal_url: str) -> AsyncIterator[None]:
    """One bridge reconcile at a time across workers (apply's run lock would refuse the second)."""
    async with await psycopg.AsyncConnection.connect(conninfo(journal_url), autocommit=True) as conn:
        await conn.execute("SELECT pg_advisory_lock(%s)", (_ORG_LOCK,))
        try:
            yield
        finally:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (_ORG_LOCK,))


Reconcile = Callable[[set[str], dict[str, str]], Awaitable[Any]]


class ReplicaWorker:
    """A worker's side: each job waits for the reconcile that covers its person; the jobs due
    together (an initial cycle's group PATCHes) share one reconcile, `max_batch` people at most."""

    def __init__(
        self,
        reconcile: Reconcile,
        on_done: Callable[[set[str], dict[str, float]], None],
        *,
        gather: float = 0.05,
        max_batch: int = 500,
    ) -> None:
        self.reconcile, self.on_done = reconcile, on_done
        self.gather, self.max_batch = gather, max_batch
        self._due: list[tuple[str, float, str, asyncio.Future[str]]] = []
        self._wake = asyncio.Event()
        self.runs = 0

    def register(self, app: procrastinate.App) -> None:
        async def bridge_reconcile(email: str, since: float, reason: str = "", urgent: bool = False) -> str:
            return await self.job(email, since, reason)

        app.task(name=TASK, queue=QUEUE, retry=RETRY)(bridge_reconcile)

    async def job(self, email: str, since: float, reason: str = "") -> str:
        fut: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._due.append((email, since, reason, fut))
        self._wake.set()
        return await fut  # an exception here is procrastinate's cue to retry the job

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await asyncio.sleep(self.gather)  # jobs fetched together share one reconcile
            while self._due:
                batch, self._due = self._due[: self.max_batch], self._due[self.max_batch :]
                await self._one(batch)

    async def _one(self, batch: list[tuple[str, float, str, asyncio.Future[str]]]) -> None:
        emails = {e for e, *_ in batch}
        reasons = {e: r for e, _s, r, _f in batch if r}
        since: dict[str, float] = {}
        for e, s, _r, _f in batch:
            since[e] = min(s, since.get(e, s))
        self.runs += 1
        error: BaseException | None = None
        try:
            outcome = await self.reconcile(emails, reasons)
            if not outcome.ok:
                error = RuntimeError(f"the reconcile of {len(emails)} people did not converge")
        except Exception as exc:  # the job fails and is retried; the worker goes on
            log.exception("bridge reconcile of %d people failed", len(emails))
            error = exc
        if error is None:
            self.on_done(emails, since)
        for *_x, fut in batch:
            if not fut.done():
                fut.set_exception(error) if error is not None else fut.set_result("done")
