"""A deterministic mix of creates, versioned updates, bulk membership changes and reads.

Every operation is one call of tenantry.genesys.api; the same `size` gives the same intended
org, so a run under faults can be compared with a fault-free one.
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from dataclasses import dataclass, field

from tenantry.genesys import GenesysClient, api
from tenantry.genesys.models import RoleDivision

TENANTS = ("Wayne", "Stark")


@dataclass
class Outcome:
    operations: Counter[str] = field(default_factory=Counter)
    secrets: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.operations.values())


def users_for(calls: int) -> int:
    """How many users make a workload of at least `calls` operations (4.34 per user + 28 others)."""
    return max(10, math.ceil((calls - 28) / 4.3))


async def run_workload(client: GenesysClient, calls: int) -> Outcome:
    out = Outcome()

    def op(name: str) -> None:
        out.operations[name] += 1

    roles = {r.name: r for r in await api.roles.list_roles(client)}
    op("read roles")
    agent, viewer = roles["Agent"], roles["Reporting Viewer"]

    async def tenant(name: str) -> tuple[str, str, str]:
        division = await api.divisions.create_division(client, f"{name} Corp", f"Client account {name}")
        group = await api.groups.create_group(client, f"{name} Agents", description="agents")
        await api.grants.bulk_add(
            client, group.id, [RoleDivision(role_id=agent.id, division_id=division.id)], "PC_GROUP"
        )
        queue = await api.queues.create_queue(
            client, f"{name} Support", division.id, member_group_ids=[group.id]
        )
        reporting = await api.oauth_clients.create_oauth_client(
            client, f"{name} reporting", [RoleDivision(role_id=viewer.id, division_id=division.id)]
        )
        if reporting.secret:
            out.secrets.append(reporting.secret.get_secret_value())
        for what in ("create division", "create group", "bulk grants", "create queue", "create oauth client"):
            op(what)
        return division.id, group.id, queue.id

    setup = dict(zip(TENANTS, await asyncio.gather(*(tenant(t) for t in TENANTS)), strict=True))

    n_users = users_for(calls)

    async def person(i: int) -> str:
        name = TENANTS[i % len(TENANTS)]
        division_id = setup[name][0]
        user = await api.users.create_user(
            client,
            name=f"{name} Person {i:04d}",
            email=f"p{i:04d}@{name.lower()}.example",
            division_id=division_id,
        )
        op("create user")
        # Two versioned updates of the same user at once: they race, 409s re-read and re-apply.
        await asyncio.gather(
            api.users.update_user(client, user.id, title=f"Agent L{i % 3}"),
            api.users.update_user(client, user.id, department=f"Dept {i % 4}"),
        )
        op("update user")
        op("update user")
        await api.users.get_user(client, user.id)
        op("read user")
        if i % 5 == 0:
            await api.grants.bulk_add(
                client, user.id, [RoleDivision(role_id=viewer.id, division_id=division_id)], "PC_USER"
            )
            op("bulk grants")
        if i % 10 == 3:
            await api.users.set_user_state(client, user.id, "inactive")
            op("update user")
        if i % 25 == 7:
            await api.users.delete_user(client, user.id)
            op("delete user")
        return user.id

    ids = await asyncio.gather(*(person(i) for i in range(n_users)))
    live = {i: uid for i, uid in enumerate(ids) if i % 25 != 7}

    async def memberships(t: int, name: str) -> None:
        _, group_id, queue_id = setup[name]
        mine = [uid for i, uid in live.items() if i % len(TENANTS) == t]
        await api.groups.add_group_members(client, group_id, mine)
        op("add group members")
        await api.queues.add_queue_members(client, queue_id, mine[: len(mine) // 2])
        op("add queue members")
        await api.queues.remove_queue_members(client, queue_id, mine[: len(mine) // 8])
        op("remove queue members")
        await api.groups.remove_group_members(client, group_id, mine[-3:])
        op("remove group members")
        await api.groups.update_group(client, group_id, description=f"{name} agents ({len(mine) - 3})")
        op("update group")
        await asyncio.gather(
            api.groups.list_group_members(client, group_id),
            api.queues.list_queue_members(client, queue_id),
            api.grants.get_subject(client, group_id),
        )
        for what in ("read group members", "read queue members", "read grants"):
            op(what)

    await asyncio.gather(*(memberships(t, name) for t, name in enumerate(TENANTS)))
    await api.users.list_users(client)
    op("list users")
    return out
