"""The reconcile queue: each touched person is reconciled once their changes settle.

An IdP moves a person with two PATCHes on two groups, in either order, seconds apart. A change
marks the person due `settle` seconds later (a later change pushes that back, up to `max_wait`
after the first), so the reconcile sees the person's whole state after both. A leaver
(deactivation, hard delete) is due at once: revoking is always safe. Due people are reconciled
together, one reconcile at a time, so a plan never races another over the same snapshot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable

log = logging.getLogger("tenantry.bridge")

Work = Callable[[set[str], dict[str, float]], Awaitable[None]]


class ReconcileQueue:
    def __init__(
        self,
        work: Work,
        *,
        settle: float = 2.0,
        max_wait: float = 10.0,
        retries: int = 3,
        backoff: float = 5.0,
        max_batch: int = 2000,
    ) -> None:
        self.work = work
        self.settle = settle
        self.max_wait = max(max_wait, settle)
        self._due: dict[str, float] = {}
        self._since: dict[str, tuple[float, float]] = {}  # email → oldest pending change (monotonic, wall)
        self._urgent: set[str] = set()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self.runs = 0
        self.failures = 0
        self.retries, self.backoff, self.max_batch = retries, backoff, max_batch
        self._attempts: dict[str, int] = {}

    def touch(self, emails: Iterable[str], *, urgent: bool = False) -> None:
        now = time.monotonic()
        for e in emails:
            if not e:
                continue
            started = self._since.setdefault(e, (now, time.time()))[0]
            if urgent:
                self._urgent.add(e)
            due = now if urgent else min(now + self.settle, started + self.max_wait)
            self._due[e] = min(self._due.get(e, due), due) if e in self._urgent else due
        if self._due:
            self._idle.clear()
            self._wake.set()

    @property
    def pending(self) -> int:
        return len(self._due)

    @property
    def idle(self) -> bool:
        """Nothing pending nor running (readable from another thread: tests poll it)."""
        return not self._due and self._idle.is_set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="tenantry-reconcile-queue")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def drained(self, timeout: float = 60.0) -> None:
        """Until nothing is pending or running (tests, the demo, a clean shutdown)."""
        await asyncio.wait_for(self._idle.wait(), timeout)

    async def _run(self) -> None:
        while True:
            if not self._due:
                self._idle.set()
                self._wake.clear()
                await self._wake.wait()
                continue
            wait = min(self._due.values()) - time.monotonic()
            if wait > 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait)
                continue
            now = time.monotonic()
            due = sorted((d, e) for e, d in self._due.items() if d <= now)
            batch = {e for _d, e in due[: self.max_batch]}  # an initial cycle goes in slices
            first = {e: self._since.pop(e)[1] for e in batch if e in self._since}
            for e in batch:
                self._due.pop(e, None)
                self._urgent.discard(e)
            self.runs += 1
            try:
                await self.work(batch, first)
            except Exception:  # a failed reconcile must not stop the queue: retried with a backoff
                self.failures += 1
                log.exception("reconcile of %d people failed", len(batch))
                self._retry(batch, first)
            else:
                for e in batch:
                    self._attempts.pop(e, None)

    def _retry(self, batch: set[str], first: dict[str, float]) -> None:
        now = time.monotonic()
        for e in batch:
            n = self._attempts[e] = self._attempts.get(e, 0) + 1
            if n > self.retries:
                self._attempts.pop(e, None)
                log.error(
                    "giving up on one person after %d attempts; the next change or full reconcile retries", n
                )
                continue
            self._since.setdefault(e, (now, first.get(e, time.time())))
            self._due[e] = min(self._due.get(e, now + self.backoff * n), now + self.backoff * n)
