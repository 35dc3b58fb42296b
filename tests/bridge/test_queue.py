"""The reconcile queue: a settle window per person, leavers at once, failed reconciles retried."""

from __future__ import annotations

import asyncio
import time

from tenantry.bridge.queue import ReconcileQueue


async def test_changes_settle_into_one_reconcile_and_leavers_go_at_once() -> None:
    runs: list[tuple[float, set[str]]] = []

    async def work(batch: set[str], _since: dict[str, float]) -> None:
        runs.append((time.monotonic(), set(batch)))

    q = ReconcileQueue(work, settle=0.4)
    q.start()
    start = time.monotonic()
    q.touch(["a@x.example"])
    await asyncio.sleep(0.2)
    q.touch(["a@x.example", "b@x.example"])  # a second change pushes the first back
    await q.drained(5)
    assert [r[1] for r in runs] == [{"a@x.example", "b@x.example"}]
    assert runs[0][0] - start >= 0.55
    runs.clear()
    start = time.monotonic()
    q.touch(["c@x.example"], urgent=True)
    q.touch(["c@x.example"])  # a later ordinary change does not delay a leaver
    await q.drained(5)
    assert runs and runs[0][1] == {"c@x.example"} and runs[0][0] - start < 0.3
    await q.stop()


async def test_a_failed_reconcile_is_retried_then_given_up() -> None:
    calls: list[set[str]] = []

    async def work(batch: set[str], _since: dict[str, float]) -> None:
        calls.append(set(batch))
        if len(calls) < 3:
            raise RuntimeError("Genesys said no")

    q = ReconcileQueue(work, settle=0.05, retries=3, backoff=0.05)
    q.start()
    q.touch(["d@x.example"])
    await q.drained(5)
    assert calls == [{"d@x.example"}] * 3 and q.failures == 2
    calls.clear()

    async def never(batch: set[str], _since: dict[str, float]) -> None:
        calls.append(set(batch))
        raise RuntimeError("down")

    q.work = never
    q.touch(["e@x.example"])
    await q.drained(5)
    assert len(calls) == 4  # the first attempt and three retries
    await q.stop()


async def test_a_large_backlog_goes_in_slices() -> None:
    sizes: list[int] = []

    async def work(batch: set[str], _since: dict[str, float]) -> None:
        sizes.append(len(batch))

    q = ReconcileQueue(work, settle=0.05, max_batch=40)
    q.start()
    q.touch([f"p{i}@x.example" for i in range(100)])
    await q.drained(5)
    assert sizes == [40, 40, 20]
    await q.stop()
