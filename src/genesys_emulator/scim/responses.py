"""HTTP for the SCIM 2.0 API: `/api/v2/scim/v2/…` and the older `/api/v2/scim/…`, each with the
resource names in lower case (the SDK's paths) and capitalised (`Users`, `Groups`, … as IdPs send).

Permissions follow the Genesys CLI: POST users needs directory:user:add and authorization:grant:add
in the user's division; PUT/PATCH directory:user:edit (and in the target division when the
enterprise `division` moves the user; directory:user:setPassword when a password is sent;
routing:skill:assign / routing:language:assign when skills or languages change); DELETE
directory:user:delete; reads need directory:user:view in the user's division, and a user in a
division the caller cannot view does not exist for it (404, absent from lists). Groups need
directory:group:edit, for reading too.

Every error of these routes, including the platform errors of shared code (404, 403, 409), is
answered in the SCIM error shape; errors of the app itself (401, the per-token 429, an unknown
method on a path) keep the platform's shape.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..errors import ApiError, forbidden
from ..users import models as users
from ..users.responses import visible_user
from ..web import MAX_DEPTH, Caller, caller, emulator, org, too_deep
from . import models as m

VIEW = "directory:user:view"
ADD = "directory:user:add"
EDIT = "directory:user:edit"
DELETE = "directory:user:delete"
SET_PASSWORD = "directory:user:setPassword"
GRANT_ADD = "authorization:grant:add"
GROUP_EDIT = "directory:group:edit"
SKILL = "routing:skill:assign"
LANGUAGE = "routing:language:assign"

Handler = Callable[[Request], Awaitable[Response]]


class ScimResponse(JSONResponse):
    media_type = m.MEDIA_TYPE


def scim_ok(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return ScimResponse(data, status_code=status, headers=headers)


def scim(handler: Handler) -> Handler:
    """Errors raised by shared code (users, groups, web) are answered in the SCIM shape too."""

    @functools.wraps(handler)
    async def wrapped(req: Request) -> Response:
        try:
            return await handler(req)
        except m.ScimError:
            raise
        except ApiError as err:
            raise m.from_api_error(err) from None

    return wrapped


# ---- request helpers ------------------------------------------------------------------------
def root(req: Request) -> str:
    """The absolute SCIM root of the family the request came in on."""
    path = req.url.path.lower()
    prefix = "/api/v2/scim/v2" if path.startswith("/api/v2/scim/v2/") else "/api/v2/scim"
    return str(req.base_url).rstrip("/") + prefix


async def body_of(req: Request) -> Any:
    raw = await req.body()
    if not raw.strip():
        raise m.invalid_syntax("The request body is missing.")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        reason = str(exc) if not isinstance(exc, RecursionError) else "nested too deeply"
        raise m.invalid_syntax(f"The request body is not valid JSON ({reason}).") from None
    if too_deep(data):
        raise m.invalid_syntax(f"The request body is nested deeper than {MAX_DEPTH} levels.")
    return data


def int_query(req: Request, name: str, default: int) -> int:
    raw = req.query_params.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        raise m.invalid_value(f"Query parameter {name} must be an integer, got {raw!r}.") from None


def projection(req: Request) -> tuple[list[str], list[str]]:
    return (
        m.attribute_list(req.query_params.getlist("attributes")),
        m.attribute_list(req.query_params.getlist("excludedAttributes")),
    )


def paging(req: Request) -> tuple[int, int, list[str], list[str]]:
    """(startIndex, count, attributes, excludedAttributes) per RFC 7644 §3.4.2.4 and the platform."""
    start = max(1, int_query(req, "startIndex", 1))
    count = max(0, int_query(req, "count", m.FREE_COUNT))
    attributes, excluded = projection(req)
    if count > m.FREE_COUNT and not attributes and not excluded:
        raise m.ScimError(
            429,
            f"A page size over {m.FREE_COUNT} exceeds internal resource limits; use attributes or "
            "excludedAttributes to leave out secondary lookups such as externalId and roles, or "
            f"ask for at most {m.FREE_COUNT} resources.",
            headers={"Retry-After": "1"},
        )
    return start, min(count, m.MAX_COUNT), attributes, excluded


def etag_headers(version: int, extra: dict[str, str] | None = None) -> dict[str, str]:
    return {"ETag": m.etag(version), **(extra or {})}


def can_view(c: Caller) -> Callable[[dict], bool]:
    scope = c.scope(VIEW)
    return lambda u: scope.covers(u["divisionId"])


# ---- users ----------------------------------------------------------------------------------
def _matching_users(req: Request, ast: tuple | None, text: str) -> list[str]:
    """Sorted ids of the users the caller can see that the filter selects, cached per org change."""
    c, o, emu = caller(req), org(req), emulator(req)
    key = ("scim.users", c.client_id if o.directory_restricted else "*", text)
    stamp = (o.rev, o.epoch)
    hit = emu.list_cache.get(key)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    scope = c.directory()
    active_only = ast is None or not m.mentions(ast, "active")
    candidates: Any = o.users.values()
    if ast is not None and ast[0] == "eq" and isinstance(ast[2], str):
        field = ast[1][:2]
        if field == (m.CORE_USER, "userName"):
            hit_user = o.user_by_email(ast[2])
            candidates = [hit_user] if hit_user else []
        elif field == (m.CORE_USER, "id"):
            candidates = [o.users[ast[2]]] if ast[2] in o.users else []
    rows = [
        u
        for u in candidates
        if u["state"] != "deleted"
        and (u["state"] == "active" or not active_only)
        and scope.covers(u["divisionId"])
        and (ast is None or m.evaluate(ast, functools.partial(m.user_values, o, u)))
    ]
    rows.sort(key=lambda u: (u["name"].lower(), u["id"]))
    ids = [u["id"] for u in rows]
    if len(emu.list_cache) > 10_000:
        emu.list_cache.clear()
    emu.list_cache[key] = (stamp, ids)
    return ids


@scim
async def list_users(req: Request) -> Response:
    c, o = caller(req), org(req)
    if o.directory_restricted and not c.scope(VIEW).any:  # open directory: no permission needed
        raise forbidden(VIEW)
    start, count, attributes, excluded = paging(req)
    text = (req.query_params.get("filter") or "").strip()
    ast = m.parse_filter(text, m.user_filter_key) if text else None
    ids = _matching_users(req, ast, text)
    base = root(req)
    page = [
        m.project(m.render_user(o, o.users[i], base), attributes, excluded, m.USER_ATTRS, m.ALWAYS_USER)
        for i in ids[start - 1 : start - 1 + count]
    ]
    return scim_ok(m.list_response(page, len(ids), start))


@scim
async def get_user(req: Request) -> Response:
    o = org(req)
    u = visible_user(req, req.path_params["userId"])
    if m.not_modified(req.headers.get("if-none-match"), u["version"]):
        return Response(status_code=304, headers=etag_headers(u["version"]))
    attributes, excluded = projection(req)
    doc = m.project(m.render_user(o, u, root(req)), attributes, excluded, m.USER_ATTRS, m.ALWAYS_USER)
    return scim_ok(doc, headers=etag_headers(u["version"]))


@scim
async def create_user(req: Request) -> Response:
    c, o = caller(req), org(req)
    want = m.read_user(o, await body_of(req))
    division = want["divisionId"]
    c.require(ADD, division)
    c.require(GRANT_ADD, division)
    if want["routingSkills"]:
        c.require(SKILL)
    if want["routingLanguages"]:
        c.require(LANGUAGE)
    m.check_unique(o, want["email"], None)
    u = users.create(
        o,
        name=want["name"],
        email=want["email"],
        division_id=division,
        title=want["title"],
        department=want["department"],
        state=want["state"],
    )
    m.store_scim_fields(u, want)
    o.touch()
    doc = m.render_user(o, u, root(req))
    return scim_ok(doc, 201, etag_headers(u["version"], {"Location": doc["meta"]["location"]}))


def _update(req: Request, u: dict, want: dict) -> Response:
    """Check what `want` changes against the caller's permissions, then write it all."""
    c, o = caller(req), org(req)
    diff = m.changed(u, want)
    if "divisionId" in diff:
        c.require(EDIT, want["divisionId"])
    if want.get("password"):
        c.require(SET_PASSWORD, u["divisionId"])
    if "routingSkills" in diff:
        c.require(SKILL)
    if "routingLanguages" in diff:
        c.require(LANGUAGE)
    if "email" in diff:
        m.check_unique(o, want["email"], u["id"])
    core = {k: want[k] for k in ("name", "email", "title", "department") if k in diff}
    if "state" in diff:  # a state change travels alone: the platform ignores the rest of such a PATCH
        users.patch(o, u, {"version": u["version"], "state": want["state"]})
    if core:
        users.patch(o, u, {"version": u["version"], **core})
    m.store_scim_fields(u, want)
    if "divisionId" in diff:
        m.move_division(o, u, want["divisionId"])
    o.touch()
    return scim_ok(m.render_user(o, u, root(req)), headers=etag_headers(u["version"]))


@scim
async def put_user(req: Request) -> Response:
    u = visible_user(req, req.path_params["userId"], EDIT)
    m.check_if_match(req.headers.get("if-match"), u["version"])
    want = m.read_user(org(req), await body_of(req), current=u)
    return _update(req, u, want)


@scim
async def patch_user(req: Request) -> Response:
    o = org(req)
    u = visible_user(req, req.path_params["userId"], EDIT)
    m.check_if_match(req.headers.get("if-match"), u["version"])
    body = await body_of(req)
    patched = m.apply_patch(m.render_user(o, u, root(req)), body, m.USER_ATTRS)
    return _update(req, u, m.read_user(o, patched, current=u))


@scim
async def delete_user(req: Request) -> Response:
    u = visible_user(req, req.path_params["userId"], DELETE)
    m.check_if_match(req.headers.get("if-match"), u["version"])
    users.delete(org(req), u)
    return Response(status_code=204)


# ---- groups ---------------------------------------------------------------------------------
def _group(req: Request) -> dict:
    caller(req).require(GROUP_EDIT)
    gid = req.path_params["groupId"]
    g = org(req).groups.get(gid)
    if g is None:
        raise m.not_found("Group", gid)
    return g


def _render_group(req: Request, g: dict) -> dict:
    return m.render_group(org(req), g, root(req), can_view(caller(req)))


@scim
async def list_groups(req: Request) -> Response:
    c, o = caller(req), org(req)
    c.require(GROUP_EDIT)
    start, count, attributes, excluded = paging(req)
    text = (req.query_params.get("filter") or "").strip()
    if not text:  # the SDK marks `filter` required for groups
        raise m.invalid_filter('filter is required to list groups, e.g. displayName eq "Sales".')
    ast = m.parse_filter(text, m.group_filter_key)
    rows = sorted(o.groups.values(), key=lambda g: (g["name"].lower(), g["id"]))
    rows = [g for g in rows if m.evaluate(ast, functools.partial(m.group_values, o, g))]
    page = [
        m.project(_render_group(req, g), attributes, excluded, m.GROUP_ATTRS, m.ALWAYS_GROUP)
        for g in rows[start - 1 : start - 1 + count]
    ]
    return scim_ok(m.list_response(page, len(rows), start))


@scim
async def get_group(req: Request) -> Response:
    g = _group(req)
    if m.not_modified(req.headers.get("if-none-match"), g["version"]):
        return Response(status_code=304, headers=etag_headers(g["version"]))
    attributes, excluded = projection(req)
    doc = m.project(_render_group(req, g), attributes, excluded, m.GROUP_ATTRS, m.ALWAYS_GROUP)
    return scim_ok(doc, headers=etag_headers(g["version"]))


def _write_group(req: Request, g: dict, doc: Any) -> Response:
    o, visible = org(req), can_view(caller(req))
    external, wanted = m.read_group(o, g, doc, visible)
    m.set_group(o, g, external, wanted, visible)
    return scim_ok(_render_group(req, g), headers=etag_headers(g["version"]))


@scim
async def put_group(req: Request) -> Response:
    g = _group(req)
    m.check_if_match(req.headers.get("if-match"), g["version"])
    return _write_group(req, g, await body_of(req))


@scim
async def patch_group(req: Request) -> Response:
    g = _group(req)
    m.check_if_match(req.headers.get("if-match"), g["version"])
    body = await body_of(req)
    return _write_group(req, g, m.apply_patch(_render_group(req, g), body, m.GROUP_ATTRS))


@scim
async def create_group(req: Request) -> Response:
    raise m.ScimError(
        405,
        "Groups cannot be created through SCIM; create the group in Genesys Cloud and map the IdP "
        "group to it by its exact name.",
        headers={"Allow": "GET"},
    )


@scim
async def delete_group(req: Request) -> Response:
    raise m.ScimError(405, "Groups cannot be deleted through SCIM.", headers={"Allow": "GET, PUT, PATCH"})


# ---- discovery ------------------------------------------------------------------------------
@scim
async def get_service_provider_config(req: Request) -> Response:
    headers = {"ETag": m.SPC_VERSION}
    if m.not_modified(req.headers.get("if-none-match"), 1):
        return Response(status_code=304, headers=headers)
    return scim_ok(m.service_provider_config(root(req)), headers=headers)


@scim
async def list_resource_types(req: Request) -> Response:
    items = m.resource_types(root(req))
    return scim_ok(m.list_response(items, len(items), 1))


@scim
async def get_resource_type(req: Request) -> Response:
    want = req.path_params["resourceType"].lower()
    for item in m.resource_types(root(req)):
        if item["id"].lower() == want:
            return scim_ok(item)
    raise m.not_found("ResourceType", req.path_params["resourceType"])


@scim
async def list_schemas(req: Request) -> Response:
    if "filter" in req.query_params:
        raise m.ScimError(403, "Filtering schemas is not supported.")
    items = m.schemas(root(req))
    return scim_ok(m.list_response(items, len(items), 1))


@scim
async def get_schema(req: Request) -> Response:
    want = req.path_params["schemaId"].lower()
    for item in m.schemas(root(req)):
        if item["id"].lower() == want:
            return scim_ok(item)
    raise m.not_found("Schema", req.path_params["schemaId"])


# ---- routes ---------------------------------------------------------------------------------
FAMILIES = ("/api/v2/scim/v2", "/api/v2/scim")


def _routes() -> list[Route]:
    out: list[Route] = []
    for prefix in FAMILIES:
        for name in ("users", "Users"):
            base = f"{prefix}/{name}"
            out += [
                Route(base, list_users, methods=["GET"]),
                Route(base, create_user, methods=["POST"]),
                Route(base + "/{userId}", get_user, methods=["GET"]),
                Route(base + "/{userId}", put_user, methods=["PUT"]),
                Route(base + "/{userId}", patch_user, methods=["PATCH"]),
                Route(base + "/{userId}", delete_user, methods=["DELETE"]),
            ]
        for name in ("groups", "Groups"):
            base = f"{prefix}/{name}"
            out += [
                Route(base, list_groups, methods=["GET"]),
                Route(base, create_group, methods=["POST"]),
                Route(base + "/{groupId}", get_group, methods=["GET"]),
                Route(base + "/{groupId}", put_group, methods=["PUT"]),
                Route(base + "/{groupId}", patch_group, methods=["PATCH"]),
                Route(base + "/{groupId}", delete_group, methods=["DELETE"]),
            ]
        for name in ("serviceproviderconfig", "ServiceProviderConfig"):
            out.append(Route(f"{prefix}/{name}", get_service_provider_config, methods=["GET"]))
        for name in ("resourcetypes", "ResourceTypes"):
            out += [
                Route(f"{prefix}/{name}", list_resource_types, methods=["GET"]),
                Route(f"{prefix}/{name}/{{resourceType}}", get_resource_type, methods=["GET"]),
            ]
        for name in ("schemas", "Schemas"):
            out += [
                Route(f"{prefix}/{name}", list_schemas, methods=["GET"]),
                Route(f"{prefix}/{name}/{{schemaId}}", get_schema, methods=["GET"]),
            ]
    return out


routes = _routes()
