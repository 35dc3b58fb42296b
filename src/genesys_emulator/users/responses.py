"""HTTP for /api/v2/users and /api/v2/users/search."""

from __future__ import annotations

import base64
import json
import math

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..bodies import CreateUser, validate
from ..errors import bad_request, forbidden, not_found
from ..web import Caller, caller, descending, id_list, json_body, listing, ok, org, paging
from . import models as m

VIEW = "directory:user:view"
# the CLI lists these as alternatives (and the legacy `admin`): any one of them allows the write
WRITE_ALTERNATIVES = {
    "directory:user:edit": ("directory:user:edit", "directory:organization:admin"),
    "directory:user:delete": ("directory:user:delete", "directory:organization:admin"),
}


def visible_user(req: Request, user_id: str, permission: str | None = None, *, deleted: bool = False) -> dict:
    """A user the caller cannot read answers 404, as if it did not exist (the directory is open
    unless the org restricts it); a write needs `permission` in the user's division (403)."""
    c, o = caller(req), org(req)
    u = o.user(user_id, include_deleted=deleted)
    if not c.directory().covers(u["divisionId"]):
        raise not_found("user", user_id)
    if permission is not None:
        c.require_any(*WRITE_ALTERNATIVES.get(permission, (permission,)), division_id=u["divisionId"])
    return u


def _visible_ids(c: Caller, state: str) -> list[str]:
    """Sorted ids of the users a caller may list, cached until the org changes; users still
    missing from the (lagging) index are left out."""
    emu = c.emulator
    o = emu.org
    key = ("users", c.client_id if o.directory_restricted else "*", state)
    stamp = (o.rev, o.epoch)
    hit = emu.list_cache.get(key)
    if hit is None or hit[0] != stamp:
        scope = c.directory()
        rows = [
            u
            for u in o.users.values()
            if ((state == "any" and u["state"] != "deleted") or u["state"] == state)
            and scope.covers(u["divisionId"])
        ]
        rows.sort(key=lambda u: (u["name"].lower(), u["id"]))
        hit = emu.list_cache[key] = (stamp, [u["id"] for u in rows])
    if o.unindexed:
        return [i for i in hit[1] if o.indexed(i)]
    return hit[1]


async def list_users(req: Request) -> Response:
    c, o = caller(req), org(req)
    if o.directory_restricted and not c.scope(VIEW).any:
        raise forbidden(VIEW)
    size, number = paging(req, max_size=500)
    state = req.query_params.get("state", "active")
    if state not in ("active", "inactive", "deleted", "any"):
        raise bad_request("state must be one of active, inactive, deleted, any.", "invalid.value")
    if state == "inactive" and size * number > m.INACTIVE_CAP:
        raise bad_request(
            f"Paging past {m.INACTIVE_CAP} results is not supported for inactive users.", "bad.request"
        )
    expand = frozenset(x for v in req.query_params.getlist("expand") for x in v.split(","))
    ids = id_list(req, "id")
    if ids:
        rows = [o.users[i] for i in ids if i in o.users]
        scope = c.directory()
        rows = [u for u in rows if scope.covers(u["divisionId"]) and (state == "any" or u["state"] == state)]
        return ok(listing(req, [m.render(o, u, expand) for u in rows], size, number))
    visible = _visible_ids(c, state)
    if descending(req):
        visible = visible[::-1]
    start = (number - 1) * size
    page = [m.render(o, o.users[i], expand) for i in visible[start : start + size]]
    return ok(listing(req, page, size, number, total=len(visible)))


async def get_user(req: Request) -> Response:
    """`?state=deleted` finds a deleted user (the Terraform provider's way back to a re-joiner)."""
    expand = frozenset(x for v in req.query_params.getlist("expand") for x in v.split(","))
    state = req.query_params.get("state")
    u = visible_user(req, req.path_params["userId"], deleted=state == "deleted")
    if state == "deleted" and u["state"] != "deleted":
        raise not_found("user", u["id"])
    return ok(m.render(org(req), u, expand))


async def create_user(req: Request) -> Response:
    o = org(req)
    body = validate(CreateUser, await json_body(req))
    division_id = body.division_id or o.home_division_id
    caller(req).require("directory:user:add", division_id)
    u = m.create(
        o,
        name=body.name,
        email=body.email,
        division_id=division_id,
        title=body.title or "",
        department=body.department or "",
        state=body.state or "active",
        employer_info=body.employer_info,
    )
    return ok(m.render(o, u))


async def patch_user(req: Request) -> Response:
    u = visible_user(req, req.path_params["userId"], "directory:user:edit", deleted=True)
    body = await json_body(req)
    return ok(m.render(org(req), m.patch(org(req), u, body)))


async def delete_user(req: Request) -> Response:
    u = visible_user(req, req.path_params["userId"], "directory:user:delete")
    m.delete(org(req), u)
    return ok({})


def _search(req: Request, body: dict) -> dict:
    c, o = caller(req), org(req)
    c.require(VIEW)
    size = body.get("pageSize", 25)
    number = body.get("pageNumber", 1)
    if not isinstance(size, int) or not 1 <= size <= 100:
        raise bad_request("pageSize must be between 1 and 100.", "invalid.value")
    if not isinstance(number, int) or number < 1:
        raise bad_request("pageNumber must be at least 1.", "invalid.value")
    query = body.get("query") or []
    if not isinstance(query, list):
        raise bad_request("query must be an array of criteria.", "invalid.value")
    query = [m.check_criterion(i, q) for i, q in enumerate(query)]
    states = {"active"}
    for q in query:
        if "state" in (q.get("fields") or []):
            states = {str(v).lower() for v in (q.get("values") or [q.get("value")])}
    scope = c.directory()
    hits = [
        u
        for u in o.users.values()
        if u["state"] in states
        and scope.covers(u["divisionId"])
        and o.indexed(u["id"])
        and all(m.matches(u, q) for q in query)
    ]
    hits.sort(key=lambda u: (u["name"].lower(), u["id"]))
    start = (number - 1) * size
    page = [m.render(o, u) for u in hits[start : start + size]]
    count = max(1, math.ceil(len(hits) / size))
    out = {
        "total": len(hits),
        "pageCount": count,
        "pageSize": size,
        "pageNumber": number,
        "types": ["users"],
        "results": page,
    }
    if number < count:
        nxt = dict(body, pageNumber=number + 1)
        q64 = base64.b64encode(json.dumps(nxt).encode()).decode()
        out["nextPage"] = f"/api/v2/users/search?q64={q64}"
    return out


async def search_post(req: Request) -> Response:
    return ok(_search(req, await json_body(req)))


async def search_get(req: Request) -> Response:
    raw = req.query_params.get("q64", "")
    try:
        body = json.loads(base64.b64decode(raw))
    except (ValueError, RecursionError):
        raise bad_request("q64 is not a valid search.", "invalid.value") from None
    if not isinstance(body, dict):
        raise bad_request("q64 is not a valid search.", "invalid.value")
    return ok(_search(req, body))


routes = [
    Route("/api/v2/users", list_users, methods=["GET"]),
    Route("/api/v2/users", create_user, methods=["POST"]),
    Route("/api/v2/users/search", search_post, methods=["POST"]),
    Route("/api/v2/users/search", search_get, methods=["GET"]),
    Route("/api/v2/users/{userId}", get_user, methods=["GET"]),
    Route("/api/v2/users/{userId}", patch_user, methods=["PATCH"]),
    Route("/api/v2/users/{userId}", delete_user, methods=["DELETE"]),
]
