"""How long to keep trying: exponential backoff with full jitter, bounded by attempts and time.

Full jitter (sleep uniformly in [0, min(cap, base * 2**n)]) spreads the retries of many
concurrent callers so that they do not hit a recovering server in lockstep.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 12
    max_elapsed: float = 120.0
    base_delay: float = 0.1
    max_delay: float = 8.0
    fresh_404_window: float = 20.0
    """How long a 404 on an object this client created moments ago is retried (eventual consistency)."""
    conflict_attempts: int = 8
    """How many times a versioned update re-reads and re-applies after a 409."""
    index_lag: float = 3.0
    """How long a lookup by natural key keeps looking after an unclear create or a 409: listings
    and search lag behind a create on the platform."""
    index_lag_step: float = 0.1
    """The first pause between such lookups (doubling, at most a second)."""

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        ceiling = min(self.max_delay, self.base_delay * (2 ** max(0, attempt - 1)))
        return (rng or random).uniform(0, ceiling)


def is_retryable_status(status: int) -> bool:
    return status in RETRYABLE_STATUS or status >= 500
