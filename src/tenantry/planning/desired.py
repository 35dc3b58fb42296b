"""Config + people → the desired state, by natural keys (names, emails). Pure, no I/O.

Ids are the org's business; the desired state speaks of division, group, queue and client names
and of people's emails, so a plan reads like the tenants.yaml that produced it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from tenantry.config.tenants import Config, matches, unknown_columns
from tenantry.errors import Problem
from tenantry.inputs.people import Person

RoleGrant = tuple[str, str]  # (role name, division name)


@dataclass(frozen=True, slots=True)
class DesiredUser:
    email: str
    name: str
    hr_id: str
    tenant: str | None  # None for BPO staff outside every tenant
    division: str
    title: str = ""
    department: str = ""


@dataclass(frozen=True, slots=True)
class DesiredGroup:
    name: str
    tenant: str
    description: str
    grants: frozenset[RoleGrant]
    members: frozenset[str]


@dataclass(frozen=True, slots=True)
class DesiredQueue:
    name: str
    tenant: str
    division: str
    groups: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True, slots=True)
class DesiredClient:
    name: str
    tenant: str
    grants: frozenset[RoleGrant]
    ttl: int
    description: str = ""


@dataclass(slots=True)
class DesiredState:
    divisions: dict[str, str] = field(default_factory=dict)  # division name -> tenant key
    users: dict[str, DesiredUser] = field(default_factory=dict)  # email -> user (active people)
    staff_grants: dict[str, frozenset[RoleGrant]] = field(default_factory=dict)  # email -> direct grants
    groups: dict[str, DesiredGroup] = field(default_factory=dict)
    queues: dict[str, DesiredQueue] = field(default_factory=dict)
    clients: dict[str, DesiredClient] = field(default_factory=dict)
    leavers: dict[str, Person] = field(default_factory=dict)  # email -> the feed's record
    unassigned: dict[str, Person] = field(default_factory=dict)  # active, matching no tenant
    feed: frozenset[str] = frozenset()  # every email the feed names
    errors: list[Problem] = field(default_factory=list)


def assign(config: Config, people: Iterable[Person], feed_name: str = "people") -> tuple[dict, list[Problem]]:
    """Tenant of each active person. Two matching tenants is an error, never a silent choice."""
    out: dict[str, str | None] = {}
    errors: list[Problem] = []
    for p in people:
        if not p.active:
            continue
        attrs = p.attrs()
        hits = [k for k, t in config.tenants.items() if matches(t.members, attrs, p.idp_groups)]
        if len(hits) > 1:
            errors.append(
                Problem(
                    feed_name,
                    p.line,
                    "tenant",
                    f"{p.email} matches the rules of tenants {', '.join(hits)}; a person "
                    "belongs to at most one tenant",
                )
            )
        out[p.email] = hits[0] if len(hits) == 1 else None
    return out, errors


def staff_spanning(config: Config, tenant_of: dict[str, str | None]) -> list[Problem]:
    """A person matched into tenant A and listed as staff of tenant B would reach both."""
    out = []
    for key, t in config.tenants.items():
        for i, s in enumerate(t.staff):
            home = tenant_of.get(s.email)
            if home is not None and home != key:
                out.append(
                    config.problem(
                        f"tenants.{key}.staff.{i}.email",
                        f"{s.email} is a person of tenant {home} and cannot be staff of tenant {key}; "
                        "a person belongs to at most one tenant",
                    )
                )
    return out


def build(config: Config, people: list[Person], feed_name: str = "people") -> DesiredState:
    state = DesiredState(feed=frozenset(p.email for p in people))
    columns = getattr(people, "columns", None)  # a Feed knows its columns; other sources do not
    if columns is not None:
        state.errors = unknown_columns(config, columns, getattr(people, "name", feed_name))
        if state.errors:
            return state  # nothing is planned from rules that cannot be evaluated
    tenant_of, state.errors = assign(config, people, feed_name)
    staff = {s.email for t in config.tenants.values() for s in t.staff}
    members: dict[str, list[Person]] = {k: [] for k in config.tenants}
    for p in people:
        if not p.active:
            state.leavers[p.email] = p
            continue
        key = tenant_of.get(p.email)
        if key is not None:
            t = config.tenants[key]
            members[key].append(p)
            state.users[p.email] = DesiredUser(
                p.email,
                p.name,
                p.hr_id,
                key,
                t.division,
                p.attributes.get("title", ""),
                p.attributes.get("department", ""),
            )
        elif p.email in staff:
            state.users[p.email] = DesiredUser(
                p.email,
                p.name,
                p.hr_id,
                None,
                config.org.home_division,
                p.attributes.get("title", ""),
                p.attributes.get("department", ""),
            )
        else:
            state.unassigned[p.email] = p
    state.errors += staff_spanning(config, tenant_of)
    for key, t in config.tenants.items():
        state.divisions[t.division] = key
        for gkey, g in t.groups.items():
            chosen = (
                members[key]
                if g.members == "all"
                else [p for p in members[key] if matches(g.members, p.attrs(), p.idp_groups)]
            )
            name = t.group_name(gkey)
            state.groups[name] = DesiredGroup(
                name,
                key,
                g.description,
                frozenset((r, t.division) for r in g.roles),
                frozenset(p.email for p in chosen),
            )
        for q in t.queues:
            state.queues[q.name] = DesiredQueue(
                q.name, key, t.division, tuple(t.group_name(g) for g in q.groups), q.description
            )
        for c in t.oauth_clients:
            state.clients[c.name] = DesiredClient(
                c.name, key, frozenset((r, t.division) for r in c.roles), c.token_ttl_seconds, c.description
            )
        for s in t.staff:
            state.staff_grants[s.email] = state.staff_grants.get(s.email, frozenset()) | frozenset(
                (r, t.division) for r in s.roles
            )
    return state
