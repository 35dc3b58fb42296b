"""The diff of people: joiners, movers, re-joiners, profile changes, staff grants, leavers and
people of the feed who match no tenant. Pure.

Memberships and grants are collected on the builder (removals and additions per group, queue and
person) and batched by `Builder.emit`, so one person's changes land in the right phases.
"""

from __future__ import annotations

from tenantry.domain.model import User
from tenantry.planning.builder import Builder
from tenantry.planning.desired import DesiredUser
from tenantry.planning.ops import Op


def people(b: Builder, leaver_since: dict[str, float], now: float) -> None:
    managed_ids: set[str] = set()
    for email, want in sorted(b.desired.users.items()):
        u = b.users.get(email)
        if b.is_protected(email) or (u is not None and b.is_protected(u.id)):
            b.plan.warnings.append(f"user {email} is protected; left unchanged")
            b.forget(email)
            continue
        if u is None:
            joiner(b, email, want)
        else:
            managed_ids.add(u.id)
            existing(b, email, want, u)
    staff_outside_feed(b)
    leavers(b, leaver_since, now)
    unassigned(b)
    unnamed(b)
    b.plan.managed_users = len(managed_ids | _managed_base(b))


def joiner(b: Builder, email: str, want: DesiredUser) -> None:
    division = b.division_for(want.tenant, want.division)
    spec = {
        "name": want.name,
        "division": division,
        "title": want.title,
        "department": want.department,
        "hr_id": want.hr_id,
    }
    b.add("people", Op.USER_CREATE, email, [spec], want.tenant)
    if ts := b.tenant(want.tenant):
        ts.joiners += 1
        ts.affected.add(email)
    b.grant_adds[email] |= b.canonical(b.desired.staff_grants.get(email, frozenset()))


def existing(b: Builder, email: str, want: DesiredUser, u: User) -> None:
    """A person the org has: re-activate, update the profile, move, and converge grants and queues."""
    b.emit_identity(email, want.tenant)
    ts = b.tenant(want.tenant)
    patch: dict[str, str] = {}
    if u.state != "active":
        patch["state"] = "active"
        if ts:
            ts.rejoiners += 1
            ts.affected.add(email)
    for f in ("name", "title", "department"):
        if getattr(want, f) and getattr(want, f) != getattr(u, f):
            patch[f] = getattr(want, f)
    if patch:
        b.add("people", Op.USER_UPDATE, email, [patch], want.tenant)
    divs = {n.lower(): i for i, n in b.div_name.items()}
    if divs.get(b.division_for(want.tenant, want.division).lower()) != u.division_id:
        mover(b, email, want, u)
    # BPO staff (no tenant): only their grants in tenant divisions are ours
    have = b.user_grant_names(u.id, tenant_only=want.tenant is None)
    wanted = b.canonical(b.desired.staff_grants.get(email, frozenset()))
    b.grant_removals[email] |= have - wanted
    b.grant_adds[email] |= wanted - have
    for qname in b.direct_queues.get(u.id, ()):
        q_tenant = b.tenant_of_queue.get(qname)
        if q_tenant is not None and q_tenant != want.tenant:
            b.queue_removals[qname].add(email)


def mover(b: Builder, email: str, want: DesiredUser, u: User) -> None:
    b.moves[b.division_for(want.tenant, want.division)].add(email)
    b.movers.add(email)
    old = b.tenant(b.tenant_of_division_id(u.division_id))
    if old is not None:
        b.leaving_tenant.add(email)
        old.movers_out += 1
        old.affected.add(email)
    if ts := b.tenant(want.tenant):
        ts.movers_in += 1
        ts.affected.add(email)


def staff_outside_feed(b: Builder) -> None:
    """BPO staff the feed does not name: only their grants in tenant divisions are ours to manage."""
    for email, grants in sorted(b.desired.staff_grants.items()):
        if email in b.desired.users or b.is_protected(email):
            continue
        u = b.users.get(email)
        if u is None:
            continue  # reported by check_roles
        have = b.user_grant_names(u.id, tenant_only=True)
        wanted = b.canonical(grants)
        b.grant_removals[email] |= have - wanted
        b.grant_adds[email] |= wanted - have


def leavers(b: Builder, leaver_since: dict[str, float], now: float) -> None:
    """Deactivated, and every grant, group and queue taken away at once; deleted after retention."""
    retention = b.config.org.leaver_retention_days * 86_400
    for email in sorted(b.desired.leavers):
        u = b.users.get(email)
        if u is None or email in b.desired.users:
            continue
        if b.is_protected(email, u.id):
            b.plan.warnings.append(f"leaver {email} is protected; left unchanged")
            continue
        key = b.tenant_of_division_id(u.division_id)
        b.emit_identity(email, key)
        ts = b.tenant(key)
        if u.state == "active":
            b.add("revoke", Op.USER_DEACTIVATE, email, [], key)
            b.plan.leavers_started.append(email)
            if ts:
                ts.leavers += 1
                ts.affected.add(email)
        elif email in leaver_since and now - leaver_since[email] >= retention:
            b.add("delete", Op.USER_DELETE, email, [], key)
        b.grant_removals[email] |= b.user_grant_names(u.id)
        for gid in b.groups_of.get(u.id, ()):
            b.group_removals[b.group_name[gid]].add(email)
        b.forget_adds(email)
        for qname in b.direct_queues.get(u.id, ()):
            b.queue_removals[qname].add(email)


def unassigned(b: Builder) -> None:
    """People of the feed who match no tenant: their tenant access is reported and revoked."""
    d = b.desired
    for email in sorted(d.unassigned):
        u = b.users.get(email)
        if u is None:
            b.plan.unmatched.append(email)
            continue
        if b.is_protected(email, u.id):
            continue
        held = b.user_grant_names(u.id, tenant_only=True)
        queues = [qn for qn in b.direct_queues.get(u.id, ()) if b.tenant_of_queue.get(qn) is not None]
        groups = [b.group_name[g] for g in b.groups_of.get(u.id, ()) if b.group_name[g] in d.groups]
        if not (held or queues or groups):
            b.plan.unmatched.append(email)
        else:
            b.plan.warnings.append(
                f"{email} matches no tenant but holds tenant access "
                f"({len(held)} grants, {len(groups)} groups, {len(queues)} queues); revoking it"
            )
            b.grant_removals[email] |= held
            for qn in queues:
                b.queue_removals[qn].add(email)


def unnamed(b: Builder) -> None:
    """Users in tenant divisions that the feed does not name: reported, not touched."""
    for u in b.snap.users.values():
        if u.state == "active" and b.email_of[u.id] not in b.desired.feed:
            t = b.tenant_of_division_id(u.division_id)
            if t is not None:
                b.plan.warnings.append(f"{u.email} is in tenant {t}'s division but not in the feed")


def _managed_base(b: Builder) -> set[str]:
    """The base of the mass-revoke share: every existing user this plan could take access from."""
    d = b.desired
    in_groups = {m for g in b.snap.groups.values() if g.name in d.groups for m in g.member_ids}
    in_tenants = {u.id for u in b.snap.users.values() if b.tenant_of_division_id(u.division_id)}
    in_feed = {u.id for e in d.feed if (u := b.users.get(e))}
    return in_groups | in_tenants | in_feed
