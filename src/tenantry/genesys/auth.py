"""Client-credentials tokens: cached, minted once for all concurrent callers, refreshed early.

The token endpoint has its own rate limit and answers HTTP 400 "rate limit exceeded" (not 429)
when it trips, so a 400 whose text says so is retried with backoff; any other 400/401 means the
credentials are wrong and is final.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncGenerator, Callable, Generator

import httpx

from tenantry.genesys.config import Credentials
from tenantry.genesys.errors import AuthenticationError, TransportError, error_from_response
from tenantry.genesys.log import log_request
from tenantry.genesys.metrics import Metrics
from tenantry.genesys.retry import RetryPolicy

TOKEN_PATH = "/oauth/token"


class MintPacer:
    """The token endpoint's own limit, shared by every token minted through one client object:
    at most `limit` mints in any `window` seconds (a pool of tokens is minted at this pace, not
    all at once). Its HTTP 400 "rate limit exceeded" is still handled, with backoff, by `_mint`."""

    def __init__(
        self, limit: int = 60, window: float = 60.0, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a mint pace needs a positive limit and window")
        self.limit, self.window = limit, window
        self._clock = clock
        self._sent: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        # A little more than the window: the endpoint counts arrivals, which we only know to
        # within the network's delay (the same margin the request budget keeps).
        span = self.window * 1.02 + 0.05
        async with self._lock:
            while True:
                now = self._clock()
                while self._sent and self._sent[0] + span <= now:
                    self._sent.popleft()
                if len(self._sent) < self.limit:
                    self._sent.append(now)
                    return
                await asyncio.sleep(self._sent[0] + span - now)


class TokenProvider:
    """One OAuth client's bearer token."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        token_url: str,
        credentials: Credentials,
        *,
        metrics: Metrics,
        policy: RetryPolicy | None = None,
        pacer: MintPacer | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._pacer = pacer
        self._url = token_url
        self._credentials = credentials
        self._metrics = metrics
        self._policy = policy or RetryPolicy(max_attempts=8, base_delay=0.5, max_delay=15.0)
        self._clock = clock
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._refresh_at = 0.0
        self.expires_in: float | None = None

    @property
    def client_id(self) -> str:
        return self._credentials.client_id

    def __repr__(self) -> str:
        return f"TokenProvider(client_id={self.client_id!r}, token=<redacted>)"

    @property
    def minted(self) -> bool:
        """Whether a token is at hand (a pool prefers members that need no mint)."""
        return self._token is not None and self._clock() < self._refresh_at

    async def get(self) -> str:
        """The cached token, or a fresh one minted by exactly one of the concurrent callers."""
        token = self._token
        if token is not None and self._clock() < self._refresh_at:
            return token
        async with self._lock:
            if self._token is not None and self._clock() < self._refresh_at:
                return self._token
            token, lifetime = await self._mint()
            # Refresh before expiry: a minute early, or a tenth early for short-lived tokens.
            self._token = token
            self.expires_in = lifetime
            self._refresh_at = self._clock() + lifetime - min(60.0, lifetime / 10)
            return token

    def invalidate(self, token: str) -> None:
        """Forget `token` after a 401, unless a concurrent caller already replaced it."""
        if self._token == token:
            self._token = None

    async def _mint(self) -> tuple[str, float]:
        secret = self._credentials.client_secret.get_secret_value()
        auth = httpx.BasicAuth(self._credentials.client_id, secret)
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            if self._pacer is not None:
                await self._pacer.wait()
            t0 = self._clock()
            response: httpx.Response | None = None
            try:
                response = await self._http.post(
                    self._url, data={"grant_type": "client_credentials"}, auth=auth
                )
            except httpx.TransportError as exc:
                status = "timeout" if isinstance(exc, httpx.TimeoutException) else "reset"
                log_request("POST", TOKEN_PATH, status, attempt, self._clock() - t0, None, self.client_id)
                self._metrics.record_call("POST", TOKEN_PATH, status)
                last: Exception = TransportError(
                    None,
                    status,
                    f"token request failed: {type(exc).__name__}",
                    method="POST",
                    path=TOKEN_PATH,
                )
            else:
                cid = response.headers.get("ININ-Correlation-Id")
                log_request(
                    "POST", TOKEN_PATH, response.status_code, attempt, self._clock() - t0, cid, self.client_id
                )
                self._metrics.record_call("POST", TOKEN_PATH, response.status_code)
                if response.status_code == 200:
                    body = response.json()
                    self._metrics.tokens_minted += 1
                    return str(body["access_token"]), float(body.get("expires_in") or 86400)
                if not _is_token_rate_limit(response):
                    if response.status_code in (400, 401, 403):
                        raise AuthenticationError(
                            response.status_code,
                            "bad.credentials",
                            f"Genesys Cloud rejected the credentials of OAuth client {self.client_id} "
                            f"at {self._url}",
                            response.headers.get("ININ-Correlation-Id"),
                            method="POST",
                            path=TOKEN_PATH,
                        )
                    if response.status_code < 500:
                        raise error_from_response(response, "POST", TOKEN_PATH)
                last = error_from_response(response, "POST", TOKEN_PATH)
            delay = self._policy.backoff(attempt)
            retry_after = _retry_after(response) if response is not None else None
            if retry_after:
                delay = max(delay, retry_after)
            elapsed = self._clock() - started
            if attempt >= self._policy.max_attempts or elapsed + delay > self._policy.max_elapsed:
                raise last
            self._metrics.token_mint_retries += 1
            await asyncio.sleep(delay)


def _is_token_rate_limit(response: httpx.Response) -> bool:
    if response.status_code == 429:
        return True
    return response.status_code == 400 and "rate limit" in response.text.lower()


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers["Retry-After"])
    except (KeyError, ValueError):
        return None


class TokenAuth(httpx.Auth):
    """A TokenProvider's bearer token as an httpx.Auth flow: a 401 refreshes the token once and
    sends the request again. Any httpx.AsyncClient (the SCIM bridge's, analytics') can use it
    (`GenesysClient.auth()`); tenantry's own calls go through it too."""

    def __init__(self, tokens: TokenProvider) -> None:
        self.tokens = tokens

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("TokenAuth mints tokens asynchronously: use it with an httpx.AsyncClient")

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self.tokens.get()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            self.tokens.invalidate(token)
            request.headers["Authorization"] = f"Bearer {await self.tokens.get()}"
            yield request
