"""Per-token rate budget: pace requests so the platform's limit is used, not exceeded.

Genesys Cloud limits each client-credentials token (default 300 requests a minute). Waiting
for 429s wastes the window and the Retry-After pause, so each token never has more than
`limit` requests in any `window`, counting a request from the moment it is sent until one
window after its answer arrived. The server saw the request somewhere between those two
moments, so however late the event loop actually wrote it and however the network delayed it,
no window the server can draw holds more than `limit` of ours: a server counting in fixed
windows and one counting in sliding windows are both satisfied.

The budget learns from every answer: `inin-ratelimit-allowed` sets the limit, the reset of the
first request of a window (`inin-ratelimit-count` = 1) sets the window length, a count at the
limit that our own requests do not explain (another process on the same client) waits for the
reset, and a 429 that says the budget ran out pauses the token for `Retry-After`.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager


class RateBudget:
    def __init__(
        self,
        limit: int = 300,
        window: float = 60.0,
        *,
        max_concurrency: int = 8,
        margin: float = 0.005,
        learn: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.max_concurrency = max_concurrency
        self._margin = margin
        self._learn = learn
        self._clock = clock
        self._done: deque[float] = deque()  # when answers arrived, oldest first
        self._paused_until = 0.0
        self._blocked_until = 0.0
        self._window_learned = False
        self._slots = asyncio.Semaphore(max_concurrency)
        self._turn = asyncio.Lock()
        self._finished = asyncio.Event()
        self.inflight = 0
        self.waiting = 0
        self.sleeping_until = 0.0  # clock time a rate-limit wait ends (0: none); read by progress lines

    @property
    def effective_window(self) -> float:
        return self.window * (1 + self._margin) + 0.002

    def _wait(self, now: float) -> float:
        """Seconds until one more request may be sent; inf while only an answer can free room."""
        span = self.effective_window
        done = self._done
        while done and done[0] + span <= now:
            done.popleft()
        wait = max(self._paused_until - now, self._blocked_until - now)
        excess = len(done) + self.inflight - self.limit + 1  # occupants that must leave first
        if excess > 0:
            wait = max(wait, done[excess - 1] + span - now if excess <= len(done) else math.inf)
        return wait

    def ready_in(self) -> float:
        """Seconds until this token may send again (0 if now); used to pick a pool member."""
        wait = self._wait(self._clock())
        return max(0.0, self.effective_window if wait == math.inf else wait)

    def ready_after_queue(self) -> float:
        """Seconds until a request queued behind everything this token already holds may be sent.

        The pool picks by this, not by `ready_in`: a token whose window frees a moment earlier but
        already has a long queue would otherwise take every new request, and one token would do
        the work of the pool. The queue is the sequence done, in flight, waiting; the request
        after it is the (n+1)-th and needs the (n+1-limit)-th to have left the window; one not
        yet answered leaves at the earliest one window after its own turn."""
        now = self._clock()
        self._wait(now)  # drops the answers that left the window
        floor = max(0.0, self._paused_until - now, self._blocked_until - now)
        done, limit, span = self._done, max(1, self.limit), self.effective_window
        q = len(done) + self.inflight + self.waiting  # 0-based position of the new request
        if q < limit:
            return floor
        laps = max(0, -(-(q - len(done) - limit + 1) // limit))  # windows behind unanswered ones
        q -= laps * limit
        base = done[q - limit] + span - now if q >= limit else 0.0
        return max(floor, base) + laps * span

    @property
    def load(self) -> int:
        return self.inflight + self.waiting

    @property
    def committed(self) -> int:
        """Requests this window already holds or has queued: at the limit, more work must wait
        for the next window (a pool sized to the work then mints another token)."""
        self._wait(self._clock())
        return len(self._done) + self.inflight + self.waiting

    def claim(self) -> None:
        """Count a request as queued here before it reaches `slot` (so the pool sees the load)."""
        self.waiting += 1

    def unclaim(self) -> None:
        self.waiting -= 1

    @asynccontextmanager
    async def slot(self, *, claimed: bool = False) -> AsyncIterator[None]:
        """Hold one concurrency slot and one place in the rate window for a single request."""
        if not claimed:
            self.claim()
        acquired = False
        try:
            await self._slots.acquire()
            acquired = True
            async with self._turn:  # one waiter at a time, in arrival order
                while (wait := self._wait(self._clock())) > 0:
                    if wait == math.inf:
                        self._finished.clear()
                        await self._finished.wait()
                    else:
                        self.sleeping_until = self._clock() + wait
                        try:
                            await asyncio.sleep(wait)
                        finally:
                            self.sleeping_until = 0.0
                self.inflight += 1
        except BaseException:
            self.waiting -= 1
            if acquired:
                self._slots.release()
            raise
        self.waiting -= 1
        try:
            yield
        finally:
            self.inflight -= 1
            self._done.append(self._clock())
            self._finished.set()
            self._slots.release()

    def seed(self, answered: Iterable[float]) -> None:
        """Take over requests answered before this budget paced anything (oldest first): a
        ceiling learned mid-run starts from the window the platform already holds."""
        self._done = deque(sorted([*self._done, *answered]))
        self._finished.set()

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def observe(self, headers: Mapping[str, str], status: int, *, org_refused: bool = False) -> float:
        """Learn the limit and window from an answer's rate headers.

        Returns how long the request itself must wait before it is retried: a 429 that the
        headers show as this token's budget running out pauses the whole token for Retry-After
        (and returns 0, the pause holds every request back); a 429 with budget left (another
        limiter of the platform) delays only that request. `org_refused`: the 429 says the org,
        not this token, refused it: the headers are learned, the token is not paused.
        """
        now = self._clock()
        allowed = _number(headers.get("inin-ratelimit-allowed"))
        count = _number(headers.get("inin-ratelimit-count"))
        reset = _number(headers.get("inin-ratelimit-reset"))
        if self._learn and allowed and allowed >= 1:
            self.limit = int(allowed)
        if self._learn and count is not None and reset and count <= 1:
            self.window = reset if not self._window_learned else max(self.window, reset)
            self._window_learned = True
        exhausted = count is None or count >= self.limit
        if count is not None and reset is not None and exhausted and status != 429:
            # At the limit by the server's count: only trust it when our own requests don't explain it.
            self._wait(now)
            if len(self._done) + self.inflight < self.limit:
                self._blocked_until = max(self._blocked_until, now + reset)
        if status != 429:
            return 0.0
        retry_after = _number(headers.get("Retry-After"))
        pause = retry_after if retry_after is not None else (reset or 1.0)
        if exhausted and not org_refused:
            self.pause(pause)
            return 0.0
        return pause


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None
