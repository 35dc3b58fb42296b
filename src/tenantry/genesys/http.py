"""The request core: the one place where tenantry talks HTTP to Genesys Cloud.

Every call goes through `GenesysClient.request`, which picks a pool member (token + budget),
sends, learns from the rate headers, logs one line, counts, and decides what a failure means:

* 429, 5xx, timeouts and resets are retried with exponential backoff and full jitter, bounded
  by attempts and elapsed time; a 429 that the rate headers show as the token's budget running
  out pauses that token for Retry-After, any other 429 delays just that request.
* A non-idempotent create is never blindly retried: `create` looks the object up by its natural
  key first (again with backoff while listings lag behind the create), so a retry cannot make a
  duplicate.
* A version conflict (409, or 400 "does not match the current version") on a versioned update:
  `update_versioned` re-reads, re-applies the intended change, retries; `retry_conflicts` does
  the same for calls that carry no version (member removal, deletes).
* A pool of tokens (several per OAuth client) spreads the calls; an org-wide ceiling learned
  from the 429s no token budget explains holds the whole pool back.
* 404 on an object this client created moments ago is retried for a bounded time.
* 401 refreshes the token once (the auth flow, auth.TokenAuth, which any httpx client can
  reuse through `auth()`); any other 4xx is final and raised as a typed GenesysError.
"""

from __future__ import annotations

import asyncio
import itertools
import json as jsonlib
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    retry_if_result,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential,
)

from tenantry.genesys.auth import MintPacer, TokenProvider
from tenantry.genesys.budget import RateBudget
from tenantry.genesys.ceiling import OrgCeiling, org_refusal
from tenantry.genesys.config import Credentials, GenesysSettings
from tenantry.genesys.errors import (
    ConflictError,
    GenesysError,
    OutcomeUnknownError,
    TransportError,
    error_from_response,
)
from tenantry.genesys.log import log_request
from tenantry.genesys.metrics import Metrics
from tenantry.genesys.pool import ClientPool, PoolMember
from tenantry.genesys.regions import Target
from tenantry.genesys.retry import RetryPolicy, is_retryable_status
from tenantry.genesys.transport import transport as cheap_idle_checks

T = TypeVar("T")
Params = Mapping[str, Any] | None
MAX_POOL = 50  # tokens per OAuth client, as the Terraform provider allows
AUTO_POOL_MAX = 10  # a pool sized to the work grows to this many tokens per client (Terraform's default)


class GenesysClient:
    """An async client for one Genesys Cloud org, over one or more OAuth clients."""

    def __init__(
        self,
        target: Target,
        credentials: Sequence[Credentials],
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        rate_limit: int = 300,
        rate_window: float = 60.0,
        max_concurrency: int = 8,
        learn_rate_limit: bool = True,
        metrics: Metrics | None = None,
        clock: Callable[[], float] = time.monotonic,
        token_pool_size: int | None = 1,
        mint_limit: tuple[int, float] = (60, 60.0),
    ) -> None:
        """`token_pool_size`: tokens minted from each OAuth client, each with its own rate budget
        (1–50); None sizes the pool to the work: one token per client, one more minted whenever
        every token's budget is spent, up to AUTO_POOL_MAX. `mint_limit`: the token endpoint's
        own limit (mints per seconds), shared by every token minted here."""
        self.target = target
        self.metrics = metrics or Metrics()
        self.retry = retry or RetryPolicy()
        self._clock = clock
        if not credentials:
            raise ValueError("GenesysClient needs at least one OAuth client")
        if token_pool_size is not None and not 1 <= token_pool_size <= MAX_POOL:
            raise ValueError(f"token_pool_size must be between 1 and {MAX_POOL}")
        self.pacer = MintPacer(*mint_limit, clock=clock)
        self.ceiling = OrgCeiling(rate_window, clock=clock)

        def member(creds: Credentials) -> PoolMember:
            # Each member has its own connection pool: httpcore scans every connection of a pool
            # on every request, so one shared pool grows slower with every member added.
            limits = httpx.Limits(
                max_connections=max_concurrency + 2, max_keepalive_connections=max_concurrency + 2
            )
            http = httpx.AsyncClient(
                transport=transport or cheap_idle_checks(limits),
                timeout=timeout,
                limits=limits,
                headers={"Accept": "application/json", "User-Agent": "tenantry"},
            )
            return PoolMember(
                TokenProvider(
                    http, target.token_url, creds, metrics=self.metrics, pacer=self.pacer, clock=clock
                ),
                RateBudget(
                    rate_limit,
                    rate_window,
                    max_concurrency=max_concurrency,
                    learn=learn_rate_limit,
                    clock=clock,
                ),
                http,
            )

        per_client = token_pool_size or 1
        grown = itertools.cycle(credentials)
        self.pool = ClientPool(
            [member(c) for c in credentials for _ in range(per_client)],
            grow=(lambda: member(next(grown))) if token_pool_size is None else None,
            max_size=len(credentials) * (token_pool_size or AUTO_POOL_MAX),
        )
        self._recent: dict[str, float] = {}

    @classmethod
    def from_settings(cls, settings: GenesysSettings, **kwargs: Any) -> GenesysClient:
        """A client as the settings say; a profile without `token_pool_size` sizes it to the work."""
        kwargs.setdefault("rate_limit", settings.rate_limit)
        kwargs.setdefault("rate_window", settings.rate_window)
        kwargs.setdefault("token_pool_size", settings.token_pool_size)
        return cls(settings.target, settings.clients, **kwargs)

    async def __aenter__(self) -> GenesysClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        for m in self.pool.members:
            await m.http.aclose()

    # -- the core -------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        template: str,
        *,
        path: Mapping[str, str] | None = None,
        params: Params = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        retry_404_for: float | None = None,
    ) -> httpx.Response:
        """Send one logical request, retrying what is safe to retry; raise a typed error otherwise.

        `idempotent` defaults to True for every method but POST; pass True for POSTs that only
        read (searches, queries) or that set a state (bulk grant and membership changes).
        """
        safe = method != "POST" if idempotent is None else idempotent
        call = _Call(
            method, template, self.target.api_base + _fill(template, path), json, safe, self._clock()
        )
        call.retry_404_for = retry_404_for
        while True:
            call.attempt += 1
            member = self.pool.choose()
            try:
                await member.tokens.get()  # minted outside the budget's slot (auth reads the cache)
            except BaseException:
                member.budget.unclaim()
                raise
            response, failure, sent, wait = await self._send(
                member, method, call.url, template, params, json, headers, call.attempt
            )
            if response is not None and response.is_success:
                if method == "DELETE":
                    self._forget(call.url)
                return response
            if response is None:
                error, reason, delay = self._no_answer(call, failure, sent)
            else:
                error, reason, delay = self._answered(call, response, wait)
            call.uncertain = call.uncertain or (sent and (response is None or response.status_code >= 500))
            await self._wait_or_give_up(call, error, reason, delay)

    def _no_answer(self, call: _Call, failure: str, sent: bool) -> tuple[GenesysError, str, float]:
        """No HTTP answer: a read is sent again; a write that was sent may have taken effect."""
        if sent and not call.safe:
            raise OutcomeUnknownError(
                None,
                failure,
                f"no answer ({failure}); the write may have taken effect",
                method=call.method,
                path=call.template,
            )
        error = TransportError(
            None, failure, f"no answer ({failure})", method=call.method, path=call.template
        )
        return error, failure, self.retry.backoff(call.attempt)

    def _answered(
        self, call: _Call, response: httpx.Response, wait: float
    ) -> tuple[GenesysError, str, float]:
        """What a failed answer means: retry (reason, delay), or raise it as final."""
        status = response.status_code
        error = error_from_response(response, call.method, call.template)
        delay = self.retry.backoff(call.attempt)
        if is_retryable_status(status):
            # A 429 is answered before the request is processed: safe to send again.
            if not call.safe and status != 429:
                raise OutcomeUnknownError(
                    status,
                    error.code,
                    f"{error.message}; the write may have taken effect",
                    error.correlation_id,
                    method=call.method,
                    path=call.template,
                )
            if status == 429:
                # Out of budget: the token (or the org ceiling) is paused and the slot waits it
                # out. Otherwise (a stray limiter) only this request waits Retry-After.
                delay = wait + self.retry.backoff(1) if wait else min(delay, 0.05)
            return error, str(status), delay
        if (
            status == 404
            and not (call.method == "DELETE" and call.uncertain)  # our earlier attempt deleted it
            and self._still_fresh(call.url, call.json, call.started, call.retry_404_for)
        ):
            return error, "404-fresh", delay
        raise error

    async def _wait_or_give_up(self, call: _Call, error: GenesysError, reason: str, delay: float) -> None:
        elapsed = self._clock() - call.started
        if call.attempt >= self.retry.max_attempts or elapsed + delay > self.retry.max_elapsed:
            raise error
        self.metrics.record_retry(call.method, call.template, reason)
        if delay > 0:
            await asyncio.sleep(delay)

    async def _send(
        self,
        member: PoolMember,
        method: str,
        url: str,
        template: str,
        params: Params,
        json: Any,
        headers: Mapping[str, str] | None,
        attempt: int,
    ) -> tuple[httpx.Response | None, str, bool, float]:
        """One HTTP exchange within the member's budget.

        Returns (response, failure kind, whether it was sent, how long this request must wait
        before a retry because of a 429 that did not pause the whole token).
        """
        request_headers = dict(headers or {})  # the bearer token: member.auth (a 401 refreshes it once)
        response: httpx.Response | None = None
        failure = ""
        sent = True
        wait = 0.0
        async with member.budget.slot(claimed=True), self.ceiling.slot():
            t0 = self._clock()
            try:
                response = await member.http.request(
                    method, url, params=params, json=json, headers=request_headers, auth=member.auth
                )
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout):
                failure, sent = "connect", False
            except httpx.TimeoutException:
                failure = "timeout"
            except httpx.TransportError:
                failure = "reset"
            latency = self._clock() - t0
            if response is not None:
                wait = self._learn(member, response, t0)
        status: int | str = response.status_code if response is not None else failure
        correlation_id = response.headers.get("ININ-Correlation-Id") if response is not None else None
        log_request(method, template, status, attempt, latency, correlation_id, member.client_id)
        self.metrics.record_call(method, template, status)
        return response, failure, sent, wait

    def _learn(self, member: PoolMember, response: httpx.Response, sent_at: float) -> float:
        """Learn from an answer's rate headers; returns how long this request alone must wait.

        A 429 whose message names the organization is the org's: the whole pool backs off and
        paces together (the shared ceiling), the token is not paused. An unmarked 429 with the
        token's budget left counts towards the ceiling's run."""
        status = response.status_code
        if status != 429:
            member.budget.observe(response.headers, status)
            self.ceiling.accepted(sent_at)
            return 0.0
        org, stated = org_refusal(error_from_response(response, "", "").message)
        wait = member.budget.observe(response.headers, status, org_refused=org)
        if wait > 0 and self.ceiling.hit(wait, member.budget.window, sent_at, certain=org, stated=stated):
            return 0.0  # the org is the limit, and its pause holds every token
        return wait

    def auth(self) -> httpx.Auth:
        """The first token's auth flow, for another httpx.AsyncClient (the SCIM bridge's,
        analytics') that calls the same org with tenantry's credentials."""
        return self.pool.members[0].auth

    async def probe(self) -> int:
        """The HTTP status the API host answers without a token (doctor: is the target there?)."""
        response = await self.pool.members[0].http.get(
            self.target.api_base + "/api/v2/authorization/divisions/home"
        )
        return response.status_code

    # -- eventual consistency -------------------------------------------------------------

    def remember_created(self, object_id: str | None) -> None:
        """Note an id this client just created, so that a 404 naming it is retried for a while."""
        if object_id:
            self._recent[object_id] = self._clock()

    def _forget(self, url: str) -> None:
        """A deleted object is not 'not yet visible' any more: stop retrying 404s naming it."""
        for object_id in [i for i in self._recent if i in url]:
            del self._recent[object_id]

    def _still_fresh(self, url: str, body: Any, started: float, explicit: float | None) -> bool:
        now = self._clock()
        if explicit is not None and now < started + explicit:
            return True
        window = self.retry.fresh_404_window
        for object_id, created in list(self._recent.items()):
            if created + window < now:
                del self._recent[object_id]
        if not self._recent:
            return False
        text = url if body is None else url + jsonlib.dumps(body)
        return any(object_id in text for object_id in self._recent)

    # -- conveniences ---------------------------------------------------------------------

    async def call(self, method: str, template: str, **kwargs: Any) -> Any:
        """`request` and return the decoded JSON body (None for an empty answer)."""
        response = await self.request(method, template, **kwargs)
        if not response.content:
            return None
        return response.json()

    async def get(self, template: str, **kwargs: Any) -> Any:
        return await self.call("GET", template, **kwargs)

    async def create(
        self,
        template: str,
        body: Any,
        *,
        lookup: Callable[[], Awaitable[dict[str, Any] | None]],
        path: Mapping[str, str] | None = None,
        params: Params = None,
    ) -> dict[str, Any]:
        """POST a new object without ever making a duplicate.

        When an attempt ends without a clear answer (timeout, reset, 5xx, 429), the object may or
        may not exist; `lookup` (by the natural key: email, name, externalId) decides, looking
        again with backoff while the platform's index lags, and only if it still finds nothing
        is the create sent again. A 409 after an unclear attempt (our own attempt made it) is
        looked up the same way before it is raised.
        """
        attempt = 0
        uncertain = False
        error: GenesysError
        while True:
            attempt += 1
            try:
                data = await self.call(
                    "POST", template, path=path, params=params, json=body, idempotent=False
                )
                self.remember_created(data.get("id") if isinstance(data, dict) else None)
                return data
            except OutcomeUnknownError as exc:
                uncertain, error, reason = True, exc, "unknown-outcome"
            except ConflictError as exc:
                if not uncertain:
                    raise  # a real conflict, not our own earlier attempt: the caller decides
                error, reason = exc, "409-after-unknown"
            found = await self.look_patiently(lookup)
            if found is not None:
                self.metrics.record_retry("POST", template, f"found-after-{reason}")
                self.remember_created(found.get("id"))
                return found
            if isinstance(error, ConflictError) or attempt >= self.retry.max_attempts:
                raise error
            self.metrics.record_retry("POST", template, reason)
            await asyncio.sleep(self.retry.backoff(attempt))

    async def look_patiently(
        self, lookup: Callable[[], Awaitable[dict[str, Any] | None]]
    ) -> dict[str, Any] | None:
        """Look an object up by its natural key, again with backoff while it is not found.

        Listings and search lag behind a create: right after an unclear create (or a 409 saying
        the object exists) one miss proves nothing. Keeps looking for `retry.index_lag` seconds."""
        retrying = AsyncRetrying(
            retry=retry_if_result(lambda found: found is None),
            stop=stop_after_delay(self.retry.index_lag),
            wait=wait_exponential(multiplier=self.retry.index_lag_step, max=1.0),
            before_sleep=lambda _state: self.metrics.record_retry("LOOKUP", "natural key", "index-lag"),
            retry_error_callback=lambda _state: None,  # still not found: it does not exist
        )
        return await retrying(lookup)

    async def update_versioned(
        self,
        read: Callable[[], Awaitable[T]],
        apply: Callable[[T], Any | None],
        write: Callable[[Any], Awaitable[Any]],
        *,
        template: str = "versioned update",
    ) -> T:
        """Read, apply the intended change to what was read, write; on a version conflict do it
        all again (tenacity, `retry_conflicts`).

        `apply` returns the body to write (carrying the version it read), or None when the
        object already is as intended.
        """

        async def once() -> T:
            current = await read()
            change = apply(current)
            return current if change is None else await write(change)

        return await self.retry_conflicts(once, template=template)

    async def retry_conflicts(self, action: Callable[[], Awaitable[T]], *, template: str) -> T:
        """Run `action` again after a version conflict (409, or the 400 form): a versioned update
        re-reads inside `action`; a call that names no version itself (member removal, group and
        user delete) is checked against one by the platform, and a concurrent change makes it
        answer as if ours were stale. Bounded by the policy's conflict_attempts, jittered backoff.

        The first attempt runs bare: a conflict is rare, and building the retrying machinery for
        every versioned call cost more than the rest of the client's own work on it."""
        try:
            return await action()
        except ConflictError:
            if self.retry.conflict_attempts <= 1:
                raise
        self.metrics.record_retry("VERSIONED", template, "409")
        await asyncio.sleep(self.retry.backoff(1))
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(ConflictError),
            stop=stop_after_attempt(self.retry.conflict_attempts - 1),
            wait=lambda state: self.retry.backoff(state.attempt_number + 1),
            before_sleep=lambda _state: self.metrics.record_retry("VERSIONED", template, "409"),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await action()
        raise AssertionError("unreachable: tenacity re-raises the last conflict")


@dataclass
class _Call:
    """One logical request across its attempts."""

    method: str
    template: str
    url: str
    json: Any
    safe: bool
    started: float
    retry_404_for: float | None = None
    attempt: int = 0
    uncertain: bool = False  # an earlier attempt may have taken effect


def _fill(template: str, path: Mapping[str, str] | None) -> str:
    if not path:
        return template
    return template.format_map({k: quote(str(v), safe="") for k, v in path.items()})
