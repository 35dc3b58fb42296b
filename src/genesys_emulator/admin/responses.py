"""The emulator's own surface under /_emulator/ (not part of the Genesys API): reset, seed, faults,
limits, call statistics, the access timeline and a comparable summary of the org."""

from __future__ import annotations

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
        }
    )


async def delete_stats(req: Request) -> Response:
    emulator(req).stats.clear()
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
    Route("/_emulator/stats", get_stats, methods=["GET"]),
    Route("/_emulator/stats", delete_stats, methods=["DELETE"]),
    Route("/_emulator/timeline", timeline, methods=["GET"]),
    Route("/_emulator/summary", summary, methods=["GET"]),
]
