"""Divisions: created when missing, never deleted (the guard refuses that outright)."""

from __future__ import annotations

from typing import Any

from tenantry.execution.context import Context
from tenantry.execution.handlers.base import Handler
from tenantry.genesys.api import divisions
from tenantry.planning.batching import Batch
from tenantry.planning.ops import Op


async def create(ctx: Context, b: Batch) -> dict[str, Any]:
    c = ctx.client
    d = await divisions.find_division(c, b.target) or await divisions.create_division(c, b.target)
    ctx.resolver.learn("division", b.target, d.id)
    return {"id": d.id}


class DivisionHandler(Handler):
    kind = "division"
    ops = {Op.DIVISION_CREATE: create}
