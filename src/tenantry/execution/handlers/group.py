"""Groups: created, roles enabled, grants added and removed, members added and removed."""

from __future__ import annotations

from typing import Any

from tenantry.execution.context import Context
from tenantry.execution.handlers.base import Handler, membership
from tenantry.genesys import ConflictError
from tenantry.genesys.api import grants, groups
from tenantry.planning.batching import Batch
from tenantry.planning.ops import Op


async def create(ctx: Context, b: Batch) -> dict[str, Any]:
    """Made already (a retried batch whose worker died after the write): adopted by name."""
    try:
        g = await groups.create_group(ctx.client, b.target, description=b.items[0].get("description") or None)
    except ConflictError:
        if (found := await groups.find_group(ctx.client, b.target)) is None:
            raise
        g = found
    ctx.resolver.learn("group", b.target, g.id)
    return {"id": g.id}


async def update(ctx: Context, b: Batch) -> dict[str, Any]:
    await groups.update_group(ctx.client, await ctx.resolver.need("group", b.target), roles_enabled=True)
    return {}


async def grants_add(ctx: Context, b: Batch) -> dict[str, Any]:
    gid = await ctx.resolver.need("group", b.target)
    await grants.bulk_add(ctx.client, gid, await ctx.resolver.pairs(b.items), "PC_GROUP")
    return {}


async def grants_remove(ctx: Context, b: Batch) -> dict[str, Any]:
    gid = await ctx.resolver.need("group", b.target)
    await grants.bulk_remove(ctx.client, gid, await ctx.resolver.pairs(b.items, removing=True))
    return {}


members_add = membership("group", groups.add_group_members, adding=True)
members_remove = membership("group", groups.remove_group_members, adding=False)


class GroupHandler(Handler):
    kind = "group"
    uses = ("role", "division", "user")
    ops = {
        Op.GROUP_CREATE: create,
        Op.GROUP_UPDATE: update,
        Op.GROUP_GRANTS_ADD: grants_add,
        Op.GROUP_GRANTS_REMOVE: grants_remove,
        Op.GROUP_MEMBERS_ADD: members_add,
        Op.GROUP_MEMBERS_REMOVE: members_remove,
    }
