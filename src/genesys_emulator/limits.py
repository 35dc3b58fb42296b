"""Per-token sliding-window rate limit, the platform's 300 requests a minute by default."""

from __future__ import annotations

import math
import re
import time
from collections import deque
from dataclasses import dataclass, field

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*\.?\d+)?\s*(ms|s|m|min|h)?\s*$")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, None: 1.0}


def parse_rate(spec: str) -> tuple[int, float]:
    """'300/60s' -> (300, 60.0); '300/1s', '300/min', '1000/0.5s' also read."""
    m = _RATE.match(spec)
    if not m:
        raise ValueError(f"rate limit {spec!r} is not of the form N/<window>, e.g. 300/60s")
    limit = int(m.group(1))
    amount = float(m.group(2)) if m.group(2) else 1.0
    window = amount * _UNIT[m.group(3)]
    if limit <= 0 or window <= 0:
        raise ValueError(f"rate limit {spec!r} must be positive")
    return limit, window


@dataclass
class Verdict:
    allowed: bool
    limit: int
    count: int
    reset: float  # seconds until the oldest request in the window leaves it


@dataclass
class SlidingWindow:
    limit: int
    window: float
    hits: dict[str, deque[float]] = field(default_factory=dict)

    def check(self, key: str, now: float | None = None) -> Verdict:
        now = time.monotonic() if now is None else now
        q = self.hits.get(key)
        if q is None:
            q = self.hits[key] = deque()
        edge = now - self.window
        while q and q[0] <= edge:
            q.popleft()
        if len(q) >= self.limit:
            return Verdict(False, self.limit, len(q), q[0] + self.window - now)
        q.append(now)
        return Verdict(True, self.limit, len(q), (q[0] + self.window - now) if q else self.window)

    def reconfigure(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self.hits.clear()


def headers(v: Verdict) -> dict[str, str]:
    return {
        "inin-ratelimit-allowed": str(v.limit),
        "inin-ratelimit-count": str(v.count),
        "inin-ratelimit-reset": str(max(0, math.ceil(v.reset))),
    }


def retry_after(v: Verdict) -> str:
    """Whole seconds, as the platform sends; at least 1 so a client never spins."""
    return str(max(1, math.ceil(v.reset)))
