"""The emulator's own surface under /_emulator/ (not part of the Genesys API): reset, seed, faults,
limits, call statistics, the access timeline and a comparable summary of the org."""

from __future__ import annotations

import random

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import limits
from ..errors import bad_request
from ..faults import FaultSpec, parse_duration
from ..web import emulator, json_body, ok, org
from . import models as m


async def reset(req: Request) -> Response:
    raw = await req.body()
    body = await json_body(req) if raw else {}
    if not isinstance(body.get("seed", "demo"), str):
        raise bad_request('Give {"seed": "demo" | "empty" | "scale:users=N,tenants=M" | FILE}.')
    emulator(req).reset(body.get("seed", "demo"))
    return ok({"seed": body.get("seed", "demo")})


async def put_faults(req: Request) -> Response:
    body = await json_body(req)
    seed = body.get("seed", 0)
    if not isinstance(body.get("spec"), str | None) or not isinstance(seed, int) or isinstance(seed, bool):
        raise bad_request('Give {"spec": "500:0.1,reset:0.01,latency:20ms", "seed": 1}.')
    try:
        spec = FaultSpec.parse(body.get("spec"))
    except ValueError as exc:
        raise bad_request(str(exc)) from None
    emulator(req).faults.configure(spec, seed)
    return ok({"spec": body.get("spec"), "seed": seed})


async def delete_faults(req: Request) -> Response:
    emulator(req).faults.configure(FaultSpec(), 0)
    return ok({})


async def put_ratelimit(req: Request) -> Response:
    body = await json_body(req)
    emu = emulator(req)
    target = emu.token_limiter if req.url.path.endswith("token-ratelimit") else emu.limiter
    try:
        limit, window = (
            limits.parse_rate(body["rate"]) if "rate" in body else (int(body["limit"]), float(body["window"]))
        )
    except (KeyError, ValueError, TypeError):
        raise bad_request('Give {"rate": "300/1s"} or {"limit": 300, "window": 1.0}.') from None
    target.reconfigure(limit, window)
    return ok({"limit": limit, "window": window})


async def put_org_ratelimit(req: Request) -> Response:
    """{"rate": "600/60s"} sets an org-wide ceiling over all tokens; {"rate": null} removes it."""
    body = await json_body(req)
    emu = emulator(req)
    rate = body.get("rate")
    if rate is None:
        emu.org_limiter = None
        return ok({"rate": None})
    try:
        limit, window = limits.parse_rate(rate) if isinstance(rate, str) else (0, 0.0)
    except ValueError as exc:
        raise bad_request(str(exc)) from None
    if not limit:
        raise bad_request('Give {"rate": "600/60s"} or {"rate": null}.')
    emu.org_limiter = limits.SlidingWindow(limit, window)
    return ok({"rate": rate, "limit": limit, "window": window})


def _share(body: dict, key: str, current: float) -> float:
    value = body.get(key, current)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise bad_request(f"{key} must be a number from 0 to 1.")
    return float(value)


async def put_quirks(req: Request) -> Response:
    """{"staleVersion400": 0.5, "indexLag": "300ms", "indexLagShare": 1, "seed": 3}: the
    platform's harsher habits until the next reset (which restores the start values)."""
    body = await json_body(req)
    emu = emulator(req)
    q = emu.quirks
    lag = body.get("indexLag", q.index_lag)
    seed = body.get("seed", q.seed)
    try:
        if isinstance(lag, bool) or not isinstance(lag, str | int | float):
            raise ValueError(lag)
        lag = parse_duration(lag) if isinstance(lag, str) else float(lag)
        if not 0 <= lag <= 600:
            raise ValueError(lag)
    except ValueError:
        raise bad_request('indexLag must be like "200ms", "1s" or a number of seconds up to 600.') from None
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise bad_request("seed must be an integer.")
    stale = _share(body, "staleVersion400", q.stale_version_400)
    share = _share(body, "indexLagShare", q.index_lag_share)
    o = org(req)
    o.stale_version_400, o.index_lag, o.index_lag_share = stale, lag, share
    o.quirk_rng = random.Random(seed)
    return ok({"staleVersion400": stale, "indexLag": lag, "indexLagShare": share, "seed": seed})


async def put_settings(req: Request) -> Response:
    """Org settings: {"directoryRestricted": true} restricts directory search by division."""
    body = await json_body(req)
    value = body.get("directoryRestricted")
    if not isinstance(value, bool):
        raise bad_request('Give {"directoryRestricted": true | false}.')
    o = org(req)
    o.directory_restricted = value
    o.touch(authz=True)
    return ok({"directoryRestricted": value})


async def get_settings(req: Request) -> Response:
    return ok({"directoryRestricted": org(req).directory_restricted})


async def put_consistency(req: Request) -> Response:
    body = await json_body(req)
    value = body.get("delay", 0)
    try:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError(value)
        delay = parse_duration(value) if isinstance(value, str) else float(value)
        if delay < 0:
            raise ValueError(value)
    except ValueError:
        raise bad_request('Give {"delay": 0.5} or {"delay": "200ms"}, not negative.') from None
    org(req).consistency_delay = delay
    return ok({"delay": org(req).consistency_delay})


async def get_stats(req: Request) -> Response:
    emu = emulator(req)
    calls = {k: dict(v) for k, v in emu.stats.items()}
    return ok(
        {
            "calls": calls,
            "faults": dict(emu.faults.injected),
            "total": sum(sum(v.values()) for v in calls.values()),
            # authenticated API calls per token, largest first (no token is ever shown)
            "perToken": sorted(emu.token_calls.values(), reverse=True),
        }
    )


async def delete_stats(req: Request) -> Response:
    emulator(req).stats.clear()
    emulator(req).token_calls.clear()
    return ok({})


async def timeline(req: Request) -> Response:
    o = org(req)
    sid = req.query_params.get("subjectId")
    raw = req.query_params.get("since", "0") or "0"
    if not raw.isdigit():
        raise bad_request("since must be a timeline position (a non-negative integer).")
    since = int(raw)
    rows = o.timeline[since:]
    if sid:
        rows = [r for r in rows if r["subjectId"] == sid]
    return ok({"events": rows, "next": len(o.timeline)})


async def summary(req: Request) -> Response:
    return ok(m.summary(org(req)))


routes = [
    Route("/_emulator/reset", reset, methods=["POST"]),
    Route("/_emulator/faults", put_faults, methods=["PUT"]),
    Route("/_emulator/faults", delete_faults, methods=["DELETE"]),
    Route("/_emulator/ratelimit", put_ratelimit, methods=["PUT"]),
    Route("/_emulator/token-ratelimit", put_ratelimit, methods=["PUT"]),
    Route("/_emulator/consistency", put_consistency, methods=["PUT"]),
    Route("/_emulator/org-ratelimit", put_org_ratelimit, methods=["PUT"]),
    Route("/_emulator/quirks", put_quirks, methods=["PUT"]),
    Route("/_emulator/settings", put_settings, methods=["PUT"]),
    Route("/_emulator/settings", get_settings, methods=["GET"]),
    Route("/_emulator/stats", get_stats, methods=["GET"]),
    Route("/_emulator/stats", delete_stats, methods=["DELETE"]),
    Route("/_emulator/timeline", timeline, methods=["GET"]),
    Route("/_emulator/summary", summary, methods=["GET"]),
]
