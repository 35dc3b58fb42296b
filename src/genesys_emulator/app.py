"""The ASGI application: bearer auth, per-token rate limit, faults and stats around the areas' routes.

Written as a bare ASGI callable (no middleware stack) so the emulator stays far faster than the
rate limit it models and never becomes the bottleneck of a benchmark.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable

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


class Emulator:
    """One emulated org served over HTTP. `org` may be swapped by the admin surface (reset, seed)."""

    def __init__(
        self,
        org: Org,
        *,
        rate_limit: str = "300/60s",
        token_rate_limit: str = "120/60s",
        faults: str | None = None,
        fault_seed: int = 0,
        state_file: str | None = None,
        admin: tuple[str, str] = ("", ""),
    ) -> None:
        self.org = org
        self.admin_client_id, self.admin_secret = admin
        self.limiter = limits.SlidingWindow(*limits.parse_rate(rate_limit))
        self.token_limiter = limits.SlidingWindow(*limits.parse_rate(token_rate_limit))
        self.faults = FaultInjector(FaultSpec.parse(faults), fault_seed)
        self.state_file = state_file
        self.routes = _all_routes()
        self.stats: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
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
        self.scope_cache.clear()
        self.list_cache.clear()
        self.limiter.hits.clear()
        self.token_limiter.hits.clear()
        self.stats.clear()

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
        if expires <= time.time() or client_id not in self.org.oauth_clients:
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
        try:
            if template.startswith("/_emulator") or template == "/oauth/token":
                response = await self._dispatch(route, allowed, scope, receive)
            else:
                token, scope["caller"] = self.authenticate(scope)
                verdict = self.limiter.check(token)
                headers.update(limits.headers(verdict))
                if not verdict.allowed:
                    raise ApiError(
                        429,
                        "too.many.requests",
                        f"Rate limit exceeded the maximum. [{verdict.limit} requests per token per window]",
                        headers={"Retry-After": limits.retry_after(verdict)},
                    )
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
            err = ApiError(500, "internal.server.error", "The emulator failed on this request.")
            response = JSONResponse(err.body(correlation), status_code=500)
        response.headers.update(headers)
        self.stats[f"{method} {template}"][str(response.status_code)] += 1
        await response(scope, receive, send)

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
