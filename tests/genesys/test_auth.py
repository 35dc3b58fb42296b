"""Tokens: cached, single-flight, refreshed once on 401, backoff on the token endpoint's 400."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tenantry.genesys import AuthenticationError, UnauthorizedError

from .conftest import SECRET, FakePlatform, error, ok


async def test_token_is_cached_and_sent_as_bearer(fake: FakePlatform) -> None:
    fake.route("GET", "/api/v2/users/me")(lambda r: ok({"auth": r.headers["Authorization"]}))
    async with fake.client() as client:
        answers = [await client.get("/api/v2/users/me") for _ in range(5)]
    assert fake.tokens_minted == 1
    assert {a["auth"] for a in answers} == {"Bearer tok-1"}
    token_request = next(r for r in fake.requests if r.url.path == "/oauth/token")
    assert token_request.url.host == "login.mypurecloud.ie"
    assert token_request.headers["Authorization"].startswith("Basic ")
    assert b"grant_type=client_credentials" in token_request.content
    assert SECRET.encode() not in token_request.content  # the secret travels in the Basic header only


async def test_concurrent_callers_share_one_mint(fake: FakePlatform) -> None:
    fake.route("GET", "/api/v2/ping")(lambda r: ok({}))
    async with fake.client(max_concurrency=64) as client:
        await asyncio.gather(*(client.get("/api/v2/ping") for _ in range(50)))
    assert fake.tokens_minted == 1
    assert client.metrics.tokens_minted == 1


async def test_token_endpoint_rate_limit_answer_is_retried_with_backoff(fake: FakePlatform) -> None:
    limited = httpx.Response(400, json={"error": "invalid_request", "description": "rate limit exceeded"})
    fake.token_script = [limited, limited]
    fake.route("GET", "/api/v2/ping")(lambda r: ok({}))
    async with fake.client() as client:
        await client.get("/api/v2/ping")
    assert fake.calls("POST", "/oauth/token") == 3
    assert client.metrics.token_mint_retries == 2
    assert client.metrics.tokens_minted == 1


async def test_wrong_credentials_fail_once_with_authentication_error(fake: FakePlatform) -> None:
    fake.token_script = [httpx.Response(401, json={"error": "invalid_client"})]
    async with fake.client() as client:
        with pytest.raises(AuthenticationError) as exc:
            await client.get("/api/v2/ping")
    assert "client-0" in str(exc.value) and SECRET not in str(exc.value)
    assert fake.calls("POST", "/oauth/token") == 1


async def test_401_refreshes_the_token_once_then_succeeds(fake: FakePlatform) -> None:
    @fake.route("GET", "/api/v2/ping")
    def ping(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] == "Bearer tok-1":
            return error(401, "bad.credentials", "Invalid login credentials.")
        return ok({"ok": True})

    async with fake.client() as client:
        assert await client.get("/api/v2/ping") == {"ok": True}
    assert fake.tokens_minted == 2


async def test_401_that_survives_a_refresh_is_final(fake: FakePlatform) -> None:
    fake.route("GET", "/api/v2/ping")(lambda r: error(401, "bad.credentials", "Invalid login credentials."))
    async with fake.client() as client:
        with pytest.raises(UnauthorizedError) as exc:
            await client.get("/api/v2/ping")
    assert exc.value.status == 401 and exc.value.correlation_id == "corr-401"
    assert fake.tokens_minted == 2
    assert fake.calls("GET", "/api/v2/ping") == 2


async def test_token_is_refreshed_before_it_expires(fake: FakePlatform) -> None:
    now = [1000.0]
    fake.token_lifetime = 300
    fake.route("GET", "/api/v2/ping")(lambda r: ok({"auth": r.headers["Authorization"]}))
    async with fake.client(clock=lambda: now[0]) as client:
        assert (await client.get("/api/v2/ping"))["auth"] == "Bearer tok-1"
        now[0] += 260  # within the last 10% of a 300 s lifetime
        assert (await client.get("/api/v2/ping"))["auth"] == "Bearer tok-1"
        now[0] += 20
        assert (await client.get("/api/v2/ping"))["auth"] == "Bearer tok-2"
