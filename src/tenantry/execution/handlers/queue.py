"""Queues: created in their tenant's division, moved there, bound to member groups, direct
members removed (tenant queues take members through groups only)."""

from __future__ import annotations

from typing import Any

from tenantry.execution.context import Context
from tenantry.execution.handlers.base import Handler, membership
from tenantry.genesys import ConflictError
from tenantry.genesys.api import divisions, queues
from tenantry.planning.batching import Batch
from tenantry.planning.ops import Op


async def create(ctx: Context, b: Batch) -> dict[str, Any]:
    spec, r = b.items[0], ctx.resolver
    gids = [await r.need("group", g) for g in spec["groups"]]
    try:
        q = await queues.create_queue(
            ctx.client,
            b.target,
            await r.need("division", spec["division"]),
            member_group_ids=gids,
            description=spec.get("description") or None,
        )
    except ConflictError:  # made already by a worker that died before journaling it
        if (found := await queues.find_queue(ctx.client, b.target)) is None:
            raise
        q = found
    r.learn("queue", b.target, q.id)
    return {"id": q.id}


async def update(ctx: Context, b: Batch) -> dict[str, Any]:
    gids = [await ctx.resolver.need("group", g) for g in b.items[0]["groups"]]
    await queues.update_queue(ctx.client, await ctx.resolver.need("queue", b.target), member_group_ids=gids)
    return {}


async def move(ctx: Context, b: Batch) -> dict[str, Any]:
    ids = [await ctx.resolver.need("queue", q) for q in b.items]
    await divisions.move_objects(ctx.client, await ctx.resolver.need("division", b.target), "QUEUE", ids)
    return {}


members_add = membership("queue", queues.add_queue_members, adding=True)
members_remove = membership("queue", queues.remove_queue_members, adding=False)


class QueueHandler(Handler):
    kind = "queue"
    uses = ("group", "division", "user")
    ops = {
        Op.QUEUE_CREATE: create,
        Op.QUEUE_UPDATE: update,
        Op.QUEUE_MOVE: move,
        Op.QUEUE_MEMBERS_ADD: members_add,
        Op.QUEUE_MEMBERS_REMOVE: members_remove,
    }

    def stale(self, ctx: Context, b: Batch) -> None:
        super().stale(ctx, b)
        ctx.resolver.forget("queue")  # queue.move targets a division but names queues
