"""The ASGI application: bearer auth, per-token rate limit, faults and stats around the areas' routes.

Written as a bare ASGI callable (no middleware stack) so the emulator stays far faster than the
rate limit it models and never becomes the bottleneck of a benchmark.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match, Route

from . import limits
from .errors import ApiError
from .faults import Fault, FaultInjector, FaultSpec
from .org import Org
from .web import Caller

log = logging.getLogger("genesys_emulator")


class ConnectionDropped(Exception):
    """Raised after the response started: the server closes the socket mid-answer (a reset)."""


def _all_routes() -> list[Route]:
    from .admin import responses as admin
    from .analytics import responses as analytics
    from .authorization import responses as authorization
    from .divisions import responses as divisions
    from .groups import responses as groups
    from .identityproviders import responses as idps
    from .oauth import responses as oauth
    from .organization import responses as organization
    from .queues import responses as queues
    from .scim import responses as scim
    from .users import responses as users

    modules: Iterable = (
        oauth,
        organization,
        divisions,
        users,
        authorization,
        groups,
        queues,
        idps,
        analytics,
        scim,
        admin,
    )
    return [r for m in modules for r in m.routes]


MAX_BODY = 1 << 20  # bytes: far above any real Genesys request body, far below a memory problem


@dataclass
class Quirks:
    """The platform's harsher habits, each off (0) by default so a run stays deterministic:
    `stale_version_400` the share of stale-version answers given as 400 "does not match the
    current version" instead of 409; `index_lag` seconds a new user, group, queue or OAuth client
    stays out of listings and users/search, for an `index_lag_share` of them; draws from `seed`."""

    stale_version_400: float = 0.0
    index_lag: float = 0.0
    index_lag_share: float = 1.0
    seed: int = 0

    def validate(self) -> None:
        for name in ("stale_version_400", "index_lag_share"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be between 0 and 1")
        if not 0 <= self.index_lag <= 600:
            raise ValueError("index_lag must be between 0 and 600 seconds")

    def apply(self, org: Org) -> None:
        org.stale_version_400 = self.stale_version_400
        org.index_lag = self.index_lag
        org.index_lag_share = self.index_lag_share
        org.quirk_rng = random.Random(self.seed)
        org.unindexed.clear()


class Emulator:
    """One emulated org served over HTTP. `org` may be swapped by the admin surface (reset, seed)."""

    def __init__(
        self,
        org: Org,
        *,
        rate_limit: str = "300/60s",
        token_rate_limit: str = "120/60s",
        org_rate_limit: str | None = None,
        faults: str | None = None,
        fault_seed: int = 0,
        state_file: str | None = None,
        admin: tuple[str, str] = ("", ""),
        quirks: Quirks | None = None,
        directory_restricted: bool | None = None,
        max_body: int = MAX_BODY,
    ) -> None:
        self.org = org
        self.admin_client_id, self.admin_secret = admin
        self.limiter = limits.SlidingWindow(*limits.parse_rate(rate_limit))
        self.token_limiter = limits.SlidingWindow(*limits.parse_rate(token_rate_limit))
        # an optional org-wide ceiling over every token's calls (the platform's per-org limits)
        self.org_limiter = (
            limits.SlidingWindow(*limits.parse_rate(org_rate_limit)) if org_rate_limit else None
        )
        self.quirks = quirks or Quirks()
        self.quirks.apply(org)
        self.directory_restricted = directory_restricted
        if directory_restricted is not None:
            org.directory_restricted = directory_restricted
        self.max_body = max_body
        self.faults = FaultInjector(FaultSpec.parse(faults), fault_seed)
        self.state_file = state_file
        self.routes = _all_routes()
        self.stats: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        # API calls per token (keyed by the token, reported without it): shows a pool's spread
        self.token_calls: dict[str, int] = defaultdict(int)
        self.scope_cache: dict = {}
        self.list_cache: dict = {}
        self._saver: asyncio.Task | None = None

    def reset(self, seed: str) -> None:
        """A fresh org from a seed; the admin credentials stay valid so a test can go on."""
        from .seeds import build

        delay = self.org.consistency_delay
        try:
            self.org, _, _ = build(seed, self.admin_client_id, self.admin_secret)
        except ValueError as exc:
            raise ApiError(400, "bad.request", str(exc)) from None
        self.org.consistency_delay = delay
        self.quirks.apply(self.org)  # back to the values the emulator was started with
        if self.directory_restricted is not None:
            self.org.directory_restricted = self.directory_restricted
        self.scope_cache.clear()
        self.list_cache.clear()
        self.limiter.hits.clear()
        self.token_limiter.hits.clear()
        if self.org_limiter is not None:
            self.org_limiter.hits.clear()
        self.stats.clear()
        self.token_calls.clear()

    # ---- routing ----------------------------------------------------------------------
    def _match(self, scope: dict) -> tuple[Route | None, str, bool]:
        """(route, template, method_allowed)."""
        partial: Route | None = None
        for route in self.routes:
            match, child = route.matches(scope)
            if match is Match.FULL:
                scope.update(child)
                return route, route.path, True
            if match is Match.PARTIAL and partial is None:
                partial = route
        if partial is not None:
            return None, partial.path, False
        return None, scope["path"], True

    # ---- auth -------------------------------------------------------------------------
    def authenticate(self, scope: dict) -> tuple[str, Caller]:
        auth = ""
        for k, v in scope["headers"]:
            if k == b"authorization":
                auth = v.decode("latin-1")
                break
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise ApiError(
                401,
                "authentication.required",
                "No authentication bearer token specified in authorization header.",
            )
        entry = self.org.tokens.get(token)
        if entry is None:
            raise ApiError(401, "bad.credentials", "Invalid login credentials.")
        client_id, expires = entry
        client = self.org.oauth_clients.get(client_id)
        if expires <= time.time() or client is None or client["state"] != "active":
            self.org.tokens.pop(token, None)
            raise ApiError(401, "bad.credentials", "Invalid login credentials.")
        return token, Caller(client_id, self)

    # ---- ASGI -------------------------------------------------------------------------
    async def __call__(self, scope: dict, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        scope["emulator"] = self
        method = scope["method"]
        route, template, allowed = self._match(scope)
        correlation = str(uuid.uuid4())
        headers = {"ININ-Correlation-Id": correlation}
        fault: Fault | None = None
        response: Response
        receive = self._bounded(scope, receive)
        try:
            self._check_size(scope)
            if template.startswith("/_emulator"):
                _admin_content_type(scope)
                response = await self._dispatch(route, allowed, scope, receive)
            elif template == "/oauth/token":
                response = await self._dispatch(route, allowed, scope, receive)
            else:
                token, scope["caller"] = self.authenticate(scope)
                self.token_calls[token] += 1
                verdict = self.limiter.check(token)
                headers.update(limits.headers(verdict))
                if not verdict.allowed:
                    raise ApiError(
                        429,
                        "too.many.requests",
                        f"Rate limit exceeded the maximum. [{verdict.limit} requests per token per window]",
                        headers={"Retry-After": limits.retry_after(verdict)},
                    )
                self._check_org_limit(headers)
                spec = self.faults.spec
                if spec.latency:
                    await asyncio.sleep(spec.latency)
                fault = self.faults.draw(method, template)
                if fault is not None and not fault.after_effect:
                    await self._strike(fault, send)
                try:
                    response = await self._dispatch(route, allowed, scope, receive)
                except ApiError:
                    if fault is not None:  # the answer is lost on the way back, whatever it was
                        await self._strike(fault, send)
                    raise
                if fault is not None:
                    await self._strike(fault, send)
        except ApiError as err:
            headers.update(err.headers)
            response = JSONResponse(err.body(correlation), status_code=err.status)
        except ConnectionDropped:
            self.stats[f"{method} {template}"]["reset"] += 1
            raise
        except Exception:  # a bug of the emulator: answer like the platform, keep the trace
            log.exception("emulator error on %s %s", method, template)
            failure = ApiError(500, "internal.server.error", "The emulator failed on this request.")
            response = JSONResponse(failure.body(correlation), status_code=500)
        response.headers.update(headers)
        self.stats[f"{method} {template}"][str(response.status_code)] += 1
        await response(scope, receive, send)

    def _check_org_limit(self, headers: dict[str, str]) -> None:
        """The org-wide ceiling: a 429 although the token still has budget."""
        if self.org_limiter is None:
            return
        verdict = self.org_limiter.check("org")
        if not verdict.allowed:
            raise ApiError(
                429,
                "too.many.requests",
                f"Rate limit exceeded the maximum. [{verdict.limit} requests per organization per window]",
                headers={"Retry-After": limits.retry_after(verdict)},
            )

    def _check_size(self, scope: dict) -> None:
        for k, v in scope["headers"]:
            if k == b"content-length":
                if not v.isdigit() or int(v) > self.max_body:
                    raise _too_large(self.max_body)
                return

    def _bounded(self, scope: dict, receive):
        """A body sent without content-length (chunked) is cut off at the same limit."""
        limit = self.max_body
        seen = 0

        async def bounded():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _too_large(limit)
            return message

        return bounded

    async def _dispatch(self, route: Route | None, allowed: bool, scope: dict, receive) -> Response:
        if route is None:
            if not allowed:
                raise ApiError(405, "method.not.allowed", f"Method {scope['method']} is not allowed here.")
            raise ApiError(404, "not.found", f"No resource at {scope['path']}.")
        return await route.endpoint(Request(scope, receive))

    async def _strike(self, fault: Fault, send) -> None:
        kind = fault.kind
        if kind == "429":
            raise ApiError(
                429, "too.many.requests", "Rate limit exceeded the maximum.", headers={"Retry-After": "1"}
            )
        if kind == "version":
            raise ApiError(  # the 400 form (Terraform's IsVersionMismatch); real stale versions give 409
                400, "bad.request", "The version supplied does not match the current version of the object."
            )
        if kind == "408":
            raise ApiError(408, "request.timeout", "The request timed out; try again.")
        if kind in ("500", "502", "503", "504"):
            code = {
                "500": "internal.server.error",
                "502": "bad.gateway",
                "503": "service.unavailable",
                "504": "gateway.timeout",
            }
            raise ApiError(int(kind), code[kind], "The service is unavailable; try again later.")
        if kind == "timeout":
            await asyncio.sleep(self.faults.spec.hang)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"4096")]})
        raise ConnectionDropped(kind)

    # ---- lifespan and persistence -------------------------------------------------------
    async def _lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if self.state_file:
                    self._saver = asyncio.create_task(self._save_loop())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._saver:
                    self._saver.cancel()
                self.save()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def save(self) -> None:
        if self.state_file:
            self.org.save(self.state_file)

    async def _save_loop(self) -> None:
        while True:
            await asyncio.sleep(0.5)
            if self.org.dirty:
                self.save()


def _too_large(limit: int) -> ApiError:
    return ApiError(413, "request.entity.too.large", f"The request body is larger than {limit} bytes.")


def _admin_content_type(scope: dict) -> None:
    """The /_emulator/ surface takes JSON only: a form or text POST (a browser's cross-site
    request) is refused before it can reset or reconfigure the org."""
    if scope["method"] in ("GET", "HEAD", "OPTIONS"):
        return
    ctype = b""
    length = b"0"
    for k, v in scope["headers"]:
        if k == b"content-type":
            ctype = v
        elif k == b"content-length":
            length = v
    media = ctype.split(b";")[0].strip().lower()
    if media == b"application/json" or (not ctype and length in (b"0", b"")):
        return
    raise ApiError(415, "unsupported.media.type", "The /_emulator/ surface accepts application/json only.")


def basic_credentials(req: Request) -> tuple[str, str] | None:
    auth = req.headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        cid, _, secret = base64.b64decode(value).decode().partition(":")
    except ValueError:
        return None
    return cid, secret
