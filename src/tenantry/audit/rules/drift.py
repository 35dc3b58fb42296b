"""Drift: a grant or membership that tenants.yaml does not explain (needs the config)."""

from __future__ import annotations

from collections.abc import Iterable

from tenantry.audit.catalogue import DEFAULT_ROLES
from tenantry.audit.context import AuditContext
from tenantry.audit.model import Ref


def r11_drift(a: AuditContext) -> None:
    assert a.config is not None
    cfg, t = a.config, a.t
    roles = a.s.role_by_name()

    def role_ids(names: Iterable[str]) -> frozenset[str]:
        return frozenset(roles[n.casefold()].id for n in names if n.casefold() in roles)

    default_roles = role_ids(DEFAULT_ROLES) | {r.id for r in a.s.roles.values() if r.default}

    group_allowed: dict[str, frozenset[str]] = {}
    for gid, key in t.configured_groups.items():
        spec = cfg.tenants[key]
        gkey = next(
            k for k in spec.groups if spec.group_name(k).casefold() == a.s.groups[gid].name.casefold()
        )
        group_allowed[gid] = role_ids(spec.groups[gkey].roles)
    client_allowed: dict[str, frozenset[str]] = {}
    for cid, key in t.configured_clients.items():
        spec = cfg.tenants[key]
        name = a.s.oauth_clients[cid].name.casefold()
        client_allowed[cid] = role_ids(next(c.roles for c in spec.oauth_clients if c.name.casefold() == name))

    def drift(subject: Ref, tenant: str | None, div: str, path: str, why: str, fact: tuple, **kw) -> None:
        if fact not in a.consumed:
            a.report("R11", subject, tenant, a.division(div), path, why, facts=[fact], **kw)

    for kind, sid, grants in a.subjects():
        own = a.tenant_of_subject(kind, sid)
        for role_id, div in sorted(grants):
            fact = ("grant", sid, role_id, div)
            in_tenant = div in t.of_division
            if kind == "group" and sid in group_allowed:
                ok = div == t.division_of(own) and role_id in group_allowed[sid]
            elif kind == "oauth_client" and sid in client_allowed:
                ok = div == t.division_of(own) and role_id in client_allowed[sid]
            elif kind == "user" and own is None:
                other = t.of_division.get(div)
                ok = not in_tenant or role_id in t.staff.get(sid, {}).get(other, frozenset())
            elif kind == "user":
                # A tenant's people get roles through groups, never directly; the platform's own
                # default role, granted in the home division when a user is created, is the exception.
                ok = role_id in default_roles and div == a.s.users[sid].division_id
            else:
                ok = not in_tenant and own is None  # org-level groups and clients outside tenants
            if not ok:
                drift(
                    a.ref(kind, sid),
                    own,
                    div,
                    a.grant_path(kind),
                    f"tenants.yaml does not declare {a.role(role_id).name} in "
                    f"{a.division(div).name!r} for this {kind.replace('_', ' ')}.",
                    fact,
                    role=a.role(role_id),
                )
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
            drift(
                a.user(uid),
                own,
                where,
                f"via group {g.name}",
                f"tenants.yaml does not put a user of {a.tenant_label(own)} in group {g.name!r}.",
                ("member", uid, gid),
                via=g,
            )
    for qid, key in t.configured_queues.items():
        q = a.s.queues[qid]
        spec = cfg.tenants[key]
        want = {
            spec.group_name(g).casefold()
            for qs in spec.queues
            if qs.name.casefold() == q.name.casefold()
            for g in qs.groups
        }
        for gid in q.member_group_ids:
            if a.group(gid).name.casefold() not in want:
                drift(
                    a.queue(qid),
                    key,
                    q.division_id,
                    "member group",
                    f"tenants.yaml does not bind group {a.group(gid).name!r} to queue {q.name!r}.",
                    ("qgroup", qid, gid),
                    member=a.group(gid),
                )
        for uid in sorted(q.member_ids):
            if uid in a.active and t.of_user.get(uid) != key and uid not in t.org_admins:
                drift(
                    a.queue(qid),
                    key,
                    q.division_id,
                    "direct member",
                    f"tenants.yaml does not explain {a.user(uid).name} as a member of queue {q.name!r}.",
                    ("qmember", qid, uid),
                    member=a.user(uid),
                )
