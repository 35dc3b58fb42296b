"""Rules on where things live: a tenant user's home division, a tenant object outside its division."""

from __future__ import annotations

from tenantry.audit.context import AuditContext
from tenantry.domain.model import ALL_DIVISIONS


def r06_home_division(a: AuditContext) -> None:
    for uid, key in a.t.of_user.items():
        if a.t.user_basis.get(uid) == "home division" or uid not in a.active:
            continue
        u = a.s.users[uid]
        want = a.t.tenants[key].name
        a.report(
            "R06",
            a.user(uid),
            key,
            a.division(u.division_id),
            "home division",
            f"The user belongs to {a.tenant_label(key)} (by {a.t.user_basis[uid]}) but its home "
            f"division is {a.division(u.division_id).name!r}, not {want!r}.",
        )


def r10_outside(a: AuditContext) -> None:
    for qid, q in a.s.queues.items():
        own = a.t.of_queue.get(qid)
        want = a.t.division_of(own) if own else None
        if own is None or want is None or q.division_id == want:
            continue
        where = a.t.of_division.get(q.division_id)
        kind = f"the division of {a.tenant_label(where)}" if where else "a division of no tenant"
        a.report(
            "R10",
            a.queue(qid),
            own,
            a.division(q.division_id),
            "object division",
            f"Queue {q.name!r} of {a.tenant_label(own)} lives in {a.division(q.division_id).name!r}, {kind}.",
            facts=[("queue", qid)],
        )
    for kind, sid, grants in a.subjects():
        if kind == "user":
            continue
        own = a.tenant_of_subject(kind, sid)
        if own is None:
            continue
        for role_id, div in sorted(grants):
            fact = ("grant", sid, role_id, div)
            if div == ALL_DIVISIONS or div in a.t.of_division or fact in a.consumed:
                continue
            noun = "Group" if kind == "group" else "OAuth client"
            a.report_grant(
                "R10",
                kind,
                sid,
                own,
                role_id,
                div,
                f"{noun} {a.ref(kind, sid).name!r} of {a.tenant_label(own)} holds "
                f"{a.role(role_id).name} in {a.division(div).name!r}, outside every tenant.",
            )
