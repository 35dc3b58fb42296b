"""HTTP for /api/v2/authorization/divisions."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..bodies import DivisionBody, validate
from ..web import caller, empty, id_list, json_body, listing, ok, org, paging
from . import models as m

BASE = "/api/v2/authorization/divisions"


def _visible(req: Request) -> list[dict]:
    """The platform lists every division to any caller (the CLI lists no permission); with the
    org's division-restricted directory, only those it holds authorization:division:view in."""
    c, o = caller(req), org(req)
    if not o.directory_restricted:
        return list(o.divisions.values())
    scope = c.scope("authorization:division:view")
    return [d for d in o.divisions.values() if scope.covers(d["id"])]


async def list_divisions(req: Request) -> Response:
    size, number = paging(req)
    o = org(req)
    items = _visible(req)
    if name := req.query_params.get("name"):
        items = [d for d in items if d["name"].lower() == name.lower()]
    if ids := id_list(req, "id"):
        items = [d for d in items if d["id"] in ids]
    items.sort(key=lambda d: d["name"].lower())
    counts = req.query_params.get("objectCount") == "true"
    return ok(listing(req, [m.render(o, d, counts=counts) for d in items], size, number))


async def get_division(req: Request) -> Response:
    o = org(req)
    d = o.division(req.path_params["divisionId"])
    if o.directory_restricted:
        caller(req).require("authorization:division:view", d["id"])
    counts = req.query_params.get("objectCount") == "true"
    return ok(m.render(o, d, counts=counts))


async def home(req: Request) -> Response:
    o = org(req)
    return ok(m.render(o, o.division(o.home_division_id)))


async def limit(req: Request) -> Response:
    return ok(org(req).division_limit)


async def create_division(req: Request) -> Response:
    caller(req).require_all("authorization:division:add", "authorization:grant:add")  # the CLI's list
    body = validate(DivisionBody, await json_body(req))
    o = org(req)
    d = m.create(o, body.name, body.description or "")
    return ok(m.render(o, d))


async def update_division(req: Request) -> Response:
    o = org(req)
    d = o.division(req.path_params["divisionId"])
    caller(req).require("authorization:division:edit", d["id"])
    body = validate(DivisionBody, await json_body(req))
    return ok(m.render(o, m.update(o, d, body.name, body.description)))


async def delete_division(req: Request) -> Response:
    o = org(req)
    d = o.division(req.path_params["divisionId"])
    caller(req).require("authorization:division:delete", d["id"])
    m.delete(o, d, req.query_params.get("force") == "true")
    return empty()


async def move_objects(req: Request) -> Response:
    """Needs edit rights on the objects where they are and where they go."""
    o = org(req)
    c = caller(req)
    target = o.division(req.path_params["divisionId"], ref=True)
    kind = req.path_params["objectType"].upper()
    ids = await json_body(req, list)
    perm = "directory:user:edit" if kind == "USER" else "routing:queue:edit"
    c.require(perm, target["id"])
    store = o.users if kind == "USER" else o.queues
    for i in ids:
        if not isinstance(i, str):
            raise m.bad_request("The body must be an array of object ids.", "invalid.value")
        if i in store:
            c.require(perm, store[i]["divisionId"])
    m.move_objects(o, target, kind, ids)
    return empty()


routes = [
    Route(BASE, list_divisions, methods=["GET"]),
    Route(BASE, create_division, methods=["POST"]),
    Route(f"{BASE}/home", home, methods=["GET"]),
    Route(f"{BASE}/limit", limit, methods=["GET"]),
    Route(BASE + "/{divisionId}", get_division, methods=["GET"]),
    Route(BASE + "/{divisionId}", update_division, methods=["PUT"]),
    Route(BASE + "/{divisionId}", delete_division, methods=["DELETE"]),
    Route(BASE + "/{divisionId}/objects/{objectType}", move_objects, methods=["POST"]),
]
