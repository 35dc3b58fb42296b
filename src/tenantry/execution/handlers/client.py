"""OAuth clients of tenants: created (the secret goes to a 0600 file) and their grants updated."""

from __future__ import annotations

from typing import Any

from tenantry.execution.context import Context
from tenantry.execution.handlers.base import Handler
from tenantry.genesys.api import oauth_clients
from tenantry.planning.batching import Batch
from tenantry.planning.ops import Op


async def create(ctx: Context, b: Batch) -> dict[str, Any]:
    spec = b.items[0]
    made = await oauth_clients.create_oauth_client(
        ctx.client,
        b.target,
        await ctx.resolver.pairs(spec["grants"]),
        description=spec.get("description") or None,
        token_seconds=spec["ttl"],
    )
    ctx.resolver.learn("client", b.target, made.id)
    secret = made.secret.get_secret_value() if made.secret else ""
    return {"id": made.id, "secret_file": ctx.save_secret(b.target, made.id, secret) if secret else None}


async def update(ctx: Context, b: Batch) -> dict[str, Any]:
    spec = b.items[0]
    await oauth_clients.update_oauth_client(
        ctx.client,
        await ctx.resolver.need("client", b.target),
        role_divisions=await ctx.resolver.pairs(spec["grants"]),
        access_token_validity_seconds=spec["ttl"],
        **({"state": spec["state"]} if spec.get("state") else {}),
    )
    return {}


class ClientHandler(Handler):
    kind = "client"
    uses = ("role", "division")
    ops = {Op.CLIENT_CREATE: create, Op.CLIENT_UPDATE: update}
