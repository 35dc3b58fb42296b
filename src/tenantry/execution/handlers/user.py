"""People: created, updated, moved between divisions, given and relieved of grants, deactivated
(leavers) and deleted after retention.

A leaver is recorded in the journal BEFORE it is deactivated: a kill between the two leaves a
record (its clock starts a little early, and the next apply deactivates again), never an inactive
user without a retention clock.
"""

from __future__ import annotations

import time
from typing import Any

from tenantry.execution.context import Context
from tenantry.execution.handlers.base import Handler
from tenantry.genesys import ConflictError
from tenantry.genesys.api import divisions, grants, users
from tenantry.planning.batching import Batch
from tenantry.planning.ops import Op


async def create(ctx: Context, b: Batch) -> dict[str, Any]:
    """A batch retried after its worker died may find the user made: it is adopted, not duplicated."""
    spec = b.items[0]
    try:
        u = await users.create_user(
            ctx.client,
            name=spec["name"],
            email=b.target,
            division_id=await ctx.resolver.need("division", spec["division"]),
            title=spec.get("title") or None,
            department=spec.get("department") or None,
            hr_id=spec.get("hr_id") or None,
        )
    except ConflictError:
        found = await users.find_user_by_email(ctx.client, b.target)
        if found is None:
            raise
        u = found
    ctx.resolver.learn("user", b.target, u.id)
    ctx.journal.forget_leaver(b.target)
    return {"id": u.id}


async def update(ctx: Context, b: Batch) -> dict[str, Any]:
    uid = await ctx.resolver.need("user", b.target)
    await users.update_user(ctx.client, uid, **b.items[0])
    if b.items[0].get("email"):  # an HR-anchored email change: later batches name the new email
        ctx.resolver.learn("user", b.items[0]["email"], uid)
    if b.items[0].get("state") == "active":
        ctx.journal.forget_leaver(b.target)
    return {}


async def move(ctx: Context, b: Batch) -> dict[str, Any]:
    ids = await ctx.resolver.user_ids(b.items, required=True)
    await divisions.move_objects(ctx.client, await ctx.resolver.need("division", b.target), "USER", ids)
    return {}


async def deactivate(ctx: Context, b: Batch) -> dict[str, Any]:
    """Record, then deactivate. A batch run again (its worker died after the write) finds the user
    inactive already: the clock that started before that first write is kept."""
    uid = await ctx.resolver.get("user", b.target, required=False)
    active = uid is not None and (await users.get_user(ctx.client, uid)).state != "inactive"
    ctx.journal.mark_leaver(b.target, since=time.time(), restart=active)  # before: crash-safe clock
    if uid is not None and active:
        await users.set_user_state(ctx.client, uid, "inactive")
    return {}


async def delete(ctx: Context, b: Batch) -> dict[str, Any]:
    uid = await ctx.resolver.get("user", b.target, required=False)
    if uid is not None:
        await users.delete_user(ctx.client, uid)
    ctx.journal.mark_deleted(b.target)
    return {}


async def grants_add(ctx: Context, b: Batch) -> dict[str, Any]:
    uid = await ctx.resolver.need("user", b.target)
    await grants.bulk_add(ctx.client, uid, await ctx.resolver.pairs(b.items), "PC_USER")
    return {}


async def grants_remove(ctx: Context, b: Batch) -> dict[str, Any]:
    uid = await ctx.resolver.get("user", b.target, required=False)
    if uid is None:
        return {}  # revoking from a user that is gone: nothing left to revoke
    await grants.bulk_remove(ctx.client, uid, await ctx.resolver.pairs(b.items, removing=True))
    return {}


class UserHandler(Handler):
    kind = "user"
    uses = ("division", "role")
    ops = {
        Op.USER_CREATE: create,
        Op.USER_UPDATE: update,
        Op.USER_MOVE: move,
        Op.USER_DEACTIVATE: deactivate,
        Op.USER_DELETE: delete,
        Op.USER_GRANTS_ADD: grants_add,
        Op.USER_GRANTS_REMOVE: grants_remove,
    }
