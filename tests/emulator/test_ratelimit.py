"""Per-token sliding-window rate limit, its headers, and the token endpoint's own limit."""

from __future__ import annotations

import time

import httpx

from genesys_emulator import RunningEmulator


def test_request_past_the_budget_gets_429_then_passes_after_the_window(
    emu: RunningEmulator, api: httpx.Client, error_body
) -> None:
    emu.set_rate_limit("5/2s")
    answers = [api.get("/api/v2/authorization/divisions/home") for _ in range(5)]
    assert [r.status_code for r in answers] == [200] * 5
    assert [r.headers["inin-ratelimit-count"] for r in answers] == ["1", "2", "3", "4", "5"]
    for r in answers:
        assert r.headers["inin-ratelimit-allowed"] == "5"
        assert 0 <= int(r.headers["inin-ratelimit-reset"]) <= 2
        assert r.headers["ININ-Correlation-Id"]
    assert len({r.headers["ININ-Correlation-Id"] for r in answers}) == 5
    first_at = time.monotonic()

    sixth = api.get("/api/v2/authorization/divisions/home")
    body = error_body(sixth, 429)
    assert body["contextId"] == sixth.headers["ININ-Correlation-Id"]
    retry = int(sixth.headers["Retry-After"])
    assert 1 <= retry <= 2
    assert sixth.headers["inin-ratelimit-allowed"] == "5"
    assert sixth.headers["inin-ratelimit-count"] == "5"
    # a refused request does not buy more waiting: still refused until the window slides
    assert api.get("/api/v2/users").status_code == 429

    time.sleep(max(0.0, 2.05 - (time.monotonic() - first_at)))
    after = api.get("/api/v2/authorization/divisions/home")
    assert after.status_code == 200
    assert after.headers["inin-ratelimit-count"] == "1"


def test_budget_is_per_token(emu: RunningEmulator, api: httpx.Client) -> None:
    emu.set_rate_limit("3/30s")
    for _ in range(3):
        assert api.get("/api/v2/authorization/divisions/home").status_code == 200
    assert api.get("/api/v2/authorization/divisions/home").status_code == 429
    with httpx.Client(base_url=emu.base_url, headers={"Authorization": f"Bearer {emu.token()}"}) as other:
        r = other.get("/api/v2/authorization/divisions/home")
        assert r.status_code == 200 and r.headers["inin-ratelimit-count"] == "1"


def test_unauthenticated_answers_401_with_correlation_id(emu: RunningEmulator, error_body) -> None:
    r = httpx.get(f"{emu.base_url}/api/v2/users")
    error_body(r, 401)
    assert r.headers["ININ-Correlation-Id"]
    r = httpx.get(f"{emu.base_url}/api/v2/users", headers={"Authorization": "Bearer not-a-token"})
    assert error_body(r, 401)["code"] == "bad.credentials"


def test_token_endpoint_limit_answers_400_rate_limit_exceeded(emu: RunningEmulator) -> None:
    emu.admin.put("/_emulator/token-ratelimit", json={"rate": "2/60s"}).raise_for_status()
    try:
        emu.token()
        emu.token()
        r = httpx.post(
            f"{emu.base_url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(emu.client_id, emu.client_secret),
        )
        assert r.status_code == 400
        assert "rate limit exceeded" in r.text
        assert int(r.headers["Retry-After"]) >= 1
        # the API itself is not limited by it
        with httpx.Client(base_url=emu.base_url) as c:
            assert c.get("/_emulator/stats").status_code == 200
    finally:
        emu.admin.put("/_emulator/token-ratelimit", json={"rate": "100000/60s"}).raise_for_status()


def test_token_endpoint_answers_in_the_oauth_shape(emu: RunningEmulator) -> None:
    good = httpx.post(
        f"{emu.base_url}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": emu.client_id,
            "client_secret": emu.client_secret,
        },
    )
    assert good.status_code == 200
    body = good.json()
    assert body["token_type"] == "bearer" and body["access_token"] and body["expires_in"] == 86400
    bad = httpx.post(
        f"{emu.base_url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(emu.client_id, "wrong"),
    )
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    wrong_grant = httpx.post(
        f"{emu.base_url}/oauth/token",
        data={"grant_type": "password"},
        auth=(emu.client_id, emu.client_secret),
    )
    assert wrong_grant.status_code == 400 and wrong_grant.json()["error"] == "unsupported_grant_type"
