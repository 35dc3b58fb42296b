"""Rules on access through membership: groups that open another tenant, queues with foreign
members, inactive users who still hold access."""

from __future__ import annotations

from tenantry.audit.context import AuditContext


def r03_group_cross_tenant(a: AuditContext) -> None:
    for uid, gids in a.groups_of.items():
        own = a.t.of_user.get(uid)
        if own is None or uid not in a.active or uid in a.t.org_admins:
            continue
        for gid in sorted(gids):
            hit = a.foreign_group_grant(uid, gid, own, allow_staff=True)
            if hit is None:
                continue
            other = a.t.of_division[hit.division_id]
            a.report(
                "R03",
                a.user(uid),
                own,
                a.division(hit.division_id),
                f"via group {a.group(gid).name}",
                f"A user of {a.tenant_label(own)} inherits {a.role(hit.role_id).name} in the "
                f"division of {a.tenant_label(other)} from group {a.group(gid).name!r}.",
                role=a.role(hit.role_id),
                via=a.group(gid),
                facts=[("member", uid, gid)],
            )


def r05_queues(a: AuditContext) -> None:
    of_user, of_group = a.t.of_user, a.t.of_group
    for qid, q in a.s.queues.items():
        own = a.t.of_queue.get(qid)
        if own is None:
            continue
        div = a.division(q.division_id)
        for uid in sorted(q.member_ids):
            other = of_user.get(uid)
            if other is None or other == own or uid not in a.active or uid in a.t.org_admins:
                continue
            a.report(
                "R05",
                a.queue(qid),
                own,
                div,
                "direct member",
                f"Queue {q.name!r} of {a.tenant_label(own)} has {a.user(uid).name}, a user of "
                f"{a.tenant_label(other)}, as a member.",
                member=a.user(uid),
                facts=[("qmember", qid, uid)],
            )
        for gid in q.member_group_ids:
            other = of_group.get(gid)
            if other is not None and other != own:
                a.report(
                    "R05",
                    a.queue(qid),
                    own,
                    div,
                    "member group",
                    f"Queue {q.name!r} of {a.tenant_label(own)} takes its members from group "
                    f"{a.group(gid).name!r} of {a.tenant_label(other)}.",
                    member=a.group(gid),
                    facts=[("qgroup", qid, gid)],
                )
                continue
            g = a.s.groups.get(gid)
            if g is None:
                continue
            for uid in sorted(g.member_ids):
                other = of_user.get(uid)
                if (
                    other is None
                    or other == own
                    or uid not in a.active
                    or uid in a.t.org_admins
                    or ("member", uid, gid) in a.consumed
                ):
                    continue
                a.report(
                    "R05",
                    a.queue(qid),
                    own,
                    div,
                    f"via group {g.name}",
                    f"Queue {q.name!r} of {a.tenant_label(own)} reaches {a.user(uid).name}, "
                    f"a user of {a.tenant_label(other)}, through member group {g.name!r}.",
                    member=a.user(uid),
                    via=a.group(gid),
                    facts=[("member", uid, gid)],
                )


def r09_inactive(a: AuditContext) -> None:
    queues_of: dict[str, list[str]] = {}
    for qid, q in a.s.queues.items():
        for uid in q.member_ids:
            queues_of.setdefault(uid, []).append(qid)
    bound = {gid for q in a.s.queues.values() for gid in q.member_group_ids}
    for uid in sorted(a.s.users):
        if uid in a.active:
            continue
        direct = sorted(a.s.managed_user_grants(uid))
        groups = sorted(
            (a.group(g).name for g in a.groups_of.get(uid, ()) if a.s.group_grants.get(g) or g in bound),
            key=str.casefold,
        )
        queues = sorted((a.queue(q).name for q in queues_of.get(uid, ())), key=str.casefold)
        if not (direct or groups or queues):
            continue
        parts = (["direct"] if direct else []) + [f"via group {g}" for g in groups]
        parts += [f"queue member of {q}" for q in queues]
        held = [f"{len(direct)} direct grant(s)"] if direct else []
        held += [f"{len(groups)} group(s)"] if groups else []
        held += [f"{len(queues)} queue(s)"] if queues else []
        u = a.s.users[uid]
        a.report(
            "R09",
            a.user(uid),
            a.t.of_user.get(uid),
            a.division(u.division_id),
            "; ".join(parts),
            f"The user is {u.state} but still holds {', '.join(held)}.",
            role=a.role(direct[0].role_id) if direct else None,
        )
