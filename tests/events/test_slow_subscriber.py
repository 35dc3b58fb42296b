"""A slow subscriber never slows provisioning: batches only write locally; delivery runs beside
them and, after the run, for a bounded time; what is left waits in the journal."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from genesys_emulator import RunningEmulator
from tenantry.config import tenants as config
from tenantry.events.sink import session
from tenantry.events.store import EventStore
from tenantry.events.webhooks import Backoff, Dispatcher, Subscriber
from tenantry.execution.executor import Context, Guard, Resolver, execute
from tenantry.execution.journal import Journal
from tenantry.genesys import Credentials, GenesysClient, resolve_target
from tenantry.genesys.snapshot import read_snapshot
from tenantry.inputs import people
from tenantry.planning.desired import build
from tenantry.planning.plan import diff

from .conftest import SECRET, Receiver

EXAMPLE = Path(__file__).parents[2] / "examples" / "bpo"


def test_a_slow_subscriber_does_not_hold_up_the_run(
    emu: RunningEmulator, receiver: Receiver, tmp_path: Path
) -> None:
    receiver.delay = 2.0  # every delivery takes two seconds to be answered
    cfg = config.load(EXAMPLE / "tenants.yaml")
    journal = Journal(f"sqlite:///{tmp_path / 'j.db'}")
    store = EventStore.of_journal(journal)
    disp = Dispatcher(
        store, [Subscriber(receiver.url, frozenset(["*"]), SECRET)], backoff=Backoff(), timeout=10
    )

    async def go() -> tuple[float, float, int]:
        async with GenesysClient(
            resolve_target(emu.base_url),
            [Credentials.of(emu.client_id, emu.client_secret)],
            rate_limit=100_000,
        ) as c:
            snap = await read_snapshot(c)
            plan = diff(
                cfg, build(cfg, people.load(EXAMPLE / "people.csv"), "people.csv"), snap, now=time.time()
            )
            guard = Guard(frozenset(plan.settings["org_admins"]), frozenset(plan.settings["protected"]))
            t0 = time.perf_counter()
            async with session(store, dispatcher=disp, drain_seconds=1.0) as sink:
                result = await execute(plan, Context(c, Resolver(c, snap), journal, guard, None, events=sink))
                ran = time.perf_counter() - t0
            closed = time.perf_counter() - t0 - ran
            assert result.ok
            return ran, closed, sink.emitted

    ran, closed, emitted = asyncio.run(go())
    print(f"slow subscriber: execute {ran:.1f} s, session close {closed:.1f} s, {emitted} events")
    assert emitted > 300
    # delivered one after another inside the batches, 300+ events at 2 s would take ten minutes
    assert ran < 60, ran
    assert closed < 6, closed  # the bounded drain (1 s) plus the pass in flight (4 at a time, 2 s each)
    pending = store.pending()
    assert len(pending) > 250 and not store.failed()  # kept in the journal for the next run or `replay`
    assert len(receiver.received) < 20
