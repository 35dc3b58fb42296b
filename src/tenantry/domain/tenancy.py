"""Who belongs to which tenant: divisions, users, groups, queues and OAuth clients → tenant keys.

Pure. The audit needs this before it can call anything a cross-tenant leak, and it must give the
same answer with and without tenants.yaml:

* With a config, a tenant is a configured tenant (key = its key in tenants.yaml) and its division
  is found by name. Groups, queues and OAuth clients belong to the tenant that names them.
  A user's tenant is, in order: (1) the tenant of its home division; (2) else the one tenant
  whose configured groups it is a member of; (3) else the one tenant whose membership rules
  match what the org knows of it (email, title, department). Two or more candidates at a step
  give no tenant: a person belongs to at most one tenant, never by a silent choice. BPO staff and
  org admins skip steps 2 and 3: they stand outside every tenant unless homed in a tenant division.
* Without a config, every division other than Home is a tenant (key = the division's name), a
  user belongs to the tenant of its home division, a queue to the tenant of its division, a
  group or OAuth client to the one tenant its grants reach (a group without tenant grants: the
  one tenant of its members).

Org admins (exempt from the `*` rules): the entries of `org.org_admins`, matched against user
ids and emails, group ids and names, OAuth client ids and names; and always the OAuth client
tenantry itself runs as (`Snapshot.self_client_id`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from tenantry.config.tenants import Config, matches
from tenantry.domain.model import ALL_DIVISIONS, Snapshot


@dataclass(frozen=True, slots=True)
class Tenant:
    key: str
    name: str  # the division's name
    division_id: str | None  # None when a configured division is missing from the org


@dataclass(slots=True)
class Tenancy:
    tenants: dict[str, Tenant]
    configured: bool
    home_division_id: str
    of_division: dict[str, str] = field(default_factory=dict)  # division id -> tenant key
    of_user: dict[str, str] = field(default_factory=dict)  # user id -> tenant key
    user_basis: dict[str, str] = field(default_factory=dict)  # user id -> how its tenant was found
    of_group: dict[str, str] = field(default_factory=dict)
    of_queue: dict[str, str] = field(default_factory=dict)
    of_client: dict[str, str] = field(default_factory=dict)
    configured_groups: dict[str, str] = field(default_factory=dict)  # group id -> tenant (config names it)
    configured_queues: dict[str, str] = field(default_factory=dict)
    configured_clients: dict[str, str] = field(default_factory=dict)
    org_admins: frozenset[str] = frozenset()  # subject ids
    staff: dict[str, dict[str, frozenset[str]]] = field(default_factory=dict)  # user -> tenant -> role ids

    def tenant_of(self, division_id: str) -> str | None:
        return self.of_division.get(division_id)

    def division_of(self, tenant: str) -> str | None:
        t = self.tenants.get(tenant)
        return t.division_id if t else None


def _one(keys: Iterable[str | None]) -> str | None:
    """The single tenant among `keys`, or None when there are none or several."""
    found = {k for k in keys if k is not None}
    return next(iter(found)) if len(found) == 1 else None


def resolve(snapshot: Snapshot, config: Config | None = None) -> Tenancy:
    """Map the org's objects to tenants; see the module docstring for the rules."""
    home = snapshot.home_division_id
    if config is None:
        return _without_config(snapshot, home)
    return _with_config(snapshot, config, home)


def _admins(snapshot: Snapshot, names: Iterable[str]) -> frozenset[str]:
    wanted = {n.casefold() for n in names}
    ids = {snapshot.self_client_id} if snapshot.self_client_id else set()
    for u in snapshot.users.values():
        if u.id.casefold() in wanted or u.email.casefold() in wanted:
            ids.add(u.id)
    for g in snapshot.groups.values():
        if g.id.casefold() in wanted or g.name.casefold() in wanted:
            ids.add(g.id)
    for c in snapshot.oauth_clients.values():
        if c.id.casefold() in wanted or c.name.casefold() in wanted:
            ids.add(c.id)
    return frozenset(ids)


def _grant_tenant(t: Tenancy, grants: Iterable[tuple[str, str]]) -> str | None:
    return _one(t.of_division.get(d) for _, d in grants if d != ALL_DIVISIONS)


def _without_config(snapshot: Snapshot, home: str) -> Tenancy:
    tenants = {
        d.name: Tenant(d.name, d.name, d.id)
        for d in sorted(snapshot.divisions.values(), key=lambda d: d.name.casefold())
        if d.id != home and not d.home
    }
    t = Tenancy(tenants=tenants, configured=False, home_division_id=home, org_admins=_admins(snapshot, ()))
    t.of_division = {x.division_id: x.key for x in tenants.values() if x.division_id}
    for u in snapshot.users.values():
        key = t.of_division.get(u.division_id)
        if key is not None:
            t.of_user[u.id] = key
            t.user_basis[u.id] = "home division"
    for q in snapshot.queues.values():
        key = t.of_division.get(q.division_id)
        if key is not None:
            t.of_queue[q.id] = key
    for g in snapshot.groups.values():
        grants = snapshot.group_grants.get(g.id, ())
        key = _grant_tenant(t, grants)
        if key is None and not any(d in t.of_division for _, d in grants):
            key = _one(t.of_user.get(m) for m in g.member_ids)
        if key is not None:
            t.of_group[g.id] = key
    for c in snapshot.oauth_clients.values():
        key = _grant_tenant(t, c.role_divisions)
        if key is not None:
            t.of_client[c.id] = key
    _queues_by_members(snapshot, t)
    return t


def _queues_by_members(snapshot: Snapshot, t: Tenancy) -> None:
    """A queue outside tenant divisions still belongs to the one tenant its members come from."""
    for q in snapshot.queues.values():
        if q.id in t.of_queue:
            continue
        keys = [t.of_group.get(g) for g in q.member_group_ids] + [t.of_user.get(u) for u in q.member_ids]
        key = _one(keys)
        if key is not None:
            t.of_queue[q.id] = key


def _with_config(snapshot: Snapshot, config: Config, home: str) -> Tenancy:
    by_div = snapshot.division_by_name()
    tenants = {}
    for key, spec in config.tenants.items():
        d = by_div.get(spec.division.casefold())
        tenants[key] = Tenant(key, spec.division, d.id if d else None)
    t = Tenancy(
        tenants=tenants,
        configured=True,
        home_division_id=home,
        org_admins=_admins(snapshot, config.org.org_admins),
    )
    t.of_division = {x.division_id: x.key for x in tenants.values() if x.division_id}

    _configured_objects(snapshot, config, t)
    _staff(snapshot, config, t)
    _users(snapshot, config, t)
    # Queues the config does not name: the tenant of their division, else of their members.
    for q in snapshot.queues.values():
        if q.id not in t.of_queue and (qkey := t.of_division.get(q.division_id)) is not None:
            t.of_queue[q.id] = qkey
    _queues_by_members(snapshot, t)
    return t


def _configured_objects(snapshot: Snapshot, config: Config, t: Tenancy) -> None:
    """Groups, queues and OAuth clients tenants.yaml names belong to their tenant."""
    group_tenant = {
        spec.group_name(g).casefold(): k for k, spec in config.tenants.items() for g in spec.groups
    }
    queue_tenant = {q.name.casefold(): k for k, spec in config.tenants.items() for q in spec.queues}
    client_tenant = {c.name.casefold(): k for k, spec in config.tenants.items() for c in spec.oauth_clients}
    for g in snapshot.groups.values():
        if (key := group_tenant.get(g.name.casefold())) is not None:
            t.of_group[g.id] = t.configured_groups[g.id] = key
    for q in snapshot.queues.values():
        if (key := queue_tenant.get(q.name.casefold())) is not None:
            t.of_queue[q.id] = t.configured_queues[q.id] = key
    for c in snapshot.oauth_clients.values():
        if (key := client_tenant.get(c.name.casefold())) is not None:
            t.of_client[c.id] = t.configured_clients[c.id] = key


def _staff(snapshot: Snapshot, config: Config, t: Tenancy) -> None:
    roles = snapshot.role_by_name()
    users = snapshot.user_by_email()
    for key, spec in config.tenants.items():
        for s in spec.staff:
            u = users.get(s.email)
            if u is None:
                continue
            ids = frozenset(roles[r.casefold()].id for r in s.roles if r.casefold() in roles)
            t.staff.setdefault(u.id, {})[key] = ids


def _users(snapshot: Snapshot, config: Config, t: Tenancy) -> None:
    """Each user's tenant: its home division, else its tenant groups, else the membership rules."""
    groups_of: dict[str, set[str]] = {}
    for gid, gkey in t.configured_groups.items():
        for uid in snapshot.groups[gid].member_ids:
            groups_of.setdefault(uid, set()).add(gkey)
    for u in snapshot.users.values():
        key: str | None = t.of_division.get(u.division_id)
        basis = "home division"
        if key is None and (u.id in t.staff or u.id in t.org_admins):
            continue  # BPO staff and org admins stand outside every tenant unless homed in one
        if key is None and u.id in groups_of:
            key, basis = _one(groups_of[u.id]), "tenant groups"
        if key is None and u.id not in groups_of:
            attrs = {"email": u.email, "title": u.title, "department": u.department}
            hits = [k for k, spec in config.tenants.items() if matches(spec.members, attrs, frozenset())]
            key, basis = (hits[0] if len(hits) == 1 else None), "membership rules"
        if key is not None:
            t.of_user[u.id] = key
            t.user_basis[u.id] = basis


def census(t: Tenancy) -> dict[str, int]:
    """Users per tenant, for the report's summary."""
    counts = Counter(t.of_user.values())
    return {key: counts.get(key, 0) for key in t.tenants}
