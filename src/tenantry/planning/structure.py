"""The diff of tenant structure: divisions, groups (and their grants), queues, OAuth clients, SSO.

One function per resource kind; each reads the builder's snapshot and desired state and adds
batches (or, for group memberships, the changes that `Builder.emit` batches later). Pure.
"""

from __future__ import annotations

from tenantry.domain.model import Group
from tenantry.planning import retirement
from tenantry.planning.builder import Builder
from tenantry.planning.desired import DesiredGroup, RoleGrant
from tenantry.planning.ops import Op


def divisions(b: Builder) -> None:
    have = {n.lower() for n in b.div_name.values()}
    for name, key in sorted(b.desired.divisions.items()):
        if name.lower() not in have:
            b.add("divisions", Op.DIVISION_CREATE, name, [], key)


def groups(b: Builder) -> None:
    by_name = {g.name: g for g in b.snap.groups.values()}
    for name, want in sorted(b.desired.groups.items()):
        g = by_name.get(name)
        if g is not None and b.is_protected(g.id, g.name):
            b.plan.warnings.append(f"group {name!r} is protected; left unchanged")
            continue
        have_grants, have_members = _group_now(b, name, want, g)
        _group_grants(b, name, want, have_grants, have_members)
        for e in have_members - want.members:
            b.group_removals[name].add(e)
        for e in want.members - have_members:
            b.group_adds[name].add(e)


def _group_now(b: Builder, name: str, want: DesiredGroup, g: Group | None) -> tuple[set[RoleGrant], set[str]]:
    """Create or enable the group; returns the grants and members it has today."""
    if g is None:
        b.add("groups", Op.GROUP_CREATE, name, [{"description": want.description}], want.tenant)
        return set(), set()
    if not g.roles_enabled:
        b.add("groups", Op.GROUP_UPDATE, name, [{"rolesEnabled": True}], want.tenant)
    have_grants = b.names(b.snap.group_grants.get(g.id, frozenset()))
    have_members = {b.email_of[m] for m in g.member_ids if m in b.email_of}
    return have_grants, have_members


def _group_grants(
    b: Builder, name: str, want: DesiredGroup, have_grants: set[RoleGrant], have_members: set[str]
) -> None:
    wanted = b.canonical(want.grants)
    gone, new = sorted(have_grants - wanted), sorted(wanted - have_grants)
    if gone:
        b.add("group-grants-revoke", Op.GROUP_GRANTS_REMOVE, name, [list(x) for x in gone], want.tenant)
    if new:
        b.add("group-grants-add", Op.GROUP_GRANTS_ADD, name, [list(x) for x in new], want.tenant)
    ts = b.tenant(want.tenant)
    if ts is not None and (gone or new):
        ts.grants_added += len(new) * len(want.members)
        ts.grants_revoked += len(gone) * len(have_members)
        ts.affected.update(have_members | want.members)


def queues(b: Builder) -> None:
    by_name = {q.name: q for q in b.snap.queues.values()}
    divs = {d.name.lower(): d for d in b.snap.divisions.values()}
    for name, want in sorted(b.desired.queues.items()):
        q = by_name.get(name)
        if q is None:
            spec = {"division": want.division, "groups": list(want.groups), "description": want.description}
            b.add("queues", Op.QUEUE_CREATE, name, [spec], want.tenant)
            continue
        d = divs.get(want.division.lower())
        if d is None or q.division_id != d.id:
            b.add("queues", Op.QUEUE_MOVE, want.division, [name], want.tenant)
        have = tuple(sorted(b.group_name.get(g, g) for g in q.member_group_ids))
        if have != tuple(sorted(want.groups)):
            b.add("queues", Op.QUEUE_UPDATE, name, [{"groups": sorted(want.groups)}], want.tenant)
        for uid in q.member_ids:  # tenant queues take members through groups only
            if uid in b.email_of:
                b.queue_removals[name].add(b.email_of[uid])


def clients(b: Builder) -> None:
    by_name = {c.name: c for c in b.snap.oauth_clients.values()}
    for name, want in sorted(b.desired.clients.items()):
        c = by_name.get(name)
        payload = {
            "grants": sorted(list(x) for x in b.canonical(want.grants)),
            "ttl": want.ttl,
            "description": want.description,
        }
        if c is None:
            b.add("oauth-clients", Op.CLIENT_CREATE, name, [payload], want.tenant)
        elif b.is_protected(c.id, c.name):
            b.plan.warnings.append(f"OAuth client {name!r} is protected; left unchanged")
        elif b.names(c.role_divisions) != b.canonical(want.grants):
            b.add("oauth-clients", Op.CLIENT_UPDATE, name, [payload], want.tenant)


def sso(b: Builder) -> None:
    for kind, spec in sorted(b.config.org.sso.items()):
        want = spec.wire()  # the certificate was read and checked by the config loader
        if spec.cert is not None:
            b.plan.notes.append(f"SSO {kind} certificate: {spec.cert.describe()}")
            if spec.cert.expires_soon:
                b.plan.warnings.append(
                    f"the SSO {kind} certificate expires in {spec.cert.days_left} days "
                    f"({spec.cert.not_after:%Y-%m-%d}); get the IdP's next certificate into "
                    f"{spec.certificate_file}"
                )
        have = b.snap.identity_providers.get(kind, {})
        if any(have.get(k) != v for k, v in want.items()):
            b.add("sso", Op.SSO_PUT, kind, [want])


def orphans(b: Builder) -> None:
    """Dropped and retired tenants' objects (planning.retirement): nothing is ever deleted."""
    retirement.orphans(b)
