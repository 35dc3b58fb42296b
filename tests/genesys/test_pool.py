"""A pool of OAuth clients: each with its own token and budget; work spread over them."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import httpx

from .conftest import FakePlatform, error, ok


async def test_work_is_spread_over_every_client_of_the_pool(fake: FakePlatform) -> None:
    fake.route("GET", "/api/v2/ping")(lambda r: ok({}))
    async with fake.client(n_clients=4) as client:
        await asyncio.gather(*(client.get("/api/v2/ping") for _ in range(200)))
    tokens = Counter(r.headers["Authorization"] for r in fake.requests if r.url.path == "/api/v2/ping")
    assert len(tokens) == 4 and min(tokens.values()) >= 40
    assert fake.tokens_minted == 4


async def test_throughput_grows_with_the_pool(fake: FakePlatform) -> None:
    fake.route("GET", "/api/v2/ping")(lambda r: ok({}))

    async def run(n_clients: int) -> float:
        async with fake.client(
            n_clients=n_clients, rate_limit=20, rate_window=0.25, learn_rate_limit=False
        ) as c:
            t0 = time.monotonic()
            await asyncio.gather(*(c.get("/api/v2/ping") for _ in range(100)))
            return time.monotonic() - t0

    one, four = await run(1), await run(4)
    assert one > 1.0  # 100 requests at 20 per 0.25 s: four window waits
    assert four < one / 3


async def test_a_paused_client_is_skipped_while_others_have_room(fake: FakePlatform) -> None:
    @fake.route("GET", "/api/v2/ping")
    def ping(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] == "Bearer tok-1" and not getattr(ping, "done", False):
            ping.done = True  # type: ignore[attr-defined]
            headers = {"inin-ratelimit-allowed": "300", "inin-ratelimit-count": "300", "Retry-After": "30"}
            return error(429, "too.many.requests", "Rate limit exceeded", headers)
        return ok({})

    async with fake.client(n_clients=2, max_concurrency=1) as client:
        t0 = time.monotonic()
        for _ in range(10):
            await client.get("/api/v2/ping")
        assert time.monotonic() - t0 < 2  # not stuck behind the 30 s pause
        paused = [m for m in client.pool.members if m.budget.ready_in() > 20]
    assert len(paused) == 1


async def test_a_burst_behind_full_windows_is_spread_by_queue_not_by_who_frees_first(
    fake: FakePlatform,
) -> None:
    """Every token's window is full and frees at a slightly different moment: the burst must
    still go a quarter to each (the token that frees first must not take all of it)."""
    fake.route("GET", "/api/v2/ping")(lambda r: ok({}))
    async with fake.client(
        n_clients=4, rate_limit=20, rate_window=0.5, learn_rate_limit=False, max_concurrency=4
    ) as client:
        for _ in range(80):  # one after another: the four windows fill, staggered in time
            await client.get("/api/v2/ping")
        fake.requests.clear()
        t0 = time.monotonic()
        await asyncio.gather(*(client.get("/api/v2/ping") for _ in range(320)))
        elapsed = time.monotonic() - t0
    tokens = Counter(r.headers["Authorization"] for r in fake.requests if r.url.path == "/api/v2/ping")
    assert sorted(tokens.values()) == [80, 80, 80, 80], tokens
    assert elapsed < 3.0  # 4 windows of the pool; one token alone would need 16 (8 s)
