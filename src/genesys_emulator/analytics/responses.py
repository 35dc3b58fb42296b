"""HTTP for /api/v2/analytics/conversations/details/query."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..web import caller, json_body, ok, org
from . import models as m

PERMISSION = "analytics:conversationDetail:view"


async def details_query(req: Request) -> Response:
    c = caller(req)
    c.require(PERMISSION)
    scope = c.scope(PERMISSION)
    visible = None if scope.everywhere else set(scope.divisions)
    return ok(m.query(org(req).conversations, await json_body(req), visible))


routes = [Route("/api/v2/analytics/conversations/details/query", details_query, methods=["POST"])]
