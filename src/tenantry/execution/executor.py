"""Carry out a Plan: batch by batch, phase by phase, every batch journaled before and after.

Each batch goes through the handler of its resource kind (execution.handlers), after the guard
rails (execution.guard); ids come from the resolver (execution.resolver).

Within a phase, batches on different objects run concurrently (bounded); batches on one object
run one after another. A phase with a failed batch stops the run before the next phase: a mover
whose revocation failed is never granted its new tenant. A rerun re-plans from a fresh snapshot
and so converges; every operation here is written to be safe to repeat.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tenantry.execution.context import Context
from tenantry.execution.guard import Guard, GuardError
from tenantry.execution.handlers import handler_for
from tenantry.execution.resolver import Resolver
from tenantry.genesys import GenesysError, NotFoundError
from tenantry.planning.plan import Batch, Plan

__all__ = [
    "ApplyResult",
    "Context",
    "Guard",
    "GuardError",
    "PhaseProgress",
    "Resolver",
    "execute",
    "plan_id",
    "run_batch",
]


async def run_batch(ctx: Context, b: Batch) -> dict[str, Any]:
    """One batch through its kind's handler, after the guard rails. Returns what the journal keeps.

    A 404 can mean an id this process cached is stale (an object deleted and made again under the
    same name while a worker lived): the handler forgets its cached ids and the batch is tried once
    more, resolving every natural key afresh.
    """
    ctx.guard.check(b)
    handler = handler_for(b.op)
    try:
        return await handler.apply(ctx, b)
    except NotFoundError:
        handler.stale(ctx, b)
        return await handler.apply(ctx, b)


def plan_id(plan: Plan) -> str:
    h = hashlib.sha256(plan.fingerprint.encode())
    for b in plan.batches:
        h.update(b.id.encode())
    return h.hexdigest()[:32]


@dataclass
class ApplyResult:
    run_id: str
    done: int = 0
    skipped: int = 0
    failed: list[tuple[Batch, str]] = field(default_factory=list)
    stopped_after: str | None = None
    seconds: float = 0.0
    secret_files: list[str] = field(default_factory=list)
    client: dict[str, int] = field(default_factory=dict)  # the client's counters: calls, retries, 429s

    @property
    def ok(self) -> bool:
        return not self.failed

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "ok": self.ok,
            "done": self.done,
            "skipped": self.skipped,
            "failed": [{"batch": b.id, "op": b.op, "target": b.target, "error": e} for b, e in self.failed],
            "stopped_after_phase": self.stopped_after,
            "seconds": round(self.seconds, 3),
            "secret_files": self.secret_files,
            "client": self.client,
        }


PhaseProgress = Callable[[str, int], Callable[[], None]]  # (phase, total) -> advance()


async def execute(
    plan: Plan,
    ctx: Context,
    *,
    run_id: str | None = None,
    concurrency: int = 8,
    progress: PhaseProgress | None = None,
    worker: str = "local",
) -> ApplyResult:
    """Run the plan in-process. `run_id` resumes a journaled run, skipping its done batches."""
    journal = ctx.journal
    if run_id is None:
        run_id = journal.start_run(
            plan_id(plan), plan.fingerprint, [(b.id, b.phase, b.op, b.target, b.tenant) for b in plan.batches]
        )
    statuses = journal.batch_statuses(run_id)
    result = ApplyResult(run_id)
    start = time.perf_counter()
    sem = asyncio.Semaphore(concurrency)
    for phase, phase_batches in plan.phases():
        todo = [b for b in phase_batches if statuses.get(b.id) != "done"]
        result.skipped += len(phase_batches) - len(todo)
        advance = progress(phase, len(phase_batches)) if progress else (lambda: None)
        for _ in range(len(phase_batches) - len(todo)):
            advance()
        lanes: dict[str, list[Batch]] = defaultdict(list)
        for b in todo:
            lanes[b.locks[0]].append(b)

        async def lane(batches: list[Batch], advance: Callable[[], None] = advance) -> None:
            for b in batches:
                async with sem:
                    journal.batch_started(run_id, b.id, worker)
                    try:
                        out = await run_batch(ctx, b)
                    except (GenesysError, GuardError, LookupError) as exc:
                        journal.batch_failed(run_id, b.id, str(exc))
                        result.failed.append((b, str(exc)))
                        if ctx.events is not None:
                            ctx.events.batch_failed(run_id, b, str(exc))
                    else:
                        journal.batch_done(run_id, b.id, out)
                        result.done += 1
                        if ctx.events is not None:
                            ctx.events.batch_applied(run_id, b, out, ctx.resolver)
                advance()

        await asyncio.gather(*(lane(bs) for bs in lanes.values()))
        if result.failed:
            result.stopped_after = phase
            break
    result.seconds = time.perf_counter() - start
    result.secret_files = list(ctx.created_secrets)
    journal.finish_run(run_id, "done" if result.ok else "failed", result.to_json())
    return result
