"""Effective access: every (subject, role, division, path) an org grants. The one computation of it.

The audit judges these rows; a mover's read-back (planning/moves.py) checks the divisions one user
reaches against what the desired state allows. Both call `effective_access`, so "what can this
person reach" has one answer. Pure: a Snapshot in, rows out.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from typing import NamedTuple

from tenantry.domain.model import ALL_DIVISIONS, Grant, Role, Snapshot
from tenantry.domain.tenancy import Tenancy

VIEW_ACTIONS = frozenset({"view", "*"})
CHANGE_ACTIONS = frozenset({"add", "edit", "delete", "manage", "*"})
PLATFORM_DEFAULT = "platform default"  # the access path of the default role every user is given


class AccessRow(NamedTuple):
    """One (role, division) a subject holds, and how. A NamedTuple: 250,000 of them must be cheap."""

    subject_type: str  # user | group | oauth_client
    subject_id: str
    subject_name: str  # a user's email (its natural key), a group's or client's name
    tenant: str | None  # the subject's tenant
    role_id: str
    role_name: str
    division_id: str  # or "*"
    division_name: str
    division_tenant: str | None  # the tenant whose division this is
    path: str  # direct | via group <name> | via OAuth client roleDivisions
    via_id: str | None  # the group's id on a group path
    view: bool
    change: bool


def capabilities(role: Role | None) -> tuple[bool, bool]:
    """(view, change): does any policy of the role read, or write, something in its division."""
    if role is None:
        return False, False
    actions = {a for p in role.policies for a in p.actions}
    return bool(actions & VIEW_ACTIONS), bool(actions & CHANGE_ACTIONS)


_NO_TENANCY = Tenancy({}, False, "")


def effective_access(
    snapshot: Snapshot, tenants: Tenancy | None = None, *, users: Collection[str] | None = None
) -> list[AccessRow]:
    """Every (subject, role, division, path). Linear in grants × memberships: groups are walked once.

    `users`: only these user ids (and no group or client rows), for a read-back of a few people.
    """
    tenants = tenants or _NO_TENANCY
    caps = {rid: capabilities(r) for rid, r in snapshot.roles.items()}
    role_name = {rid: r.name for rid, r in snapshot.roles.items()}
    div_name = {d.id: d.name for d in snapshot.divisions.values()}
    div_name[ALL_DIVISIONS] = ALL_DIVISIONS
    of_div, of_user, all_users = tenants.of_division, tenants.of_user, snapshot.users
    wanted = None if users is None else set(users)
    rows: list[AccessRow] = []
    add = rows.append

    def expand(grants: Iterable[Grant]) -> list[Expanded]:
        out = []
        for role_id, div in grants:
            view, change = caps.get(role_id, (False, False))
            out.append(
                (
                    role_id,
                    role_name.get(role_id, role_id),
                    div,
                    div_name.get(div, div),
                    of_div.get(div),
                    view,
                    change,
                )
            )
        return out

    def who(uid: str) -> tuple[str, str | None]:
        u = all_users.get(uid)
        return (u.email, of_user.get(uid)) if u else (uid, None)

    for uid, grants in snapshot.user_grants.items():
        if uid in snapshot.oauth_clients or (wanted is not None and uid not in wanted):
            continue  # a client's subject grants are its roleDivisions, listed below
        name, tenant = who(uid)
        for r, rn, d, dn, dt, v, c in expand(grants):
            path = PLATFORM_DEFAULT if snapshot.is_platform_default(Grant(r, d)) else "direct"
            add(AccessRow("user", uid, name, tenant, r, rn, d, dn, dt, path, None, v, c))
    for gid, g in snapshot.groups.items():
        members = g.member_ids if wanted is None else g.member_ids & wanted
        if wanted is not None and not (members and g.roles_enabled):
            continue  # a read-back: only role-carrying groups the people are in
        expanded = expand(snapshot.group_grants.get(gid, ()))
        if wanted is None:
            gt = tenants.of_group.get(gid)
            rows += [_row("group", gid, g.name, gt, x, "direct", None) for x in expanded]
        path = f"via group {g.name}"
        for uid in members:
            name, tenant = who(uid)
            rows += [_row("user", uid, name, tenant, x, path, gid) for x in expanded]
    if wanted is None:
        rows += _client_rows(snapshot, tenants, expand)
    return rows


Expanded = tuple[
    str, str, str, str, str | None, bool, bool
]  # role id/name, division id/name/tenant, view, change


def _row(
    kind: str, sid: str, name: str, tenant: str | None, x: Expanded, path: str, via: str | None
) -> AccessRow:
    r, rn, d, dn, dt, v, c = x
    return AccessRow(kind, sid, name, tenant, r, rn, d, dn, dt, path, via, v, c)


def _client_rows(
    snapshot: Snapshot, tenants: Tenancy, expand: Callable[[Iterable[Grant]], list[Expanded]]
) -> list[AccessRow]:
    oauth_path = "via OAuth client roleDivisions"
    return [
        _row("oauth_client", cid, cl.name, tenants.of_client.get(cid), x, oauth_path, None)
        for cid, cl in snapshot.oauth_clients.items()
        for x in expand(sorted(cl.role_divisions))
    ]


def reach(rows: Iterable[AccessRow]) -> dict[tuple[str, str], tuple[set[str], set[str]]]:
    """(subject type, id) -> (divisions it can view, divisions it can change); `*` stays `*`."""
    out: dict[tuple[str, str], tuple[set[str], set[str]]] = {}
    for row in rows:
        view, change = out.setdefault((row.subject_type, row.subject_id), (set(), set()))
        if row.view:
            view.add(row.division_id)
        if row.change:
            change.add(row.division_id)
    return out


def user_divisions(snapshot: Snapshot, user_id: str) -> set[str]:
    """Every division one user reaches: its grants (direct and through groups) and its queues."""
    rows = effective_access(snapshot, users=(user_id,))
    divs = {row.division_id for row in rows if row.path != PLATFORM_DEFAULT}
    groups = {g.id for g in snapshot.groups.values() if user_id in g.member_ids}
    for q in snapshot.queues.values():
        if user_id in q.member_ids or groups.intersection(q.member_group_ids):
            divs.add(q.division_id)
    return divs
