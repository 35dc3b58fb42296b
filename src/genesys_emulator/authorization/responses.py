"""HTTP for /api/v2/authorization/roles and /api/v2/authorization/subjects."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..errors import conflict, forbidden, not_found
from ..permissions import ALL_DIVISIONS
from ..web import Caller, caller, empty, emulator, id_list, json_body, listing, ok, org, paging, want_str
from . import models as m

ROLES = "/api/v2/authorization/roles"
SUBJECTS = "/api/v2/authorization/subjects"


async def list_roles(req: Request) -> Response:
    caller(req).require("authorization:role:view")
    o = org(req)
    size, number = paging(req)
    roles = sorted(o.roles.values(), key=lambda r: r["name"].lower())
    if name := req.query_params.get("name"):
        roles = [r for r in roles if r["name"].lower() == name.lower()]
    if ids := id_list(req, "id"):
        roles = [r for r in roles if r["id"] in ids]
    return ok(listing(req, [m.render_role(o, r) for r in roles], size, number))


async def get_role(req: Request) -> Response:
    caller(req).require("authorization:role:view")
    o = org(req)
    return ok(m.render_role(o, o.role(req.path_params["roleId"])))


async def create_role(req: Request) -> Response:
    caller(req).require("authorization:role:add")
    body = await json_body(req)
    o = org(req)
    role = m.create_role(
        o,
        str(want_str(body, "name")),
        m.check_policies(body.get("permissionPolicies")),
        body.get("description") or "",
    )
    # an emulator convenience: the creating client holds the new role (on `*`), so it may give it
    # to the clients it creates (a client may only give roles it holds; on the platform an admin
    # grants itself the role first). Tenantry never creates roles.
    caller(req).client.setdefault("roleDivisions", []).append(
        {"roleId": role["id"], "divisionId": ALL_DIVISIONS}
    )
    o.touch(authz=True)
    return ok(m.render_role(o, role))


async def update_role(req: Request) -> Response:
    caller(req).require("authorization:role:edit")
    o = org(req)
    role = o.role(req.path_params["roleId"])
    body = await json_body(req)
    name = str(want_str(body, "name"))
    policies = m.check_policies(body.get("permissionPolicies"))
    description = want_str(body, "description", required=False) or ""
    other = next((r for r in o.roles.values() if r["name"].lower() == name.lower()), None)
    if other is not None and other["id"] != role["id"]:
        raise conflict(f"A role named {name!r} already exists.", "general.conflict")
    role.update(name=name, permissionPolicies=policies, description=description)
    o.touch(authz=True)
    return ok(m.render_role(o, role))


async def delete_role(req: Request) -> Response:
    caller(req).require("authorization:role:delete")
    o = org(req)
    m.delete_role(o, o.role(req.path_params["roleId"]))
    return empty()


def _role_holders(req: Request, role_id: str) -> list[dict]:
    """Every subject holding the role (users, groups and OAuth clients), cached until the org
    changes: paging through a 50,000-user org must not rescan every grant for each page."""
    emu, o = emulator(req), org(req)
    key = ("subjectgrants", role_id)
    hit = emu.list_cache.get(key)
    if hit is not None and hit[0] == o.rev:
        return hit[1]
    held: dict[str, list[str]] = {}
    for sid, grants in o.grants.items():
        divs = [d for (r, d) in grants if r == role_id]
        if divs:
            held[sid] = divs
    for cid, rec in o.oauth_clients.items():
        divs = [rd["divisionId"] for rd in rec.get("roleDivisions", []) if rd["roleId"] == role_id]
        if divs:
            held[cid] = divs
    stores = {"PC_USER": o.users, "PC_GROUP": o.groups, "PC_OAUTH_CLIENT": o.oauth_clients}
    rows = []
    for sid, divs in held.items():
        kind = o.subject_types.get(sid, "PC_USER")
        rows.append(
            {
                "id": sid,
                "name": stores[kind].get(sid, {}).get("name", ""),
                "type": kind,
                "divisions": [
                    {"id": d, "name": o.name_of_division(d) if d != ALL_DIVISIONS else "All divisions"}
                    for d in divs
                ],
            }
        )
    emu.list_cache[key] = (o.rev, rows)
    return rows


async def role_subject_grants(req: Request) -> Response:
    caller(req).require("authorization:role:view")
    role = org(req).role(req.path_params["roleId"])
    size, number = paging(req)
    rows = _role_holders(req, role["id"])
    return ok(listing(req, rows, size, number))


def _require_each(c: Caller, permission: str, grants: list[tuple[str, str]]) -> None:
    for _role, division in grants:
        scope = c.scope(permission)
        if not (scope.everywhere if division == ALL_DIVISIONS else scope.covers(division)):
            raise forbidden(permission, division)


def _subject(req: Request, *, ref: bool = False) -> tuple[str, str, dict]:
    o = org(req)
    sid = req.path_params["subjectId"]
    kind, rec = m.subject(o, sid, req.query_params.get("subjectType"), ref=ref)
    if kind == "PC_USER":
        c = caller(req)
        if not c.directory().covers(rec["divisionId"]) and not c.scope("authorization:grant:view").everywhere:
            raise not_found("subject", sid)
    return sid, kind, rec


async def get_subject(req: Request) -> Response:
    caller(req).require("authorization:grant:view")
    sid, kind, rec = _subject(req)
    duplicates = (req.query_params.get("includeDuplicates") or "").lower() == "true"
    return ok(m.render_subject(org(req), sid, kind, rec, duplicates=duplicates))


async def bulk(req: Request) -> Response:
    action = req.path_params["action"]
    c = caller(req)
    sid, kind, _rec = _subject(req, ref=True)
    grants = m.parse_grants(await json_body(req))
    o = org(req)
    if action == "bulkadd":
        _require_each(c, "authorization:grant:add", grants)
        m.add(o, sid, kind, grants)
    elif action == "bulkremove":
        _require_each(c, "authorization:grant:delete", grants)
        m.remove(o, sid, kind, grants)
    elif action == "bulkreplace":
        default = m._default_grant(o, sid, kind)
        held = [k for k in m.subject_grants(o, sid, kind) if k != default]
        _require_each(c, "authorization:grant:add", grants)
        _require_each(c, "authorization:grant:delete", held)
        m.replace(o, sid, kind, grants)
    else:
        raise not_found("operation", action)
    return empty()


async def single(req: Request) -> Response:
    c = caller(req)
    sid, kind, _rec = _subject(req, ref=True)
    grant = [(req.path_params["roleId"], req.path_params["divisionId"])]
    if req.method == "POST":
        _require_each(c, "authorization:grant:add", grant)
        m.add(org(req), sid, kind, grant)
    else:
        _require_each(c, "authorization:grant:delete", grant)
        o = org(req)
        if grant[0] not in o.grants.get(sid, {}):
            raise not_found("grant", f"{grant[0][0]} in division {grant[0][1]}")
        m.remove(o, sid, kind, grant, check=False)
    return empty()


routes = [
    Route(ROLES, list_roles, methods=["GET"]),
    Route(ROLES, create_role, methods=["POST"]),
    Route(ROLES + "/{roleId}", get_role, methods=["GET"]),
    Route(ROLES + "/{roleId}", update_role, methods=["PUT"]),
    Route(ROLES + "/{roleId}", delete_role, methods=["DELETE"]),
    Route(ROLES + "/{roleId}/subjectgrants", role_subject_grants, methods=["GET"]),
    Route(SUBJECTS + "/{subjectId}", get_subject, methods=["GET"]),
    Route(SUBJECTS + "/{subjectId}/{action}", bulk, methods=["POST"]),
    Route(
        SUBJECTS + "/{subjectId}/divisions/{divisionId}/roles/{roleId}", single, methods=["POST", "DELETE"]
    ),
]
