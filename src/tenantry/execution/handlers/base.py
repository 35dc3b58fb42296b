"""One handler per resource kind: how each of its ops is described, applied and re-resolved.

A handler's `apply` is one API write in the normal case and returns what the journal keeps (ids,
never secrets). Every op is written to be safe to repeat: a rerun after a kill converges.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from tenantry.execution.context import Context
from tenantry.planning.batching import Batch
from tenantry.planning.ops import Op

Apply = Callable[[Context, Batch], Awaitable[dict[str, Any]]]
MemberWrite = Callable[[Any, str, list[str]], Awaitable[Any]]


def membership(kind: str, write: MemberWrite, *, adding: bool) -> Apply:
    """A member add or remove on a group or queue, people named by email. A removal skips people
    the org no longer has (they hold nothing left to revoke); an add needs every one of them."""

    async def run(ctx: Context, b: Batch) -> dict[str, Any]:
        ids = await ctx.resolver.user_ids(b.items, required=adding)
        if ids:
            await write(ctx.client, await ctx.resolver.need(kind, b.target), ids)
        return {"count": len(ids)}

    return run


class Handler:
    kind: ClassVar[str]
    ops: ClassVar[dict[Op, Apply]]
    # kinds whose cached ids this kind's ops use: forgotten and resolved again after a 404
    uses: ClassVar[tuple[str, ...]] = ()

    async def apply(self, ctx: Context, b: Batch) -> dict[str, Any]:
        return await self.ops[Op(b.op)](ctx, b)

    def describe(self, b: Batch) -> str:
        """One line for people: what the batch does."""
        verb = Op(b.op).value.split(".", 1)[1].replace(".", " ")
        count = f" ({len(b.items)})" if Op(b.op).spec.people_items else ""
        return f"{self.kind} {b.target}: {verb}{count}"

    def stale(self, ctx: Context, b: Batch) -> None:
        """The org answered 404 for an id we cached: forget what this batch looked up."""
        for kind in (self.kind, *self.uses):
            ctx.resolver.forget(kind)
