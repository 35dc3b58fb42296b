"""The bridge at run time: sources, store, org index and reconcile queue, and the rules between them.

`check_feed` refuses a change that would put a person in a tenant its source may not feed,
before anything is stored. `_work` reconciles the due people from their whole current state in
the store (every source's people are the world the rules see), against the org index.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tenantry.bridge import metrics
from tenantry.bridge.index import OrgIndex
from tenantry.bridge.queue import ReconcileQueue
from tenantry.bridge.replicas import JobQueue, org_locked
from tenantry.bridge.schema import ScimError
from tenantry.bridge.security import RateLimiter
from tenantry.bridge.store import Store
from tenantry.config.tenants import Config, SourceSpec, matches
from tenantry.errors import InputError
from tenantry.events.model import Who
from tenantry.events.runtime import EventSink, for_service
from tenantry.execution.journal import Journal
from tenantry.genesys import GenesysClient
from tenantry.inputs.people import Person
from tenantry.planning.plan import Plan
from tenantry.services import tenants as svc

log = logging.getLogger("tenantry.bridge")
_KEY = secrets.token_bytes(32)  # tokens are kept only as keyed hashes, compared in constant time
# the SCIM request being answered (its request.state: source, op), the reason of what it touches
REQUEST: contextvars.ContextVar[Any] = contextvars.ContextVar("tenantry_scim_request", default=None)


def token_hash(token: str) -> bytes:
    return hmac.new(_KEY, token.encode(), hashlib.sha256).digest()


@dataclass
class Source:
    name: str
    spec: SourceSpec
    token_digest: bytes
    limiter: RateLimiter
    auth_failures: int = 0
    requests: int = 0

    def accepts(self, presented: str | None) -> bool:
        ok = presented is not None and hmac.compare_digest(token_hash(presented), self.token_digest)
        if not ok:
            self.auth_failures += 1
        return ok


@dataclass
class Latency:
    """IdP change → reconcile done, per reconciled person (seconds)."""

    samples: list[float] = field(default_factory=list)

    def add(self, value: float) -> None:
        self.samples.append(value)
        metrics.observe_latency(value)
        del self.samples[:-10_000]


def sources_of(config: Config) -> dict[str, Source]:
    """Each source with its token resolved; InputError (file, line, field) when one is missing."""
    out, problems = {}, []
    for name, spec in config.sources.items():
        token = spec.token(config.base_dir)
        if token is None:
            where = f"sources.{name}.{'token_env' if spec.token_env else 'token_file'}"
            what = f"environment variable {spec.token_env}" if spec.token_env else f"file {spec.token_file}"
            problems.append(config.problem(where, f"the bearer token is missing: {what} is unset or empty"))
            continue
        out[name] = Source(name, spec, token_hash(token), RateLimiter.parse(spec.rate_limit))
    if problems:
        raise InputError(problems)
    return out


def in_flight(client: GenesysClient) -> int:
    """Batches a reconcile keeps in flight: as many as the token pool can carry at its fullest.

    The SCIM side shares this process's event loop: while an IdP pushes, each Genesys call waits
    longer for its turn, and the CLI's 8 in flight held a pool of 4 tokens to ~0.55 × its rate
    ceiling during an initial cycle. The pool's budgets still pace the calls (no more 429s).
    """
    pool = client.pool
    return max(8, pool.max_size * pool.members[0].budget.max_concurrency)


class Bridge:
    """The rules, the store and the org index; reconciles in this process (`--single`), or, as
    one of several replicas on PostgreSQL, as jobs for `tenantry worker`s (bridge/replicas.py)."""

    def __init__(
        self,
        config: Config,
        journal: Journal,
        client: GenesysClient,
        *,
        settle: float = 2.0,
        index_every: float = 600.0,
        sources: dict[str, Source] | None = None,
        replicas: bool = False,
    ) -> None:
        self.config = config
        self.journal = journal
        self.store = Store(journal)
        self.client = client
        self.sources = sources if sources is not None else sources_of(config)
        self.index = OrgIndex(client, max_age=index_every)
        self.in_flight = in_flight(client)
        self.queue = ReconcileQueue(self._work, settle=settle, max_wait=max(10.0, settle * 5))
        self.latency = Latency()
        self.last_outcome: svc.Outcome | None = None
        self.waiting: dict[str, str] = {}  # email → why its reconcile waits (two tenants at once)
        self.reasons: dict[str, str] = {}  # email → the IdP request that last touched it (events)
        self.events: EventSink | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._busy = asyncio.Lock()
        self._stack = contextlib.AsyncExitStack()
        # several serve replicas on one PostgreSQL store: reconciles are jobs for `tenantry worker`s
        self.replicas = replicas and journal.is_postgres
        self.jobs = (
            JobQueue(journal.url, settle=settle, max_wait=self.queue.max_wait) if self.replicas else None
        )
        if self.jobs is None:
            metrics.QUEUE_DEPTH.set_function(lambda: self.queue.pending)

    # ---- the rules ----------------------------------------------------------------------------
    def tenants_of(self, p: Person) -> list[str]:
        if not p.active:
            return []
        attrs = p.attrs()
        return [k for k, t in self.config.tenants.items() if matches(t.members, attrs, p.idp_groups)]

    def check_feed(self, source: str, people: Iterable[Person]) -> None:
        """ScimError 403 when the rules would put someone in a tenant `source` may not feed."""
        allowed = set(self.sources[source].spec.tenants)
        for p in people:
            bad = [t for t in self.tenants_of(p) if t not in allowed]
            if bad:
                raise ScimError(
                    403,
                    f"source {source!r} may not feed tenant {bad[0]!r}: the membership rules of "
                    f"tenants.yaml put user {p.attributes.get('user_name', p.hr_id)!r} there, and "
                    f"sources.{source}.tenants lists only {', '.join(sorted(allowed))}; nothing was changed",
                )

    def people(self) -> list[Person]:
        """Everyone every source knows (a person known to two sources: the first source wins)."""
        out: dict[str, Person] = {}
        for name in self.sources:
            for p in self.store.people(name):
                out.setdefault(p.email, p)
        return list(out.values())

    # ---- reconciling ----------------------------------------------------------------------------
    def touched(self, emails: Iterable[str], *, urgent: bool = False) -> None:
        """Queue a reconcile of these people once the SCIM request that changed them is answered
        (`flush`): here after the settle window, or as jobs for the workers (replicas)."""
        who = {e.lower() for e in emails if e}
        state = REQUEST.get()
        if state is not None:
            state.touched.append((who, urgent))
            return
        if self.jobs is None:
            self.queue.touch(who, urgent=urgent)
        else:  # not from a request (none today): the job is deferred in the background
            self._tasks.append(asyncio.create_task(self.jobs.touch(who, urgent=urgent)))

    async def flush(self, state: Any) -> None:
        """The reconciles a request asked for, with its reason: the IdP request (source, op)."""
        reason = f"IdP request: source {state.source}, {getattr(state, 'op', '?')}"
        for who, urgent in state.touched:
            if self.jobs is not None:
                await self.jobs.touch(who, urgent=urgent, reason=reason)
                continue
            for e in who:
                self.reasons[e] = reason
            self.queue.touch(who, urgent=urgent)
        state.touched.clear()

    async def queue_state(self) -> dict[str, Any]:
        if self.jobs is None:
            q = self.queue
            return {"pending": q.pending, "idle": q.idle, "runs": q.runs, "failures": q.failures}
        depth = await self.jobs.depth()
        metrics.QUEUE_DEPTH.set(depth.get("todo", 0) + depth.get("doing", 0))
        return {
            "pending": depth.get("todo", 0),
            "running": depth.get("doing", 0),
            "idle": not any(depth.values()),
            "deferred": self.jobs.deferred,
            "merged": self.jobs.merged,
        }

    def split(self, emails: set[str]) -> tuple[set[str], list[Person]]:
        """(who can be reconciled now, the world the rules see). A person the rules put in two
        tenants (mid-move: added to the new IdP group before removed from the old) waits in the
        current single tenant for the IdP's next change, and is left out of the world meanwhile."""
        people = self.people()
        conflicted = {p.email for p in people if p.active and len(self.tenants_of(p)) > 1}
        for e in emails & conflicted:
            self.waiting[e] = "matches two tenants; waiting for the IdP's next change"
        for e in emails - conflicted:
            self.waiting.pop(e, None)
        return emails - conflicted, [p for p in people if p.email not in conflicted]

    async def _work(self, emails: set[str], since: dict[str, float]) -> None:
        outcome = await self.reconcile(emails)
        if not outcome.ok:
            raise RuntimeError(f"the reconcile of {len(emails)} people did not converge")  # the queue retries
        self.reconciled(emails, since)

    def reconciled(self, emails: set[str], since: dict[str, float]) -> None:
        """Latency samples (IdP change → grant in place) of the people a reconcile converged."""
        done = time.time()
        for e in emails - set(self.waiting):
            if e in since:
                self.latency.add(done - since[e])

    async def reconcile(self, emails: set[str], reasons: dict[str, str] | None = None) -> svc.Outcome:
        """Converge these people from their whole current state in the store."""
        self.reasons.update(reasons or {})
        if not self.replicas:
            return await self._reconcile(emails)
        async with org_locked(self.journal.url):
            await self.index.reread(emails)  # another worker may have reconciled them meanwhile
            return await self._reconcile(emails)  # the store as it is once the lock is ours

    async def _reconcile(self, emails: set[str]) -> svc.Outcome:
        async with self._busy:  # one reconcile or index refresh at a time in this process
            emails, people = self.split(emails)
            snap = await self.index.snapshot()
            if self.events is not None:
                self.events.people = self._who(people, emails)
            try:
                outcome = await svc.reconcile_indexed(
                    self.config,
                    people,
                    emails,
                    self.client,
                    self.journal,
                    snap=snap,
                    feed="scim",
                    verify=lambda plan, moved: self._verify(plan, emails, moved),
                    local_worker=not self.replicas,
                    events=self.events,
                    concurrency=self.in_flight,
                )
            except Exception:
                metrics.RECONCILES.labels("error").inc()
                self.index.invalidate()
                raise
        if outcome.result is not None and not outcome.result.ok:
            self.index.invalidate()
        self.last_outcome = outcome
        metrics.RECONCILES.labels("converged" if outcome.ok else "not_converged").inc()
        if not outcome.ok:
            log.warning("reconcile of %d people did not converge", len(emails))
            log.debug("reconcile of %s: %s", sorted(emails), "; ".join(outcome.wrong) or "failed batches")
        return outcome

    def _who(self, people: list[Person], emails: set[str]) -> dict[str, Who]:
        """HR id and reason (the IdP request that touched them) of the people being reconciled."""
        out = {}
        for p in people:
            if p.email in emails:
                src = p.attributes.get("source", "?")
                out[p.email] = Who(
                    p.hr_id, self.reasons.pop(p.email, "") or f"IdP source {src}: current state"
                )
        return out

    async def refresh_index(self) -> None:
        """The whole org index, read again now (never under a running reconcile)."""
        async with self._busy:
            await self.index.refresh()

    async def _verify(self, plan: Plan, emails: set[str], moved: dict[str, str]) -> list[str]:
        if not plan.batches:
            return []  # nothing changed: the index is as fresh as it was
        await self.index.after(plan, emails)
        if not moved:
            return []
        snap = await self.index.snapshot()
        divisions = {d.id: d.name for d in snap.divisions.values()}
        by_email = snap.user_by_email()
        return [
            f"{e} is in division {divisions.get(by_email[e].division_id, '?')!r}, not {want!r}"
            for e, want in moved.items()
            if e in by_email and divisions.get(by_email[e].division_id, "").lower() != want.lower()
        ]

    async def full_reconcile(self) -> svc.Outcome | None:
        """Every person the sources know, from a fresh full snapshot: catches drift. Replicas: a
        job per person (None: the workers run them)."""
        if self.jobs is not None:
            await self.jobs.touch({p.email for p in self.people()}, reason="full reconcile")
            return None
        await self.refresh_index()
        return await self.reconcile({p.email for p in self.people()})

    # ---- lifecycle ------------------------------------------------------------------------------
    async def start(self, *, full_every: float | None = None) -> None:
        self._stack = contextlib.AsyncExitStack()
        if self.jobs is not None:  # a replica plans nothing: it never reads Genesys
            await self.jobs.start()
        else:
            self.events = await self._stack.enter_async_context(for_service(self.config, self.journal))
            self.queue.start()
            self._tasks.append(asyncio.create_task(self._refresh_loop(), name="tenantry-index-refresh"))
        if full_every:
            self._tasks.append(asyncio.create_task(self._full_loop(full_every), name="tenantry-full"))

    async def serve_jobs(self, worker: Any) -> None:
        """`tenantry worker -c`: events and the index refresh for the reconcile jobs it runs."""
        async with for_service(self.config, self.journal) as sink:
            self.events = sink
            refresh = asyncio.create_task(self._refresh_loop())
            try:
                await worker.run()
            finally:
                refresh.cancel()
                await asyncio.gather(refresh, return_exceptions=True)

    async def _refresh_loop(self) -> None:
        while True:
            await asyncio.sleep(self.index.max_age)
            try:
                await self.refresh_index()
            except Exception:
                log.exception("org index refresh failed")

    async def _full_loop(self, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await self.full_reconcile()
            except Exception:
                log.exception("scheduled full reconcile failed")

    async def stop(self) -> None:
        if self.jobs is None:
            await self.queue.stop()
        for t in self._tasks:
            t.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await t
        self._tasks.clear()
        await self._stack.aclose()
        self.events = None
        if self.jobs is not None:
            await self.jobs.stop()
