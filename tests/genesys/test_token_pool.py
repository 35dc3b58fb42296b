"""A pool of tokens minted from ONE OAuth client, over real HTTP against the emulator.

The platform limits each token, not each client (the Terraform provider's token pool); the
token endpoint has its own limit (HTTP 400 "rate limit exceeded"); an org may be limited as a
whole, when 429s come although the token had budget left.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tenantry.genesys import Credentials, GenesysClient, api, resolve_target
from tenantry.genesys.ceiling import org_refusal


@pytest.fixture
def limited(demo: Any) -> Iterator[Any]:
    """The demo emulator; every limit this module changes is put back after the test."""
    yield demo
    demo.set_rate_limit("100000/60s")
    demo.admin.put("/_emulator/token-ratelimit", json={"rate": "100000/60s"}).raise_for_status()
    demo.admin.put("/_emulator/org-ratelimit", json={"rate": None}).raise_for_status()


def one_client(emu: Any, **kwargs: Any) -> GenesysClient:
    kwargs.setdefault("timeout", 5.0)
    return GenesysClient(
        resolve_target(emu.base_url), [Credentials.of(emu.client_id, emu.client_secret)], **kwargs
    )


async def _reads(client: GenesysClient, n: int) -> float:
    ids = [u.id for u in (await api.users.list_users(client)).users]
    await asyncio.sleep(1.05)  # start from an empty window
    t0 = time.monotonic()
    await asyncio.gather(*(api.users.get_user(client, ids[i % len(ids)]) for i in range(n)))
    return time.monotonic() - t0


async def test_a_pool_of_tokens_from_one_client_multiplies_the_per_token_limit(limited: Any) -> None:
    limited.set_rate_limit("40/1s")
    async with one_client(limited, token_pool_size=4) as client:
        elapsed = await _reads(client, 320)  # one token: 8 windows; four: 2
        tokens = {m.tokens._token for m in client.pool.members}
    assert len(client.pool.members) == 4 and len(tokens) == 4  # four tokens, one client
    assert {m.client_id for m in client.pool.members} == {limited.client_id}
    assert client.metrics.rate_limited == 0
    assert elapsed < 4.0


async def test_a_pool_sized_to_the_work_mints_more_tokens_only_when_the_budget_is_spent(limited: Any) -> None:
    limited.set_rate_limit("40/1s")
    async with one_client(limited, token_pool_size=None, rate_limit=40, rate_window=1.0) as client:
        await api.users.get_user(client, (await api.users.list_users(client)).users[0].id)
        assert len(client.pool.members) == 1  # a little work: one token
        elapsed = await _reads(client, 320)
    assert 2 <= len(client.pool.members) <= 10 and client.metrics.tokens_minted == len(client.pool.members)
    assert client.metrics.rate_limited == 0 and elapsed < 6.0


async def test_minting_is_paced_to_the_token_endpoints_own_limit(limited: Any) -> None:
    limited.admin.put("/_emulator/token-ratelimit", json={"rate": "3/1s"}).raise_for_status()
    await asyncio.sleep(1.05)
    async with one_client(limited, token_pool_size=6, mint_limit=(3, 1.0)) as client:
        await asyncio.gather(*(m.tokens.get() for m in client.pool.members))
    calls = client.metrics.snapshot()["calls"]
    assert client.metrics.tokens_minted == 6
    assert not any("/oauth/token" in k and "400" in k for k in calls), calls  # never tripped it


async def test_the_token_endpoints_400_rate_limit_is_waited_out(limited: Any) -> None:
    limited.admin.put("/_emulator/token-ratelimit", json={"rate": "3/1s"}).raise_for_status()
    await asyncio.sleep(1.05)
    async with one_client(limited, token_pool_size=6, mint_limit=(100, 1.0)) as client:
        await asyncio.gather(*(m.tokens.get() for m in client.pool.members))
    assert client.metrics.tokens_minted == 6 and client.metrics.token_mint_retries >= 3


async def test_an_org_wide_ceiling_below_the_pools_sum_is_learned_and_kept(limited: Any) -> None:
    """Four tokens could send 4 x 1,000 a second; the org allows 60: the pool backs off."""
    limited.set_rate_limit("1000/1s")
    limited.admin.put("/_emulator/org-ratelimit", json={"rate": "60/1s"}).raise_for_status()
    async with one_client(limited, token_pool_size=4) as client:
        await asyncio.sleep(1.05)
        elapsed = await _reads(client, 300)  # 5 windows of the org ceiling
    assert client.ceiling.learned is not None and client.ceiling.learned <= 60
    assert client.metrics.rate_limited < 0.15 * 300, client.metrics.rate_limited
    assert elapsed < 9.0


async def test_one_429_naming_the_organization_is_enough_to_learn_the_ceiling(limited: Any) -> None:
    """One request at a time never makes a run of refusals: the org's message says what it is."""
    limited.set_rate_limit("1000/1s")
    limited.admin.put("/_emulator/org-ratelimit", json={"rate": "20/1s"}).raise_for_status()
    async with one_client(limited, token_pool_size=2, max_concurrency=1) as client:
        ids = [u.id for u in (await api.users.list_users(client)).users]
        await asyncio.sleep(1.05)
        for i in range(45):
            await api.users.get_user(client, ids[i % len(ids)])
    assert client.ceiling.learned is not None and 15 <= client.ceiling.learned <= 20
    assert client.metrics.rate_limited == 1  # the first contact; then the pool paced itself
    assert all(m.budget.ready_in() < 1 for m in client.pool.members)  # no token was paused for it


async def test_after_meeting_the_org_ceiling_every_token_paces_to_it_together(limited: Any) -> None:
    """Four tokens, an org ceiling of 30 per 2 s: once met, the pool keeps to one shared window
    that frees places when the platform's does (not a window after the pause), so the steady
    state has (almost) no 429s."""
    limited.set_rate_limit("1000/2s")
    limited.admin.put("/_emulator/org-ratelimit", json={"rate": "30/2s"}).raise_for_status()
    async with one_client(limited, token_pool_size=4) as client:
        ids = [u.id for u in (await api.users.list_users(client)).users]
        await asyncio.sleep(2.05)
        await asyncio.gather(*(api.users.get_user(client, ids[i % len(ids)]) for i in range(45)))
        first_contact = client.metrics.rate_limited
        t0 = time.monotonic()
        await asyncio.gather(*(api.users.get_user(client, ids[i % len(ids)]) for i in range(120)))
        elapsed = time.monotonic() - t0
    steady = client.metrics.rate_limited - first_contact
    assert first_contact >= 1 and steady <= 1, (first_contact, steady)  # < 1% of 120
    assert elapsed < 4 * 2 * 1.1, elapsed  # 4 windows of the ceiling


def test_the_org_is_told_from_the_token_by_the_429s_message() -> None:
    assert org_refusal("Rate limit exceeded the maximum. [900 requests per organization per window]") == (
        True,
        900,
    )
    assert org_refusal("Rate limit exceeded the maximum. [300 requests per token per window]") == (
        False,
        None,
    )
    assert org_refusal("Rate limit exceeded the maximum.") == (False, None)  # a fault: one request waits
