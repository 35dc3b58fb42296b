"""An org-wide ceiling over every token of a pool, learned from the platform's 429s.

Each token has its own budget (budget.py), but an org may also be limited as a whole: then the
platform answers 429 although the token that sent the request still had room. A pool that only
paced each token would keep every token sending into that ceiling and collect 429s on all of
them, so the ceiling is one rate shared by the whole pool, never learned per token.

The ceiling starts open (it costs nothing until the platform shows one). A 429 whose message
names the organization is the org's for certain, and the first one is enough; an unmarked 429
that no token budget explains is counted as the org's only after a run of them with nothing
accepted between (a single one is a fault, which only delays its own request). Either sets the
ceiling to what the org accepted of the pool within the window, pauses the whole pool for
Retry-After, and from then on every request also takes a place in this shared window, which
starts from the accepted answers' own times, so that it frees places when the platform's
sliding window does and not one window later. Each further run lowers it a little (the
server's window and ours are never drawn at exactly the same moments); windows without one let
it rise again slowly, never above a limit the platform's message states.
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from tenantry.genesys.budget import RateBudget

OPEN = 10**9
RUN = 5  # unmarked refusals in a row, none accepted between, that show a ceiling (not a stray 429)
TIGHTEN = 0.97  # each further run lowers the learned ceiling by 3%
QUIET_WINDOWS = 5  # after this many windows without a run, probe 2% higher
LOOSEN = 1.02
_ORG = re.compile(r"(?:\[\s*(\d+)[^\]]*)?per\s+organi[sz]ation", re.IGNORECASE)


def org_refusal(message: str) -> tuple[bool, int | None]:
    """Whether a 429's message says the org, not the token, is the limit; and the limit it states.

    The emulator (and the platform's limit messages) name what is counted: "[300 requests per
    token per window]", "[900 requests per organization per window]"."""
    m = _ORG.search(message)
    if m is None:
        return False, None
    return True, int(m.group(1)) if m.group(1) else None


class OrgCeiling:
    def __init__(self, window: float = 60.0, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.budget = RateBudget(OPEN, window, max_concurrency=OPEN, learn=False, clock=clock)
        self._accepted: deque[float] = deque()  # when successful answers arrived, oldest first
        self._run = 0  # org-level refusals since the last accepted answer
        self._since = 0.0  # when the ceiling was learned or last moved
        self._stated: int | None = None  # the limit the platform's message named, if it did
        self._learned_at = 0.0
        self.hits = 0

    @property
    def learned(self) -> int | None:
        """The ceiling in requests per window, once the platform has shown there is one."""
        return None if self.budget.limit >= OPEN else self.budget.limit

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if self.learned is None:  # open: cost nothing until the platform shows a ceiling
            yield
            return
        async with self.budget.slot():
            yield

    def accepted(self, sent_at: float) -> None:
        """Count an answer the platform did not refuse for its rate (what the ceiling let through).

        One sent before the ceiling was learned took no place in it, yet holds one in the
        platform's window: it takes its place now."""
        now = self._clock()
        if self._learned_at and sent_at < self._learned_at:
            self.budget.seed((now,))
        self._run = 0
        accepted = self._accepted
        accepted.append(now)
        edge = now - self.budget.window
        while accepted[0] < edge:
            accepted.popleft()
        if self.learned is not None and now - self._since > QUIET_WINDOWS * self.budget.window:
            self._since = now
            raised = int(self.budget.limit * LOOSEN) + 1  # the org may allow more now
            self.budget.limit = min(raised, self._stated) if self._stated else raised

    def hit(
        self,
        retry_after: float,
        window: float,
        sent_at: float,
        *,
        certain: bool = False,
        stated: int | None = None,
    ) -> bool:
        """A 429 that the token's own budget does not explain; True when it is the org's (the
        pool is paused, the request need not wait on its own).

        `certain`: the message named the organization (`org_refusal`), so one is enough; else a
        stray one (a fault) only delays its request and only a run of them counts. `sent_at`:
        when the refused request was sent; one sent before the ceiling was learned (or last
        lowered) was paced by no ceiling, so it says nothing about the learned one."""
        self.hits += 1
        self._run += 1
        if self._run < RUN and not certain:
            return False
        now = self._clock()
        if stated:
            self._stated = stated
        while self._accepted and self._accepted[0] + window < now:
            self._accepted.popleft()
        if self.learned is None:
            self.budget.window = window
            self.budget.limit = max(1, len(self._accepted))
            self.budget.seed(self._accepted)  # the places the org's window still holds
            self._since = self._learned_at = now
        elif sent_at >= self._since:
            self.budget.limit = max(1, int(self.budget.limit * TIGHTEN))
            self._since = now
        self.budget.pause(retry_after)
        return True
