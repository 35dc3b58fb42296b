"""/Users: create, read, list with filters, PUT (Okta's read-modify-write), PATCH (both Entra
dialects), DELETE (Entra's hard delete). Inactive users stay readable and filterable and keep their
group memberships; each change queues a reconcile of the person (a deactivation at once)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from tenantry.bridge import filters, mapping, patch
from tenantry.bridge.schema import ScimError, clean_user, render_user, validate_user
from tenantry.bridge.service import Bridge
from tenantry.bridge.store import Row
from tenantry.bridge.web import (
    attr_params,
    check_if_match,
    etag,
    json_body,
    list_response,
    meta,
    paging,
    query,
    rewrite,
    scim,
    search_body,
)
from tenantry.inputs.people import EMAIL


def _render(
    request: Request, bridge: Bridge, source: str, rows: list[Row], *, new: bool = False
) -> list[dict[str, Any]]:
    """SCIM bodies of `rows`; groups are not queried when there is nothing to find (an Entra probe
    that matched no one, a user just created): an initial cycle sends two such requests a user."""
    attributes, excluded = attr_params(request)
    held = {} if new or not rows else bridge.store.groups_of(source, [r.id for r in rows])
    return [
        render_user(r.data, meta(request, source, "User", r), held.get(r.id, []), attributes, excluded)
        for r in rows
    ]


def _one(request: Request, bridge: Bridge, source: str, row: Row, status: int = 200) -> Response:
    body = _render(request, bridge, source, [row], new=status == 201)[0]
    headers = {"ETag": etag(row)}
    if status == 201:
        headers["Location"] = body["meta"]["location"]
    return scim(body, status, headers)


def _found(bridge: Bridge, source: str, uid: str) -> Row:
    row = bridge.store.get_user(source, uid)
    if row is None:
        raise ScimError(404, f"no user {uid!r} in this source")
    return row


def _group_names(bridge: Bridge, source: str, uid: str) -> frozenset[str]:
    return frozenset(g["display"] for g in bridge.store.groups_of(source, [uid])[uid])


async def list_users(request: Request, bridge: Bridge, source: str) -> Response:
    start, count = paging(request)
    raw = query(request).get("filter")
    if not raw:
        total = bridge.store.count_users(source)
        rows = bridge.store.page_users(source, start - 1, count)
        return list_response(_render(request, bridge, source, rows), total, start)
    node = filters.parse(raw)
    term = filters.index_term(node)
    candidates = bridge.store.find_users(source, *term) if term else bridge.store.find_users(source)
    hits = [r for r in candidates if filters.matches(node, {**r.data, "id": r.id})]
    page = hits[start - 1 : start - 1 + count]
    return list_response(_render(request, bridge, source, page), len(hits), start)


async def get_user(request: Request, bridge: Bridge, source: str) -> Response:
    row = _found(bridge, source, request.path_params["id"])
    return _one(request, bridge, source, row)


def _admit(bridge: Bridge, source: str, uid: str, data: dict[str, Any], groups: frozenset[str]) -> None:
    email = mapping.email_of(data)
    if email and not EMAIL.match(email):
        raise ScimError(400, "the user's work email (or userName) is not a valid address", "invalidValue")
    p = mapping.person(source, uid, data, groups)
    if p is not None:
        bridge.check_feed(source, [p])


async def create_user(request: Request, bridge: Bridge, source: str) -> Response:
    data = validate_user(clean_user(await json_body(request)))
    _admit(bridge, source, "", data, frozenset())
    row = bridge.store.create_user(source, data)
    request.state.rid = row.id
    request.state.op = f"POST User active={data.get('active', True)}"
    bridge.touched([mapping.email_of(data)], urgent=not data.get("active", True))
    return _one(request, bridge, source, row, 201)


def _change(bridge: Bridge, source: str, row: Row, data: dict[str, Any]) -> Row:
    data = validate_user(data)
    _admit(bridge, source, row.id, data, _group_names(bridge, source, row.id))
    new = bridge.store.replace_user(source, row.id, data, row.version)
    was_active, active = bool(row.data.get("active", True)), bool(data.get("active", True))
    bridge.touched({mapping.email_of(row.data), mapping.email_of(data)}, urgent=was_active and not active)
    return new


async def replace_user(request: Request, bridge: Bridge, source: str) -> Response:
    _found(bridge, source, request.path_params["id"])
    data = clean_user(await json_body(request))
    request.state.op = f"PUT User active={data.get('active', True)}"
    row = rewrite(
        request,
        lambda: _found(bridge, source, request.path_params["id"]),
        lambda row: _change(bridge, source, row, data),
    )
    return _one(request, bridge, source, row)


async def patch_user(request: Request, bridge: Bridge, source: str) -> Response:
    _found(bridge, source, request.path_params["id"])
    ops = patch.operations(await json_body(request))
    request.state.op = "PATCH User " + ", ".join(f"{o} {p or '(attributes)'}" for o, p, _ in ops)
    row = rewrite(
        request,
        lambda: _found(bridge, source, request.path_params["id"]),
        lambda row: _change(bridge, source, row, clean_user(patch.apply(row.data, ops))),
    )
    return _one(request, bridge, source, row)


async def delete_user(request: Request, bridge: Bridge, source: str) -> Response:
    row = _found(bridge, source, request.path_params["id"])
    check_if_match(request, row)
    bridge.store.delete_user(source, row.id)
    bridge.touched([mapping.email_of(row.data)], urgent=True)
    return Response(status_code=204)


async def search_users(request: Request, bridge: Bridge, source: str) -> Response:
    """POST /Users/.search: the listing with its parameters in the body."""
    request.state.search = await search_body(request)
    return await list_users(request, bridge, source)
