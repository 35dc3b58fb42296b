"""HTTP for the conversation details query, the asynchronous details jobs, and planting.

Permissions as the platform lists them: the details endpoints require ANY of
`analytics:conversationDetail:view` and `analytics:agentConversationDetail:view`; the caller
sees the conversations of the divisions where it holds either.
"""

from __future__ import annotations

import time
import weakref

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..web import Caller, caller, empty, emulator, int_param, json_body, ok, org
from . import models as m
from .jobs import RESULTS_PAGE_DEFAULT, RESULTS_PAGE_MAX, JobStore
from .plant import plant

PERMISSION = "analytics:conversationDetail:view"
PERMISSIONS = (PERMISSION, "analytics:agentConversationDetail:view")
JOBS = "/api/v2/analytics/conversations/details/jobs"

_stores: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _visible(c: Caller) -> set[str] | None:
    """None means every division (a `*` grant)."""
    c.require_any(*PERMISSIONS)
    scopes = [c.scope(p) for p in PERMISSIONS]
    if any(s.everywhere for s in scopes):
        return None
    return set().union(*(s.divisions for s in scopes))


def _jobs(req: Request) -> JobStore:
    emu = emulator(req)
    store = _stores.get(emu)
    if store is None:
        store = _stores[emu] = JobStore()
    return store.for_org(emu.org)


async def details_query(req: Request) -> Response:
    visible = _visible(caller(req))
    return ok(m.query(org(req).conversations, await json_body(req), visible))


async def submit_job(req: Request) -> Response:
    c = caller(req)
    visible = _visible(c)
    body = await json_body(req)
    job_id = _jobs(req).submit(c.client_id, org(req).conversations, body, visible)
    return ok({"jobId": job_id}, status=202)


async def job_status(req: Request) -> Response:
    c = caller(req)
    _visible(c)
    job = _jobs(req).get(c.client_id, req.path_params["jobId"])
    return ok(job.status(time.time()))


async def delete_job(req: Request) -> Response:
    c = caller(req)
    _visible(c)
    _jobs(req).delete(c.client_id, req.path_params["jobId"])
    return empty()


async def job_results(req: Request) -> Response:
    c = caller(req)
    _visible(c)
    size = int_param(req, "pageSize", RESULTS_PAGE_DEFAULT, high=RESULTS_PAGE_MAX)
    cursor = req.query_params.get("cursor") or None
    return ok(_jobs(req).results(c.client_id, req.path_params["jobId"], cursor, size))


async def availability(req: Request) -> Response:
    _visible(caller(req))
    starts = [c["conversationEnd"] for c in org(req).conversations if c.get("conversationEnd")]
    return ok({"dataAvailabilityDate": max(starts) if starts else "1970-01-01T00:00:00.000Z"})


async def plant_conversations(req: Request) -> Response:
    """Emulator control: add conversations (see plant.py); `jobDelay` sets how long jobs queue."""
    body = await json_body(req)
    if "jobDelay" in body:
        _jobs(req).delay = float(body.pop("jobDelay"))
    made = plant(org(req), body) if body else []
    return ok({"conversationIds": made, "total": len(org(req).conversations)}, status=201)


routes = [
    Route("/api/v2/analytics/conversations/details/query", details_query, methods=["POST"]),
    Route(JOBS, submit_job, methods=["POST"]),
    Route(JOBS + "/availability", availability, methods=["GET"]),
    Route(JOBS + "/{jobId}", job_status, methods=["GET"]),
    Route(JOBS + "/{jobId}", delete_job, methods=["DELETE"]),
    Route(JOBS + "/{jobId}/results", job_results, methods=["GET"]),
    Route("/_emulator/analytics/conversations", plant_conversations, methods=["POST"]),
]
