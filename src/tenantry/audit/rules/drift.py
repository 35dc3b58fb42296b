"""Drift: a grant or membership that tenants.yaml does not explain (needs the config)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tenantry.audit.catalogue import DEFAULT_ROLES
from tenantry.audit.context import AuditContext
from tenantry.audit.model import Ref


@dataclass(frozen=True, slots=True)
class Declared:
    """Which role ids tenants.yaml declares, per configured group and client, and the default roles."""

    groups: dict[str, frozenset[str]]
    clients: dict[str, frozenset[str]]
    default_roles: frozenset[str]


def declared(a: AuditContext) -> Declared:
    assert a.config is not None
    cfg, t = a.config, a.t
    roles = a.s.role_by_name()

    def role_ids(names: Iterable[str]) -> frozenset[str]:
        return frozenset(roles[n.casefold()].id for n in names if n.casefold() in roles)

    groups: dict[str, frozenset[str]] = {}
    for gid, key in t.configured_groups.items():
        spec = cfg.tenants[key]
        name = a.s.groups[gid].name.casefold()
        gkey = next(k for k in spec.groups if spec.group_name(k).casefold() == name)
        groups[gid] = role_ids(spec.groups[gkey].roles)
    clients: dict[str, frozenset[str]] = {}
    for cid, key in t.configured_clients.items():
        spec = cfg.tenants[key]
        name = a.s.oauth_clients[cid].name.casefold()
        clients[cid] = role_ids(next(c.roles for c in spec.oauth_clients if c.name.casefold() == name))
    defaults = role_ids(DEFAULT_ROLES) | {r.id for r in a.s.roles.values() if r.default}
    return Declared(groups, clients, frozenset(defaults))


def _drift(
    a: AuditContext, subject: Ref, tenant: str | None, div: str, path: str, why: str, fact: tuple, **kw
):
    if fact not in a.consumed:
        a.report("R11", subject, tenant, a.division(div), path, why, facts=[fact], **kw)


def _grant_declared(a: AuditContext, d: Declared, kind: str, sid: str, own: str | None, grant: tuple) -> bool:
    role_id, div = grant
    t = a.t
    in_tenant = div in t.of_division
    own_div = t.division_of(own) if own is not None else None
    if kind == "group" and sid in d.groups:
        return div == own_div and role_id in d.groups[sid]
    if kind == "oauth_client" and sid in d.clients:
        return div == own_div and role_id in d.clients[sid]
    if kind == "user" and own is None:
        other = t.of_division.get(div, "")
        return not in_tenant or role_id in t.staff.get(sid, {}).get(other, frozenset())
    if kind == "user":
        # A tenant's people get roles through groups, never directly; the platform's own default
        # role, granted in the home division when a user is created, is the exception.
        return role_id in d.default_roles and div == a.s.users[sid].division_id
    return not in_tenant and own is None  # org-level groups and clients outside tenants


def _grants(a: AuditContext, d: Declared) -> None:
    for kind, sid, grants in a.subjects():
        own = a.tenant_of_subject(kind, sid)
        for role_id, div in sorted(grants):
            if _grant_declared(a, d, kind, sid, own, (role_id, div)):
                continue
            _drift(
                a,
                a.ref(kind, sid),
                own,
                div,
                a.grant_path(kind),
                f"tenants.yaml does not declare {a.role(role_id).name} in "
                f"{a.division(div).name!r} for this {kind.replace('_', ' ')}.",
                ("grant", sid, role_id, div),
                role=a.role(role_id),
            )


def _group_members(a: AuditContext) -> None:
    t = a.t
    for uid, gids in a.groups_of.items():
        if uid not in a.active or uid in t.org_admins:
            continue
        own = t.of_user.get(uid)
        for gid in sorted(gids):
            gt = t.configured_groups.get(gid)
            if gt == own or (gt is None and not a.s.group_grants.get(gid)):
                continue  # its own tenant's group, an org-level group of org-level people, or no access
            g = a.group(gid)
            where = (t.division_of(gt) if gt else None) or a.s.users[uid].division_id
            _drift(
                a,
                a.user(uid),
                own,
                where,
                f"via group {g.name}",
                f"tenants.yaml does not put a user of {a.tenant_label(own)} in group {g.name!r}.",
                ("member", uid, gid),
                via=g,
            )


def _queues(a: AuditContext) -> None:
    assert a.config is not None
    t = a.t
    for qid, key in t.configured_queues.items():
        q = a.s.queues[qid]
        spec = a.config.tenants[key]
        want = {
            spec.group_name(g).casefold()
            for qs in spec.queues
            if qs.name.casefold() == q.name.casefold()
            for g in qs.groups
        }
        for gid in q.member_group_ids:
            if a.group(gid).name.casefold() not in want:
                why = f"tenants.yaml does not bind group {a.group(gid).name!r} to queue {q.name!r}."
                _drift(a, a.queue(qid), key, q.division_id, "member group", why, ("qgroup", qid, gid),
                       member=a.group(gid))  # fmt: skip
        for uid in sorted(q.member_ids):
            if uid in a.active and t.of_user.get(uid) != key and uid not in t.org_admins:
                why = f"tenants.yaml does not explain {a.user(uid).name} as a member of queue {q.name!r}."
                _drift(a, a.queue(qid), key, q.division_id, "direct member", why, ("qmember", qid, uid),
                       member=a.user(uid))  # fmt: skip


def r11_drift(a: AuditContext) -> None:
    _grants(a, declared(a))
    _group_members(a)
    _queues(a)
