"""Onboarding, steady state, movers and the token pool, against the emulator over loopback.

The emulator runs in its own process with a short window (300 requests per 1 s per OAuth client)
so the runs take seconds; every figure is a ratio measured in this one run. The baseline is the
seed scripts' approach (bench/baseline.py), on the first BASELINE_PEOPLE people of the same feed:
its cost per person is constant (one person at a time), so per-person figures compare directly.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from genesys_emulator import RunningEmulator, running_emulator
from tenantry.execution.executor import Context, Guard, Resolver, execute
from tenantry.execution.journal import Journal
from tenantry.genesys import Credentials, GenesysClient, resolve_target
from tenantry.genesys.snapshot import read_snapshot
from tenantry.planning.desired import build
from tenantry.planning.plan import diff

from . import scale_org
from .baseline import SeedStyleScript

PEOPLE = int(os.environ.get("BENCH_PEOPLE", "10000"))
BASELINE_PEOPLE = int(os.environ.get("BENCH_BASELINE_PEOPLE", "1500"))
MOVERS = int(os.environ.get("BENCH_MOVERS", "1000"))
POOL_PEOPLE = int(os.environ.get("BENCH_POOL_PEOPLE", "2500"))
POOL_LIMIT = 75
TENANTS = 20
LIMIT, WINDOW = 300, 1.0


@dataclass
class Run:
    label: str
    clients: int
    people: int
    writes: int
    reads: int
    rate_limited: int
    seconds: float
    limit: int = LIMIT
    batches: int = 0

    @property
    def calls(self) -> int:
        return self.writes + self.reads

    @property
    def ceiling_windows(self) -> float:
        return self.calls / (self.limit * self.clients)

    @property
    def windows(self) -> float:
        return self.seconds / WINDOW


def _stats(emu: RunningEmulator) -> tuple[int, int, int]:
    """(writes, reads, 429s) since the last reset of the counters, token endpoint and admin aside."""
    calls = emu.stats()["calls"]
    writes = reads = limited = 0
    for key, by in calls.items():
        if "/oauth/token" in key or "/_emulator" in key:
            continue
        n = sum(by.values())
        limited += by.get("429", 0)
        if key.startswith("GET"):
            reads += n
        else:
            writes += n
    return writes, reads, limited


def _pool(emu: RunningEmulator, n: int) -> list[Credentials]:
    more = [emu.new_admin_client(f"bench-pool-{i}") for i in range(1, n)]
    return [Credentials.of(emu.client_id, emu.client_secret), *(Credentials.of(c, s) for c, s in more)]


async def _tenantry(
    emu: RunningEmulator, creds: list[Credentials], cfg, persons, journal: Journal, limit: int
) -> tuple[int, float]:
    """(batches, seconds) of snapshot + plan + apply, the way `tenantry apply` runs."""
    async with GenesysClient(
        resolve_target(emu.base_url), creds, rate_limit=limit, rate_window=WINDOW
    ) as client:
        await asyncio.gather(*(m.tokens.get() for m in client.pool.members))
        emu.admin.delete("/_emulator/stats")
        t0 = time.perf_counter()
        snap = await read_snapshot(client)
        plan = diff(cfg, build(cfg, persons), snap, now=time.time())
        guard = Guard(frozenset(), frozenset({emu.client_id}))
        result = await execute(
            plan, Context(client, Resolver(client, snap), journal, guard, None), concurrency=8 * len(creds)
        )
        assert result.ok, result.failed[:3]
        return plan.changes, time.perf_counter() - t0


def onboarding(emu: RunningEmulator, clients: int, cfg, persons, tmp: Path, limit: int) -> Run:
    emu.reset("empty")
    creds = _pool(emu, clients)
    journal = Journal(f"sqlite:///{tmp}/onboard-{clients}-{len(persons)}.db")
    batches, seconds = asyncio.run(_tenantry(emu, creds, cfg, persons, journal, limit))
    label = f"tenantry, {clients} client{'s' if clients > 1 else ''}"
    return Run(label, clients, len(persons), *_stats(emu), seconds, limit, batches)


def baseline(emu: RunningEmulator, cfg, persons, tmp: Path) -> Run:
    """Structure (divisions, groups, queues) made by tenantry first; the script onboards people."""
    emu.reset("empty")
    asyncio.run(
        _tenantry(
            emu,
            [Credentials.of(emu.client_id, emu.client_secret)],
            cfg,
            [],
            Journal(f"sqlite:///{tmp}/structure.db"),
            LIMIT,
        )
    )
    h = {"Authorization": f"Bearer {emu.token()}"}
    with httpx.Client(base_url=emu.base_url, headers=h) as api:
        divs = {
            d["name"]: d["id"]
            for d in api.get("/api/v2/authorization/divisions", params={"pageSize": 100}).json()["entities"]
        }
        roles = {r["name"]: r["id"] for r in api.get("/api/v2/authorization/roles").json()["entities"]}
        groups = {
            g["name"]: g["id"] for g in api.get("/api/v2/groups", params={"pageSize": 100}).json()["entities"]
        }
        queues = {
            q["name"]: q["id"]
            for q in api.get("/api/v2/routing/queues", params={"pageSize": 100}).json()["entities"]
        }
    script = SeedStyleScript(emu.base_url, emu.client_id, emu.client_secret)
    emu.admin.delete("/_emulator/stats")
    t0 = time.perf_counter()
    for p in persons:
        t = int(p.attributes["client"][1:]) - 1
        name = scale_org.tenant_name(t)
        script.onboard(
            p.email,
            p.name,
            divs[name],
            [roles["Agent"]],
            groups[f"{name} Agents"],
            [queues[f"{name} Support"]],
        )
    seconds = time.perf_counter() - t0
    script.close()
    return Run("seed-style script, 1 client", 1, len(persons), *_stats(emu), seconds)


def _double_access(emu: RunningEmulator, tenant_divisions: set[str], since: int) -> tuple[int, int]:
    """(people checked, moments where one person reached two tenant divisions) in the timeline."""
    events = emu.admin.get("/_emulator/timeline", params={"since": since}).json()["events"]
    people, bad = set(), 0
    for e in events:
        if "access" in e:
            people.add(e["subjectId"])
            if len(tenant_divisions.intersection(e["access"])) > 1:
                bad += 1
    return len(people), bad


@contextmanager
def _scale_org(limit: int) -> Iterator[tuple[RunningEmulator, Path, Any]]:
    """An empty emulator in its own process at `limit` per WINDOW, a scratch folder, tenants.yaml."""
    with (
        tempfile.TemporaryDirectory() as tmp_name,
        running_emulator(
            seed="empty", rate_limit=f"{limit}/{WINDOW:g}s", token_rate_limit="100000/60s", process=True
        ) as emu,
    ):
        tmp = Path(tmp_name)
        yield emu, tmp, scale_org.config(TENANTS, tmp)


def _pool_runs(emu: RunningEmulator, cfg: Any, persons: list, tmp: Path) -> list[Run]:
    """The token pool, at a per-client rate the client process can serve four times over."""
    emu.set_rate_limit(f"{POOL_LIMIT}/{WINDOW:g}s")
    return [onboarding(emu, n, cfg, persons[:POOL_PEOPLE], tmp, POOL_LIMIT) for n in (1, 2, 4)]


def run() -> str:
    with _scale_org(LIMIT) as (emu, tmp, cfg):
        persons = scale_org.people(PEOPLE, TENANTS)
        pool = _pool_runs(emu, cfg, persons, tmp)
        emu.set_rate_limit(f"{LIMIT}/{WINDOW:g}s")
        one = onboarding(emu, 1, cfg, persons, tmp, LIMIT)  # leaves the org onboarded for the next steps
        journal = Journal(f"sqlite:///{tmp}/onboard-1.db")
        creds = [Credentials.of(emu.client_id, emu.client_secret)]
        batches, seconds = asyncio.run(_tenantry(emu, creds, cfg, persons, journal, LIMIT))
        steady = Run("steady state (same input)", 1, len(persons), *_stats(emu), seconds, LIMIT, batches)
        h = {"Authorization": f"Bearer {emu.token()}"}
        listed = emu.admin.get("/api/v2/authorization/divisions", params={"pageSize": 100}, headers=h).json()
        divs = {d["id"] for d in listed["entities"] if d["name"].startswith("Tenant")}
        mark = emu.admin.get("/_emulator/timeline", params={"since": 10**9}).json()["next"]
        moved = scale_org.people(PEOPLE, TENANTS, movers=MOVERS)
        batches, seconds = asyncio.run(_tenantry(emu, creds, cfg, moved, journal, LIMIT))
        movers = Run(f"{MOVERS:,} movers", 1, MOVERS, *_stats(emu), seconds, LIMIT, batches)
        checked, overlaps = _double_access(emu, divs, mark)
        base = baseline(emu, cfg, persons[:BASELINE_PEOPLE], tmp)
    return _report(pool, one, base, steady, movers, checked, overlaps)


def run_pool() -> str:
    """Only the token-pool table (`python -m bench.bench_onboarding pool`)."""
    with _scale_org(POOL_LIMIT) as (emu, tmp, cfg):
        pool = _pool_runs(emu, cfg, scale_org.people(POOL_PEOPLE, TENANTS), tmp)
    return "\n".join(_pool_table(pool)) + "\n"


def _pool_table(pool: list[Run]) -> list[str]:
    by = {r.clients: r for r in pool}
    return [
        f"### Token pool: the onboarding of {POOL_PEOPLE:,} people with 1, 2 and 4 OAuth clients "
        f"({POOL_LIMIT} requests per {WINDOW:g} s per client)\n",
        HEAD,
        *(_row(r) for r in pool),
        "",
        f"- throughput: 2 clients {by[1].seconds / by[2].seconds:.2f}× and 4 clients "
        f"{by[1].seconds / by[4].seconds:.2f}× the speed of 1.",
    ]


HEAD = (
    "| run | people | writes | reads | calls/person | seconds | ms/person | ceiling (windows) "
    "| time ÷ ceiling | 429s |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def _row(r: Run) -> str:
    per = r.calls / r.people if r.people else 0
    return (
        f"| {r.label} | {r.people:,} | {r.writes:,} | {r.reads:,} | {per:.3f} | {r.seconds:.1f} | "
        f"{r.seconds / r.people * 1000:.2f} | {r.ceiling_windows:.1f} | {r.windows / r.ceiling_windows:.2f} | "
        f"{r.rate_limited} |"
    )


def _report(
    pool: list[Run], one: Run, base: Run, steady: Run, movers: Run, checked: int, overlaps: int
) -> str:
    head = HEAD
    calls_ratio = (base.calls / base.people) / (one.calls / one.people)
    speed_ratio = (base.seconds / base.people) / (one.seconds / one.people)
    lines = [
        f"### Onboarding {PEOPLE:,} people into {TENANTS} tenants ({LIMIT} requests per {WINDOW:g} s per client)\n",
        head,
        _row(one),
        _row(base),
        "",
        f"- tenantry vs the seed-style script, one client each: **{calls_ratio:.1f}× fewer calls per person**, "
        f"**{speed_ratio:.1f}× faster per person**; the script was run on the first {BASELINE_PEOPLE:,} people "
        "(it works one person at a time, so its cost per person does not depend on N).",
        f"- ceiling = calls ÷ ({LIMIT} × clients) windows; time ÷ ceiling of 1.00 means every window was full.",
        "",
        *_pool_table(pool),
        "",
        "### Steady state and movers\n",
        "| run | people | writes | reads | seconds | note |",
        "|---|---:|---:|---:|---:|---|",
        f"| {steady.label} | {steady.people:,} | {steady.writes} | {steady.reads:,} | {steady.seconds:.1f} | "
        f"the snapshot: {steady.reads:,} reads for {PEOPLE:,} users, {TENANTS} divisions, groups and queues "
        f"({steady.reads / PEOPLE:.4f} per user) |",
        f"| {movers.label} | {movers.people:,} | {movers.writes:,} | {movers.reads:,} | {movers.seconds:.1f} | "
        f"{movers.calls / MOVERS:.3f} calls per move (snapshot included); {checked:,} people in the emulator's "
        f"timeline, **{overlaps} moments of access to two tenants** |",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import sys

    print(run_pool() if sys.argv[1:] == ["pool"] else run())
