"""SAML identity providers: a merging PUT that keeps the fields tenantry does not manage."""

from __future__ import annotations

from typing import Any

from tenantry.execution.context import Context
from tenantry.execution.handlers.base import Handler
from tenantry.genesys.api import identity_providers
from tenantry.planning.batching import Batch
from tenantry.planning.ops import Op


async def put(ctx: Context, b: Batch) -> dict[str, Any]:
    current = await identity_providers.get_identity_provider(ctx.client, b.target)
    body = (current.to_api() if current else {}) | b.items[0]
    body.pop("id", None)
    await identity_providers.put_identity_provider(ctx.client, b.target, body)
    return {}


class SsoHandler(Handler):
    kind = "sso"
    ops = {Op.SSO_PUT: put}

    def stale(self, ctx: Context, b: Batch) -> None:
        """SSO providers are addressed by type, never by a cached id."""
