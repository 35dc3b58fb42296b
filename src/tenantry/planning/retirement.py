"""The diff of dropped and retired tenants (found by planning.dropped): members taken away while
a tenant is only dropped; grants, queue bindings, OAuth client roles and the division's people
too once it is retired. Nothing is ever deleted. `retirement` is the plan of `tenantry retire`:
the same steps for one tenant, without a people feed. Pure.
"""

from __future__ import annotations

from tenantry.config.tenants import Config
from tenantry.domain.model import Snapshot
from tenantry.planning.builder import Builder
from tenantry.planning.desired import RoleGrant, build
from tenantry.planning.dropped import still_listed
from tenantry.planning.ops import Op
from tenantry.planning.plan import Plan, fingerprint


def orphans(b: Builder, only: str | None = None) -> None:
    """Take a dropped tenant's access away from people; once retired, revoke everything it holds.
    With `only`, that tenant alone (`tenantry retire`)."""
    for i, name in enumerate(b.config.org.retired_tenants):
        if (key := still_listed(b.config, name)) is not None:
            b.plan.errors.append(
                b.config.problem(
                    f"org.retired_tenants.{i}",
                    f"{name!r} is retired but tenant {key} is still listed under tenants:; keep one",
                )
            )
    touched: set[str] = set()
    for kind, step in (("group", _group), ("queue", _queue), ("client", _client), ("division", _division)):
        for name, tenant in sorted(b.orphans[kind].items()):
            if (only is None or tenant == only) and step(b, name, tenant):
                touched.add(tenant)
    for tenant in sorted(t for t in touched if not b.is_retired(t)):
        b.plan.warnings.append(
            f"tenant {tenant} is no longer in tenants.yaml: its groups and queues stay managed (members "
            "removed) until it is listed in org.retired_tenants (or `tenantry retire` is run)"
        )


def _takeable(b: Builder, kind: str, name: str, tenant: str, emails: set[str]) -> set[str]:
    """Who may be taken out of a dropped tenant's group or queue. Known from the journal, or
    retired: everyone. Known by naming alone: the feed's people who are not BPO staff; the rest
    are left in place and reported."""
    if (kind, name) not in b.named or b.is_retired(tenant):
        return emails
    d = b.desired
    ok = {e for e in emails if e in d.feed and (e not in d.users or d.users[e].tenant is not None)}
    if left := sorted(emails - ok):
        b.plan.warnings.append(
            f"{kind} {name!r} looks like tenantry's for dropped tenant {tenant} (by its name only): "
            f"{len(left)} members tenantry does not manage left in place ({', '.join(left[:3])}"
            f"{', …' if len(left) > 3 else ''})"
        )
    return ok


def _group(b: Builder, name: str, tenant: str) -> bool:
    g = b.by_group.get(name)
    if g is None or b.is_protected(g.id, name):
        return False
    members = {b.email_of[m] for m in g.member_ids if m in b.email_of}
    b.group_removals[name] |= _takeable(b, "group", name, tenant, members)
    grants = sorted(b.names(b.snap.group_grants.get(g.id, frozenset())))
    if b.is_retired(tenant) and grants:
        b.add("group-grants-revoke", Op.GROUP_GRANTS_REMOVE, name, [list(x) for x in grants], tenant)
    return True


def _queue(b: Builder, name: str, tenant: str) -> bool:
    q = b.by_queue.get(name)
    if q is None:
        return False
    members = {b.email_of[m] for m in q.member_ids if m in b.email_of}
    b.queue_removals[name] |= _takeable(b, "queue", name, tenant, members)
    if b.is_retired(tenant) and q.member_group_ids:
        b.add("queues", Op.QUEUE_UPDATE, name, [{"groups": []}], tenant)
    return True


RETIRED_CLIENT_TTL = 300  # the shortest the platform allows: a retired client's last tokens die soon


def _client(b: Builder, name: str, tenant: str) -> bool:
    """Retired: the client loses its roles in the tenant's division and is set inactive (it mints
    no token any more; kept, not deleted, so its history stays readable). Dropped only: a warning."""
    c = b.by_client.get(name)
    if c is None or b.is_protected(c.id, name):
        return False
    mine = {n.casefold() for n, t in b.orphans["division"].items() if t == tenant}
    have = b.names(c.role_divisions)
    keep: set[RoleGrant] = {g for g in have if g[1].casefold() not in mine}
    if keep == have and (c.state != "active" or not b.is_retired(tenant)):
        return False
    if b.is_retired(tenant):
        payload = {
            "grants": sorted(list(x) for x in keep),
            "ttl": RETIRED_CLIENT_TTL,
            "description": None,
            "state": "inactive",
        }
        b.add("oauth-clients", Op.CLIENT_UPDATE, name, [payload], tenant)
    else:
        b.plan.warnings.append(
            f"OAuth client {name!r} of dropped tenant {tenant} keeps its roles in the tenant's division "
            "until the tenant is retired"
        )
    return True


def _division(b: Builder, name: str, tenant: str) -> bool:
    """A retired tenant's division is emptied, never deleted: everyone still homed in it moves to
    the org's Home, and every direct grant in it is revoked. Its queues stay (see the README)."""
    d = b.snap.division_by_name().get(name.casefold())
    if d is None:
        return False
    if not b.is_retired(tenant):
        return True
    ts = b.tenant(tenant)
    for u in sorted(b.snap.users.values(), key=lambda u: u.email):
        email = b.email_of[u.id]
        if b.is_protected(email, u.id):
            if u.division_id == d.id:
                b.plan.warnings.append(f"{email} is protected; left in retired division {name!r}")
            continue
        held = {g for g in b.user_grant_names(u.id) if g[1].casefold() == name.casefold()}
        if held:
            b.grant_removals[email] |= held
        if u.division_id == d.id and email not in b.desired.users:  # feed people move with people()
            b.moves[b.home_name].add(email)
            b.leaving_tenant.add(email)
            if ts is not None:
                ts.movers_out += 1
                ts.affected.add(email)
    return True


def retirement(config: Config, snap: Snapshot, tenant: str, remembered: list[tuple[str, str, str]]) -> Plan:
    """The plan of `tenantry retire TENANT`: `config` already lists the tenant as retired. No feed:
    no other tenant's objects or people are planned, only what the retired tenant holds."""
    b = Builder(config, build(config, [], "retire"), snap, remembered)
    orphans(b, only=tenant)
    b.emit()
    b.plan.fingerprint = fingerprint(snap)
    # the mass-revoke base: everyone in a tenant's division or in a group tenantry manages
    managed = set(b.desired.groups) | set(b.orphans["group"])
    in_groups = {m for name in managed if (g := b.by_group.get(name)) for m in g.member_ids}
    in_tenants = {u.id for u in snap.users.values() if b.tenant_of_division_id(u.division_id)}
    b.plan.managed_users = len(in_groups | in_tenants)
    b.tenant(tenant)
    return b.plan
