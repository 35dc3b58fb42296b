"""HTTP for /api/v2/groups. Groups live outside divisions, as on the platform."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..bodies import GroupBody, validate
from ..errors import bad_request, not_found
from ..users.models import check_criterion
from ..users.models import render as render_user
from ..web import caller, descending, empty, id_list, json_body, listing, ok, org, paging
from . import models as m


async def list_groups(req: Request) -> Response:
    o = org(req)
    size, number = paging(req)
    groups = sorted(o.groups.values(), key=lambda g: (g["name"].lower(), g["id"]))
    if ids := id_list(req, "id"):
        groups = [g for g in groups if g["id"] in ids]
    else:
        groups = [g for g in groups if o.indexed(g["id"])]
    if descending(req):
        groups.reverse()
    return ok(listing(req, [m.render(o, g) for g in groups], size, number))


async def create_group(req: Request) -> Response:
    caller(req).require("directory:group:add")
    body = validate(GroupBody, await json_body(req))
    o = org(req)
    g = m.create(  # the platform ignores `description` on create: it is set by a PUT
        o, body.name, type_=body.type, visibility=body.visibility, roles_enabled=body.roles_enabled
    )
    return ok(m.render(o, g))


async def get_group(req: Request) -> Response:
    o = org(req)
    return ok(m.render(o, o.group(req.path_params["groupId"])))


async def update_group(req: Request) -> Response:
    caller(req).require("directory:group:edit")
    o = org(req)
    g = o.group(req.path_params["groupId"])
    return ok(m.render(o, m.update(o, g, await json_body(req))))


async def delete_group(req: Request) -> Response:
    caller(req).require("directory:group:delete")
    o = org(req)
    m.delete(o, o.group(req.path_params["groupId"]))
    return empty()


async def list_members(req: Request) -> Response:
    """No permission (the CLI lists none) and the whole directory, unless the org restricts it:
    then members in divisions the caller cannot read are left out."""
    o = org(req)
    g = o.group(req.path_params["groupId"])
    size, number = paging(req, max_size=500)
    scope = caller(req).directory()
    ids = [i for i in o.group_members.get(g["id"], ()) if scope.covers(o.users[i]["divisionId"])]
    start = (number - 1) * size
    page = [render_user(o, o.users[i]) for i in ids[start : start + size]]
    return ok(listing(req, page, size, number, total=len(ids)))


def _readable(req: Request, ids: list[str]) -> list[str]:
    """A user the caller cannot read (restricted directory) is unknown to it: 404."""
    o, scope = org(req), caller(req).directory()
    for uid in ids:
        u = o.user(uid)
        if not scope.covers(u["divisionId"]):
            raise not_found("user", uid)
    return ids


async def add_members(req: Request) -> Response:
    """The CLI lists no permission for member writes; the platform checks none beyond the token."""
    o = org(req)
    g = o.group(req.path_params["groupId"], ref=True)
    body = await json_body(req)
    ids = _readable(req, m.member_ids(body.get("memberIds")))
    m.add_members(o, g, ids, body.get("version"))
    return ok({}, status=202)


async def remove_members(req: Request) -> Response:
    o = org(req)
    g = o.group(req.path_params["groupId"])
    m.remove_members(o, g, m.member_ids(id_list(req, "ids")))
    return ok({}, status=202)


def _group_matches(g: dict, criterion: dict) -> bool:
    """EXACT, CONTAINS, STARTS_WITH over name, description, id, type, visibility."""
    kind = (criterion.get("type") or "EXACT").upper()
    values = [str(v).lower() for v in (criterion.get("values") or [criterion.get("value", "")])]
    for field in criterion.get("fields") or []:
        have = str(g.get(field, "") or "").lower()
        for v in values:
            if (
                (kind == "EXACT" and have == v)
                or (kind == "CONTAINS" and v in have)
                or (kind == "STARTS_WITH" and have.startswith(v))
            ):
                return True
    return False


def _search(req: Request, body: dict) -> dict:
    """POST /api/v2/groups/search: the CLI lists no permission; served from the (lagging) index."""
    o = org(req)
    size, number = body.get("pageSize", 25), body.get("pageNumber", 1)
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 100:
        raise bad_request("pageSize must be between 1 and 100.", "invalid.value")
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise bad_request("pageNumber must be at least 1.", "invalid.value")
    query = body.get("query") or []
    if not isinstance(query, list):
        raise bad_request("query must be an array of criteria.", "invalid.value")
    query = [check_criterion(i, q) for i, q in enumerate(query)]
    hits = sorted(
        (g for g in o.groups.values() if o.indexed(g["id"]) and all(_group_matches(g, q) for q in query)),
        key=lambda g: (g["name"].lower(), g["id"]),
    )
    start = (number - 1) * size
    count = max(1, -(-len(hits) // size))
    return {
        "total": len(hits),
        "pageCount": count,
        "pageSize": size,
        "pageNumber": number,
        "types": ["groups"],
        "results": [m.render(o, g) for g in hits[start : start + size]],
    }


async def search_post(req: Request) -> Response:
    return ok(_search(req, await json_body(req)))


routes = [
    Route("/api/v2/groups", list_groups, methods=["GET"]),
    Route("/api/v2/groups/search", search_post, methods=["POST"]),
    Route("/api/v2/groups", create_group, methods=["POST"]),
    Route("/api/v2/groups/{groupId}", get_group, methods=["GET"]),
    Route("/api/v2/groups/{groupId}", update_group, methods=["PUT"]),
    Route("/api/v2/groups/{groupId}", delete_group, methods=["DELETE"]),
    Route("/api/v2/groups/{groupId}/members", list_members, methods=["GET"]),
    Route("/api/v2/groups/{groupId}/members", add_members, methods=["POST"]),
    Route("/api/v2/groups/{groupId}/members", remove_members, methods=["DELETE"]),
]
