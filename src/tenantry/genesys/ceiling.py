"""An org-wide ceiling over every token of a pool, learned from the platform's 429s.

Each token has its own budget (budget.py), but an org may also be limited as a whole: then the
platform answers 429 although the token that sent the request still had room. A pool that only
paced each token would keep every token sending into that ceiling and collect 429s on all of
them. The ceiling starts open. A stray 429 (a fault) only delays its own request; a run of
429s that no token budget explains, with nothing accepted between them, sets the ceiling to what
the org accepted of the pool within the window, pauses the whole pool for Retry-After, and from
then on every request also takes a place in this shared window. Each further run lowers it a
little (the server's window and ours are never drawn at exactly the same moments); windows
without one let it rise again slowly.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from tenantry.genesys.budget import RateBudget

OPEN = 10**9
RUN = 5  # refusals in a row, none accepted between, that show a ceiling (not a stray 429)
TIGHTEN = 0.97  # each further run lowers the learned ceiling by 3%
QUIET_WINDOWS = 5  # after this many windows without a run, probe 2% higher
LOOSEN = 1.02


class OrgCeiling:
    def __init__(self, window: float = 60.0, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.budget = RateBudget(OPEN, window, max_concurrency=OPEN, learn=False, clock=clock)
        self._accepted: deque[float] = deque()  # when successful answers arrived, oldest first
        self._run = 0  # org-level refusals since the last accepted answer
        self._since = 0.0  # when the ceiling was learned or last moved
        self.hits = 0

    @property
    def learned(self) -> int | None:
        """The ceiling in requests per window, once a run of 429s has shown there is one."""
        return None if self.budget.limit >= OPEN else self.budget.limit

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if self.learned is None:  # open: cost nothing until the platform shows a ceiling
            yield
            return
        async with self.budget.slot():
            yield

    def accepted(self) -> None:
        """Count an answer the platform did not refuse for its rate (what the ceiling let through)."""
        now = self._clock()
        self._run = 0
        self._accepted.append(now)
        while self._accepted and self._accepted[0] + self.budget.window < now:
            self._accepted.popleft()
        if self.learned is not None and now - self._since > QUIET_WINDOWS * self.budget.window:
            self.budget.limit = int(self.budget.limit * LOOSEN) + 1  # the org may allow more now
            self._since = now

    def hit(self, retry_after: float, window: float, sent_at: float) -> bool:
        """A 429 that the token's own budget does not explain. A stray one (a fault) only delays
        its request; a run of them shows the org is the limit: the pool pauses for Retry-After
        and from then on stays under what the org accepted of it in one window.

        `sent_at`: when the refused request was sent; one sent before the ceiling was learned
        (or last lowered) was paced by no ceiling, so it says nothing about the learned one."""
        self.hits += 1
        self._run += 1
        if self._run < RUN:
            return False
        now = self._clock()
        while self._accepted and self._accepted[0] + window < now:
            self._accepted.popleft()
        if self.learned is None:
            self.budget.window = window
            self.budget.limit = max(1, len(self._accepted))
            self._since = now
        elif sent_at >= self._since:
            self.budget.limit = max(1, int(self.budget.limit * TIGHTEN))
            self._since = now
        self.budget.pause(retry_after)
        return True
