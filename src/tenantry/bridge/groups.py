"""/Groups: IdPs create, rename, fill and delete groups (Entra and Okta Group Push both do).

A group's name is what `idp_group:` rules test, so a membership change or a rename touches its
members: each is checked against what their source may feed, then queued for a reconcile.
Members that are not users of the source are ignored. PATCH answers 204 (Entra's advice).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from tenantry.bridge import filters, mapping, patch
from tenantry.bridge.schema import ScimError, clean_group, render_group, validate_group
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


def _render(request: Request, bridge: Bridge, source: str, rows: list[Row]) -> list[dict[str, Any]]:
    attributes, excluded = attr_params(request)
    skip = any(a.lower() == "members" for a in excluded or []) or (
        attributes is not None and not any(a.lower().startswith("members") for a in attributes)
    )
    held = {} if skip else bridge.store.members_of(source, [r.id for r in rows])
    return [
        render_group(r.data, meta(request, source, "Group", r), held.get(r.id, []), attributes, excluded)
        for r in rows
    ]


def _found(bridge: Bridge, source: str, gid: str) -> Row:
    row = bridge.store.get_group(source, gid)
    if row is None:
        raise ScimError(404, f"no group {gid!r} in this source")
    return row


async def list_groups(request: Request, bridge: Bridge, source: str) -> Response:
    start, count = paging(request)
    raw = query(request).get("filter")
    node = filters.parse(raw) if raw else None
    term = filters.index_term(node) if node is not None else None
    rows = bridge.store.find_groups(source, *term) if term else bridge.store.find_groups(source)
    if node is not None:
        mentions = "members" in (raw or "").lower()
        held = bridge.store.members_of(source, [r.id for r in rows]) if mentions else {}
        rows = [
            r for r in rows if filters.matches(node, {**r.data, "id": r.id, "members": held.get(r.id, [])})
        ]
    page = rows[start - 1 : start - 1 + count]
    return list_response(_render(request, bridge, source, page), len(rows), start)


async def get_group(request: Request, bridge: Bridge, source: str) -> Response:
    row = _found(bridge, source, request.path_params["id"])
    return scim(_render(request, bridge, source, [row])[0], headers={"ETag": etag(row)})


def _members(bridge: Bridge, source: str, data: dict[str, Any]) -> dict[str, str | None]:
    """user id → display as sent, for the members that are users of this source (others ignored)."""
    wanted = {m["value"]: m.get("display") for m in data.get("members") or []}
    known = {r.id for r in bridge.store.find_users(source, ids=list(wanted))} if wanted else set()
    return {u: d for u, d in wanted.items() if u in known}


def _admit(
    bridge: Bridge,
    source: str,
    gid: str | None,
    name: str,
    before: set[str],
    after: dict[str, str | None],
    renamed: bool,
) -> set[str]:
    """Check the people whose group names change; their emails, to reconcile."""
    affected = sorted(before | set(after)) if renamed else sorted(before ^ set(after))
    rows = bridge.store.find_users(source, ids=affected) if affected else []
    held = bridge.store.groups_of(source, [r.id for r in rows])
    people, emails = [], set()
    for r in rows:
        names = {g["display"] for g in held[r.id] if g["value"] != gid}
        if r.id in after:
            names.add(name)
        p = mapping.person(source, r.id, r.data, frozenset(names))
        if p is not None:
            people.append(p)
            emails.add(p.email)
    bridge.check_feed(source, people)
    return emails


async def create_group(request: Request, bridge: Bridge, source: str) -> Response:
    data = validate_group(clean_group(await json_body(request)))
    ids = _members(bridge, source, data)
    emails = _admit(bridge, source, None, data["displayName"], set(), ids, True)
    row = bridge.store.create_group(source, data, ids)
    request.state.rid = row.id
    request.state.op = f"POST Group members={len(ids)}"
    bridge.touched(emails)
    body = _render(request, bridge, source, [row])[0]
    return scim(body, 201, {"ETag": etag(row), "Location": body["meta"]["location"]})


def _change(bridge: Bridge, source: str, row: Row, data: dict[str, Any]) -> Row:
    data = validate_group(data)
    before = {m["value"] for m in bridge.store.members_of(source, [row.id])[row.id]}
    ids = _members(bridge, source, data)
    renamed = data["displayName"] != row.data.get("displayName")
    emails = _admit(bridge, source, row.id, data["displayName"], before, ids, renamed)
    new = bridge.store.replace_group(source, row.id, data, ids, row.version)
    bridge.touched(emails)
    return new


async def replace_group(request: Request, bridge: Bridge, source: str) -> Response:
    gid = request.path_params["id"]
    _found(bridge, source, gid)
    data = clean_group(await json_body(request))
    data.setdefault("members", [])
    request.state.op = f"PUT Group members={len(data['members'])}"
    new = rewrite(
        request, lambda: _found(bridge, source, gid), lambda row: _change(bridge, source, row, data)
    )
    return scim(_render(request, bridge, source, [new])[0], headers={"ETag": etag(new)})


def _patched(bridge: Bridge, source: str, row: Row, ops: list) -> Row:
    current = {**row.data, "members": bridge.store.members_of(source, [row.id])[row.id]}
    return _change(bridge, source, row, clean_group(patch.apply(current, ops)))


def _delta(bridge: Bridge, source: str, row: Row, delta: tuple[dict[str, str | None], set[str]]) -> Row:
    """Only some members in or out: read and check just those people."""
    added, removed = delta
    known = {r.id for r in bridge.store.find_users(source, ids=list(added))} if added else set()
    add = {u: d for u, d in added.items() if u in known}
    current = bridge.store.member_ids(source, row.id, set(add) | removed)
    joining = {u: d for u, d in add.items() if u not in current}
    leaving = removed & current
    emails = _admit(bridge, source, row.id, row.data["displayName"], leaving, joining, False)
    new = bridge.store.change_members(source, row.id, add, removed, row.version)
    bridge.touched(emails)
    return new


async def patch_group(request: Request, bridge: Bridge, source: str) -> Response:
    gid = request.path_params["id"]
    _found(bridge, source, gid)
    ops = patch.operations(await json_body(request))
    request.state.op = "PATCH Group " + ", ".join(f"{o} {p or '(attributes)'}" for o, p, _ in ops)

    def write(row: Row) -> Row:
        delta = patch.member_delta(ops)
        if delta is not None and delta[2] in (None, row.data.get("displayName")):
            return _delta(bridge, source, row, delta[:2])
        return _patched(bridge, source, row, ops)

    new = rewrite(request, lambda: _found(bridge, source, gid), write)
    return Response(status_code=204, headers={"ETag": etag(new)})


async def delete_group(request: Request, bridge: Bridge, source: str) -> Response:
    row = _found(bridge, source, request.path_params["id"])
    check_if_match(request, row)
    members = bridge.store.members_of(source, [row.id])[row.id]
    rows = bridge.store.find_users(source, ids=[m["value"] for m in members]) if members else []
    bridge.store.delete_group(source, row.id)
    bridge.touched(mapping.email_of(r.data) for r in rows)
    return Response(status_code=204)


async def search_groups(request: Request, bridge: Bridge, source: str) -> Response:
    """POST /Groups/.search: the listing with its parameters in the body."""
    request.state.search = await search_body(request)
    return await list_groups(request, bridge, source)
