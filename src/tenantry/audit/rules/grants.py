"""Rules on grants a subject holds itself: `*` grants, cross-tenant grants, multi-tenant OAuth
clients, admin-level roles, grants of people who belong to no tenant."""

from __future__ import annotations

from tenantry.audit.context import AuditContext
from tenantry.audit.model import Ref
from tenantry.domain.model import ALL_DIVISIONS


def r01_all_divisions(a: AuditContext) -> None:
    for kind, sid, grants in a.subjects():
        if kind == "oauth_client":
            continue  # R04 owns OAuth clients
        for role_id, div in sorted(grants):
            if div == ALL_DIVISIONS:
                a.report(
                    "R01",
                    a.ref(kind, sid),
                    a.tenant_of_subject(kind, sid),
                    a.division(div),
                    "direct",
                    f"{a.role(role_id).name} is granted on `*`: every division, present and future.",
                    role=a.role(role_id),
                    facts=[("grant", sid, role_id, div)],
                )


def r04_oauth_clients(a: AuditContext) -> None:
    for cid, c in a.s.oauth_clients.items():
        if cid in a.t.org_admins:
            continue
        star = any(d == ALL_DIVISIONS for _, d in c.role_divisions)
        reached = {a.t.of_division[d] for _, d in c.role_divisions if d in a.t.of_division}
        if not star and len(reached) < 2:
            continue
        own = a.t.of_client.get(cid)
        if star:
            division: Ref | None = a.division(ALL_DIVISIONS)
            why = "its roleDivisions include `*` (all divisions)"
        else:
            names = ", ".join(sorted(a.t.tenants[k].name for k in reached))
            why = f"its roleDivisions reach {len(reached)} tenants: {names}"
            foreign = sorted(
                (a.division(d) for _, d in c.role_divisions if a.t.of_division.get(d, own) != own),
                key=lambda r: r.name.casefold(),
            )
            division = foreign[0] if own is not None and foreign else None
        facts = [
            ("grant", cid, r, d) for r, d in c.role_divisions if d == ALL_DIVISIONS or d in a.t.of_division
        ]
        a.report(
            "R04",
            a.client(cid),
            own,
            division,
            "via OAuth client roleDivisions",
            f"OAuth client {c.name!r}: {why}.",
            facts=facts,
        )


def r02_direct_cross_tenant(a: AuditContext) -> None:
    for kind, sid, grants in a.subjects():
        own = a.tenant_of_subject(kind, sid)
        if own is None:
            continue
        for role_id, div in sorted(grants):
            other = a.t.of_division.get(div)
            fact = ("grant", sid, role_id, div)
            if other is None or other == own or fact in a.consumed:
                continue
            if kind == "user" and a.staff_allows(sid, other):
                continue
            a.report_grant(
                "R02",
                kind,
                sid,
                own,
                role_id,
                div,
                f"A subject of {a.tenant_label(own)} holds {a.role(role_id).name} "
                f"in the division of {a.tenant_label(other)}.",
            )


def r07_admin_roles(a: AuditContext) -> None:
    for kind, sid, grants in a.subjects():
        own = a.tenant_of_subject(kind, sid)
        if own is None:
            continue
        for role_id, div in sorted(grants):
            perms = a.admin_perms.get(role_id)
            fact = ("grant", sid, role_id, div)
            if not perms or fact in a.consumed:
                continue
            a.report_grant(
                "R07",
                kind,
                sid,
                own,
                role_id,
                div,
                f"{a.role(role_id).name} carries {a.perms_text(perms)}; a subject of "
                f"{a.tenant_label(own)} should not administer access.",
            )
    # Tenant users given an admin role by a group of no tenant (a tenant group is reported above).
    for uid, gids in a.groups_of.items():
        own = a.t.of_user.get(uid)
        if own is None or uid not in a.active or uid in a.t.org_admins:
            continue
        for gid in sorted(gids):
            if gid in a.t.of_group or ("member", uid, gid) in a.consumed:
                continue
            for role_id, div in sorted(a.s.group_grants.get(gid, ())):
                perms = a.admin_perms.get(role_id)
                if perms and ("grant", gid, role_id, div) not in a.consumed:
                    a.report(
                        "R07",
                        a.user(uid),
                        own,
                        a.division(div),
                        f"via group {a.group(gid).name}",
                        f"{a.role(role_id).name} carries {a.perms_text(perms)}; a user of "
                        f"{a.tenant_label(own)} should not administer access.",
                        role=a.role(role_id),
                        via=a.group(gid),
                        facts=[("member", uid, gid)],
                    )
                    break


def r08_unassigned(a: AuditContext) -> None:
    of_user, of_div = a.t.of_user, a.t.of_division
    for uid in sorted(a.active):
        if uid in of_user or uid in a.t.org_admins:
            continue
        for role_id, div in sorted(a.s.managed_user_grants(uid)):
            other = of_div.get(div)
            fact = ("grant", uid, role_id, div)
            if other is None or fact in a.consumed or a.staff_allows(uid, other):
                continue
            a.report(
                "R08",
                a.user(uid),
                None,
                a.division(div),
                "direct",
                f"The user matches no tenant yet holds {a.role(role_id).name} in the division of "
                f"{a.tenant_label(other)}.",
                role=a.role(role_id),
                facts=[fact],
            )
        for gid in sorted(a.groups_of.get(uid, ())):
            hit = a.foreign_group_grant(uid, gid, None, allow_staff=True)
            if hit is None or ("member", uid, gid) in a.consumed:
                continue
            a.report(
                "R08",
                a.user(uid),
                None,
                a.division(hit.division_id),
                f"via group {a.group(gid).name}",
                f"The user matches no tenant yet inherits {a.role(hit.role_id).name} in the "
                f"division of {a.tenant_label(of_div[hit.division_id])} from group "
                f"{a.group(gid).name!r}.",
                role=a.role(hit.role_id),
                via=a.group(gid),
                facts=[("member", uid, gid)],
            )
