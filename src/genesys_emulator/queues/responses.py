"""HTTP for /api/v2/routing/queues and their members."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..bodies import QueueBody, validate
from ..divisions.models import ref as division_ref
from ..errors import not_found
from ..web import caller, empty, id_list, json_body, listing, ok, org, paging
from . import models as m

BASE = "/api/v2/routing/queues"
VIEW = "routing:queue:view"


def visible_queue(req: Request, permission: str | tuple[str, ...] = VIEW) -> dict:
    """Queues are division-scoped: one the caller cannot view is unknown to it (404); a missing
    write permission is a 403. A tuple is a list of alternatives."""
    c, o = caller(req), org(req)
    wanted = (permission,) if isinstance(permission, str) else permission
    q = o.queues.get(req.path_params["queueId"])
    if q is None or not any(c.can(p, q["divisionId"]) for p in (VIEW, *wanted)):
        raise not_found("queue", req.path_params["queueId"])
    c.require_any(*wanted, division_id=q["divisionId"])
    return q


async def list_queues(req: Request) -> Response:
    c, o = caller(req), org(req)
    c.require(VIEW)
    size, number = paging(req, max_size=500)
    scope = c.scope(VIEW)
    queues = [q for q in o.queues.values() if scope.covers(q["divisionId"])]
    if name := req.query_params.get("name"):
        queues = [q for q in queues if m.name_matches(name, q["name"])]
    if ids := id_list(req, "id"):
        queues = [q for q in queues if q["id"] in ids]
    if divs := id_list(req, "divisionId"):
        queues = [q for q in queues if q["divisionId"] in divs]
    if not id_list(req, "id"):
        queues = [q for q in queues if o.indexed(q["id"])]
    queues.sort(key=lambda q: q["name"].lower())
    return ok(listing(req, [m.render(o, q) for q in queues], size, number))


async def create_queue(req: Request) -> Response:
    o = org(req)
    body = validate(QueueBody, await json_body(req))
    division_id = body.division.id if body.division else o.home_division_id
    caller(req).require("routing:queue:add", division_id)
    groups, others = m.member_groups(o, body.member_groups)
    q = m.create(o, body.name, division_id, groups, description=body.description or "", others=others)
    return ok(m.render(o, q))


async def get_queue(req: Request) -> Response:
    return ok(m.render(org(req), visible_queue(req)))


async def update_queue(req: Request) -> Response:
    o = org(req)
    q = visible_queue(req, "routing:queue:edit")
    body = validate(QueueBody, await json_body(req))
    division_id = body.division.id if body.division else q["divisionId"]
    if division_id != q["divisionId"]:
        caller(req).require("routing:queue:edit", division_id)
        o.division(division_id, ref=True)
    groups, others = m.member_groups(o, body.member_groups)
    q = m.update(o, q, body.name, groups, body.description, division_id=division_id, others=others)
    return ok(m.render(o, q))


async def delete_queue(req: Request) -> Response:
    m.delete(org(req), visible_queue(req, "routing:queue:delete"))
    return empty()


MEMBER_VIEW = (
    "routing:queue:view",
    "routing:queue:edit",
    "routing:queue:readonly",
    "routing:queueMember:manage",
)
MEMBER_WRITE = ("routing:queue:edit", "routing:queueMember:manage")


async def list_members(req: Request) -> Response:
    """Any of the CLI's listed permissions; the SDK's QueueMemberEntityListing has no total,
    pageCount or lastUri, and neither has this answer."""
    o = org(req)
    q = visible_queue(req, MEMBER_VIEW)
    size, number = paging(req, max_size=100)
    direct = o.queue_members.get(q["id"], {})
    rows: dict[str, str] = dict.fromkeys(direct, "user")
    for gid in q["memberGroups"]:
        for uid in o.group_members.get(gid, ()):
            rows.setdefault(uid, "group")
    if by := req.query_params.get("memberBy"):
        rows = {u: k for u, k in rows.items() if k == by}
    entities = []
    for uid, kind in rows.items():
        u = o.users[uid]
        entities.append(
            {
                "id": uid,
                "name": u["name"],
                "ringNumber": 1,
                "joined": True,
                "memberBy": kind,
                "user": {
                    "id": uid,
                    "name": u["name"],
                    "division": division_ref(o, u["divisionId"]),
                    "selfUri": f"/api/v2/users/{uid}",
                },
                "routingStatus": {"status": "OFF_QUEUE"},
                "selfUri": f"/api/v2/users/{uid}",
            }
        )
    page = listing(req, entities, size, number)
    for key in ("total", "pageCount", "lastUri"):
        page.pop(key, None)
    return ok(page)


async def change_members(req: Request) -> Response:
    o = org(req)
    q = visible_queue(req, MEMBER_WRITE)
    delete = req.query_params.get("delete", "false").lower() == "true"
    ids = m.member_ids(await json_body(req, list))
    if not delete:  # a user the caller cannot read (restricted directory) does not exist for it
        scope = caller(req).directory()
        for uid in ids:
            if not scope.covers(o.user(uid)["divisionId"]):
                raise not_found("user", uid)
    m.change_members(o, q, ids, delete)
    return empty()


routes = [
    Route(BASE, list_queues, methods=["GET"]),
    Route(BASE, create_queue, methods=["POST"]),
    Route(BASE + "/{queueId}", get_queue, methods=["GET"]),
    Route(BASE + "/{queueId}", update_queue, methods=["PUT"]),
    Route(BASE + "/{queueId}", delete_queue, methods=["DELETE"]),
    Route(BASE + "/{queueId}/members", list_members, methods=["GET"]),
    Route(BASE + "/{queueId}/members", change_members, methods=["POST"]),
]
