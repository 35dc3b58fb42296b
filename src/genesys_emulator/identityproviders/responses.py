"""HTTP for /api/v2/identityproviders."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..errors import not_found
from ..web import caller, json_body, listing, ok, org, paging
from . import models as m


def _kind(req: Request) -> str:
    kind = req.path_params["kind"]
    if kind not in m.TYPES:
        raise not_found("identity provider type", kind)
    return kind


async def list_providers(req: Request) -> Response:
    """The platform lists the full provider entities (the SDK's IdentityProvider model keeps only
    id, name and disabled of them)."""
    caller(req).require("sso:provider:view")
    size, number = paging(req)
    items = [m.render(k, r) for k, r in org(req).identity_providers.items()]
    return ok(listing(req, items, size, number))


async def get_provider(req: Request) -> Response:
    caller(req).require("sso:provider:view")
    kind = _kind(req)
    rec = org(req).identity_providers.get(kind)
    if rec is None:
        raise not_found("identity provider", kind)
    return ok(m.render(kind, rec))


async def put_provider(req: Request) -> Response:
    kind = _kind(req)
    c = caller(req)
    c.require("sso:provider:edit" if kind in org(req).identity_providers else "sso:provider:add")
    return ok(m.render(kind, m.put(org(req), kind, await json_body(req))))


async def delete_provider(req: Request) -> Response:
    caller(req).require("sso:provider:delete")
    kind = _kind(req)
    o = org(req)
    if o.identity_providers.pop(kind, None) is None:
        raise not_found("identity provider", kind)
    o.touch()
    return ok({})


routes = [
    Route("/api/v2/identityproviders", list_providers, methods=["GET"]),
    Route("/api/v2/identityproviders/{kind}", get_provider, methods=["GET"]),
    Route("/api/v2/identityproviders/{kind}", put_provider, methods=["PUT"]),
    Route("/api/v2/identityproviders/{kind}", delete_provider, methods=["DELETE"]),
]
