"""HTTP for /api/v2/groups. Groups live outside divisions, as on the platform."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..errors import not_found
from ..users.models import render as render_user
from ..web import caller, descending, empty, id_list, json_body, listing, ok, org, paging, want_str
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
    body = await json_body(req)
    m.check_fields(body)
    o = org(req)
    g = m.create(  # the platform ignores `description` on create: it is set by a PUT
        o,
        want_str(body, "name"),
        type_=body.get("type", "official"),
        visibility=body.get("visibility", "public"),
        roles_enabled=body.get("rolesEnabled", False),
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


routes = [
    Route("/api/v2/groups", list_groups, methods=["GET"]),
    Route("/api/v2/groups", create_group, methods=["POST"]),
    Route("/api/v2/groups/{groupId}", get_group, methods=["GET"]),
    Route("/api/v2/groups/{groupId}", update_group, methods=["PUT"]),
    Route("/api/v2/groups/{groupId}", delete_group, methods=["DELETE"]),
    Route("/api/v2/groups/{groupId}/members", list_members, methods=["GET"]),
    Route("/api/v2/groups/{groupId}/members", add_members, methods=["POST"]),
    Route("/api/v2/groups/{groupId}/members", remove_members, methods=["DELETE"]),
]
