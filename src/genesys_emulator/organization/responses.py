"""HTTP for GET /api/v2/organizations/me: the org's id and name (any authenticated caller)."""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..web import ok, org

ME = "/api/v2/organizations/me"


async def get_me(req: Request) -> Response:
    o = org(req)
    oid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"genesys-emulator:{o.name}"))
    return ok({"id": oid, "name": o.name, "state": "active", "selfUri": f"/api/v2/organizations/{oid}"})


routes = [Route(ME, get_me, methods=["GET"])]
