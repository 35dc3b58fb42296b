"""Read what tenantry manages in an org into an indexed in-memory Snapshot.

Reads run concurrently within the client's rate budget. Grants are read per role
(`/roles/{id}/subjectgrants`: a few pages a role) rather than per subject (one call per user),
which is what keeps the snapshot of a 50,000-user org at hundreds of calls, not 50,000.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

from tenantry.domain.model import Division, Grant, Group, OAuthClient, Policy, Queue, Role, Snapshot, User
from tenantry.genesys import GenesysClient, GenesysError
from tenantry.genesys.api import (
    divisions,
    grants,
    groups,
    identity_providers,
    oauth_clients,
    queues,
    roles,
    users,
)
from tenantry.genesys.api.identity_providers import PROVIDER_TYPES

Progress = Callable[[str], None]
USER_EXPAND = ("employerInfo",)  # the HR id (employeeId) users are anchored to; an expand on the platform


def _role(r: Any) -> Role:
    return Role(
        r.id,
        r.name,
        tuple(Policy(p.domain, p.entity_name, tuple(p.action_set)) for p in r.permission_policies),
        bool(r.default),
    )


def _user(u: Any) -> User:
    return User(
        u.id,
        u.name or "",
        (u.email or "").lower(),
        u.division.id if u.division else "",
        u.state or "active",
        u.title or "",
        u.department or "",
        u.version or 1,
        (u.employer_info.employee_id if u.employer_info else None) or "",
    )


async def _providers(client: GenesysClient) -> list[Any]:
    """The org's SAML providers by type (one per type), with their settings, or None per type.

    A listing entry names its type in its selfUri; only those types are read in full. An entry
    that does not (an older answer) makes every type be read, absent ones answering 404."""
    listed = await identity_providers.list_identity_providers(client)
    kinds = {str(p.to_api().get("selfUri", "")).rstrip("/").rsplit("/", 1)[-1] for p in listed}
    order = sorted(kinds) if kinds.issubset(PROVIDER_TYPES) else list(PROVIDER_TYPES)
    found = dict(
        zip(
            order,
            await asyncio.gather(*(identity_providers.get_identity_provider(client, t) for t in order)),
            strict=True,
        )
    )
    return [found.get(t) for t in PROVIDER_TYPES]


async def _organization(client: GenesysClient) -> dict[str, str]:
    """The org's id and name for a report's evidence; empty when the caller may not read them."""
    try:
        body = await client.get("/api/v2/organizations/me")
    except GenesysError:
        return {}
    return {k: str(body[k]) for k in ("id", "name") if body.get(k)}


async def read_snapshot(client: GenesysClient, *, progress: Progress | None = None) -> Snapshot:
    """Everything tenantry plans and audits against. `progress(step)` is called as steps finish."""
    done = progress or (lambda _step: None)

    async def step(name: str, coro: Awaitable[Any]) -> Any:
        result = await coro
        done(name)
        return result

    divs, role_list, active, inactive, group_list, clients, queue_list, providers, org = await asyncio.gather(
        step("divisions", divisions.list_divisions(client)),
        step("roles", roles.list_roles(client)),
        step("active users", users.list_users(client, state="active", expand=USER_EXPAND)),
        step("inactive users", users.list_users(client, state="inactive", expand=USER_EXPAND)),
        step("groups", groups.list_groups(client)),
        step("oauth clients", oauth_clients.list_oauth_clients(client)),
        step("queues", queues.list_queues(client)),
        step("identity providers", _providers(client)),
        _organization(client),
    )
    snap = Snapshot(inactive_unread=inactive.unread)
    snap.self_client_id = client.pool.members[0].client_id
    snap.org = org
    snap.pool_client_ids = frozenset(m.client_id for m in client.pool.members)
    for d in divs:
        snap.divisions[d.id] = Division(d.id, d.name, bool(d.home_division))
    for r in role_list:
        snap.roles[r.id] = _role(r)
    for u in [*active.users, *inactive.users]:
        snap.users[u.id] = _user(u)
    for c in clients:
        snap.oauth_clients[c.id] = OAuthClient(
            c.id,
            c.name,
            frozenset(Grant(rd.role_id, rd.division_id) for rd in c.role_divisions),
            c.state or "active",
        )
    for kind, p in zip(PROVIDER_TYPES, providers, strict=True):
        if p is not None:
            snap.identity_providers[kind] = p.to_api()

    grant_rows, members, direct = await asyncio.gather(
        asyncio.gather(*(step("grants", roles.role_subject_grants(client, r.id)) for r in role_list)),
        asyncio.gather(*(step("group members", groups.list_group_members(client, g.id)) for g in group_list)),
        asyncio.gather(
            *(
                step("queue members", queues.list_queue_members(client, q.id, member_by="user"))
                for q in queue_list
            )
        ),
    )
    held: dict[str, set[Grant]] = defaultdict(set)
    kinds: dict[str, str] = {}
    for role, rows in zip(role_list, grant_rows, strict=True):
        for s in rows:
            kinds[s.id] = s.type or "PC_USER"
            for d in s.divisions:
                held[s.id].add(Grant(role.id, d.id))
    for g, mem in zip(group_list, members, strict=True):
        snap.groups[g.id] = Group(
            g.id, g.name, bool(g.roles_enabled), g.version or 1, frozenset(u.id for u in mem)
        )
    for q, mem in zip(queue_list, direct, strict=True):
        snap.queues[q.id] = Queue(
            q.id,
            q.name,
            q.division.id if q.division else "",
            tuple(mg.id for mg in q.member_groups if mg.type == "GROUP"),  # TEAM/SKILLGROUP: not ours
            frozenset(m.id for m in mem if (m.member_by or "user") == "user"),
        )
    for sid, gs in held.items():
        subject_type = kinds.get(sid)
        if subject_type == "PC_OAUTH_CLIENT" or sid in snap.oauth_clients:
            continue  # a client's grants are its roleDivisions, read above
        target = snap.group_grants if subject_type == "PC_GROUP" or sid in snap.groups else snap.user_grants
        target[sid] = frozenset(gs)
    return snap


async def read_user_grants(client: GenesysClient, user_id: str) -> frozenset[Grant]:
    """One user's direct grants, for a one-person path (reconcile) that does not read the org.

    GET /authorization/subjects/{userId} also lists the grants the user inherits from its
    groups, each with the group's id as subjectId: only those whose subjectId is the user are
    its own (otherwise every group role would look like a direct grant to revoke)."""
    return frozenset(Grant(r, d) for r, d in await grants.direct_grants(client, user_id))
