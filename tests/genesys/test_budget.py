"""The per-token rate budget: sliding-window pacing, learning from headers, 429 pauses."""

from __future__ import annotations

import asyncio
import time

from tenantry.genesys.budget import RateBudget


async def _use(budget: RateBudget, stamps: list[float], hold: float = 0.0) -> None:
    async with budget.slot():
        stamps.append(time.monotonic())
        await asyncio.sleep(hold)


async def test_never_more_than_limit_sends_in_any_window() -> None:
    budget = RateBudget(limit=10, window=0.2, margin=0.0, learn=False, max_concurrency=50)
    stamps: list[float] = []
    t0 = time.monotonic()
    await asyncio.gather(*(_use(budget, stamps) for _ in range(35)))
    elapsed = time.monotonic() - t0
    stamps.sort()
    assert all(stamps[i + 10] - stamps[i] >= 0.2 for i in range(len(stamps) - 10))
    assert 0.6 <= elapsed < 0.9  # 35 sends = 4 bursts of <= 10, three window waits


async def test_concurrency_is_bounded() -> None:
    budget = RateBudget(limit=1000, window=1.0, max_concurrency=3)
    peak = 0

    async def one() -> None:
        nonlocal peak
        async with budget.slot():
            peak = max(peak, budget.inflight)
            await asyncio.sleep(0.01)

    await asyncio.gather(*(one() for _ in range(20)))
    assert peak == 3
    assert budget.inflight == 0 and budget.waiting == 0


def test_limit_and_window_are_learned_from_headers() -> None:
    budget = RateBudget(limit=300, window=60.0)
    budget.observe(
        {"inin-ratelimit-allowed": "50", "inin-ratelimit-count": "7", "inin-ratelimit-reset": "9"}, 200
    )
    assert (budget.limit, budget.window) == (50, 60.0)  # count 7: reset is not a full window
    budget.observe(
        {"inin-ratelimit-allowed": "50", "inin-ratelimit-count": "1", "inin-ratelimit-reset": "2"}, 200
    )
    assert budget.window == 2.0


def test_429_at_the_limit_pauses_the_whole_token() -> None:
    budget = RateBudget(limit=300, window=60.0)
    headers = {
        "inin-ratelimit-allowed": "300",
        "inin-ratelimit-count": "300",
        "inin-ratelimit-reset": "12",
        "Retry-After": "3",
    }
    assert budget.observe(headers, 429) == 0.0
    assert 2.9 < budget.ready_in() <= 3.0


def test_429_with_budget_left_delays_only_that_request() -> None:
    budget = RateBudget(limit=300, window=60.0)
    headers = {
        "inin-ratelimit-allowed": "300",
        "inin-ratelimit-count": "12",
        "inin-ratelimit-reset": "40",
        "Retry-After": "1",
    }
    assert budget.observe(headers, 429) == 1.0
    assert budget.ready_in() == 0.0


def test_exhaustion_by_another_process_waits_for_the_reset() -> None:
    budget = RateBudget(limit=300, window=60.0)
    budget.observe(
        {"inin-ratelimit-allowed": "300", "inin-ratelimit-count": "300", "inin-ratelimit-reset": "5"}, 200
    )
    assert 4.9 < budget.ready_in() <= 5.0


async def test_our_own_sends_at_the_limit_do_not_double_the_wait() -> None:
    budget = RateBudget(limit=3, window=0.3, margin=0.0, learn=False)
    stamps: list[float] = []
    for _ in range(3):
        await _use(budget, stamps)
    # The server agrees we are at the limit, with a rounded-up reset: our own window decides.
    budget.observe(
        {"inin-ratelimit-allowed": "3", "inin-ratelimit-count": "3", "inin-ratelimit-reset": "1"}, 200
    )
    assert budget.ready_in() <= 0.31
