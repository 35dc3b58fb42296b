"""The chaos run: three days of changes (onboarding; movers, leavers and promotions; more movers and
re-joiners) against a faulty emulator, while apply — and, with PostgreSQL, a `tenantry worker` —
is killed with SIGKILL at chosen points: after N writes, and inside named phases.

It passes only if the org ends identical to a fault-free run of the same input AND nothing went
wrong on the way: no duplicate object (by id, under any natural key), no moment at which a person
could reach two tenants (the emulator's access timeline), every run finished in the journal, and
every leaver recorded no later than its deactivation. Runs that fail without a kill are retried at
most MAX_FAILED times per day.

tests/test_chaos.py runs it small on SQLite; `make chaos` (bench/chaos.py) at full size on both
journals.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text

from genesys_emulator import RunningEmulator, running_emulator
from support import chaos_checks as checks
from support.chaos_org import STAFF, plant_orphans, tenant_divisions, write_org
from support.cli import apply_args, env_for, tenantry_cmd, writes
from support.pg import fresh_database
from tenantry.execution.journal import normalize_url
from tenantry.genesys.api.grants import ONE_GRANT

FAULTS = "429:0.05,500:0.03,503:0.03,timeout:0.03,reset:0.03,hang:0.3s,version:0.03,408:0.02"
# the platform's habits (issue 12): stale versions answered 400, listings and search lagging a create
QUIRKS = {"staleVersion400": 0.5, "indexLag": "300ms", "indexLagShare": 0.5}
# day 1's structure (divisions, groups, queues, OAuth clients) is built in a fault storm: many of
# its creates lose their answer after taking effect, which is what a blind create retry duplicates
STORM = "500:0.1,503:0.1,timeout:0.1,reset:0.1,hang:0.2s"
STRUCTURE_DONE = {"sso", "revoke", "people", "grant", "delete"}
RUN_TIMEOUT = 240.0  # an apply that takes longer is stuck: killed and counted as failed
CONSISTENCY = "0.2s"
MAX_FAILED = 3
# per day: where to kill. writes:N = after N API writes that day; phase:P = inside phase P;
# a trailing @worker kills the PostgreSQL worker instead of apply
FULL = (
    "writes:12,phase:groups,phase:oauth-clients,phase:people,phase:grant;"
    "writes:20,phase:revoke,phase:people,phase:grant;"
    "phase:revoke,phase:people,phase:grant"
)
FULL_PG = (
    "writes:12,phase:queues@worker,phase:people,phase:grant@worker;"
    "phase:revoke@worker,phase:people,phase:grant;"
    "phase:revoke,phase:people@worker,phase:grant"
)


@dataclass
class ChaosResult:
    people: int
    journal: str
    kills: list[str] = field(default_factory=list)  # where each landed
    missed: list[str] = field(default_factory=list)  # planned kills whose run ended first
    runs: int = 0
    failed_runs: int = 0
    stuck: list[str] = field(default_factory=list)  # runs that hung until RUN_TIMEOUT
    faults: dict[str, int] = field(default_factory=dict)
    orphans: dict[str, int] = field(default_factory=dict)  # people given orphaned grants after day 1
    single_revokes: int = 0  # one-grant DELETEs: the fallback when a bulkremove fails whole
    retries: int = 0
    client_calls: int = 0
    differences: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    double_access: list[str] = field(default_factory=list)
    journal_problems: list[str] = field(default_factory=list)
    gave_up: str = ""
    seconds: float = 0.0

    @property
    def problems(self) -> list[str]:
        out = [f"gave up: {self.gave_up}"] if self.gave_up else []
        out += [f"difference: {d}" for d in self.differences]
        out += [f"duplicate: {d}" for d in self.duplicates]
        out += [f"double access: {d}" for d in self.double_access]
        out += [f"journal: {d}" for d in self.journal_problems]
        out += [f"stuck: {d}" for d in self.stuck]
        return out

    @property
    def ok(self) -> bool:
        return not self.problems

    def table(self) -> str:
        faults = ", ".join(f"{k}: {v}" for k, v in sorted(self.faults.items())) or "none"
        rows = [
            f"### Chaos run: {self.people:,} people, {self.journal} journal, three days\n",
            "| figure | value |",
            "|---|---|",
            f"| emulator faults | `{FAULTS}`, consistency delay {CONSISTENCY}, quirks {QUIRKS} |",
            f"| faults injected | {sum(self.faults.values()):,} ({faults}) |",
            f"| orphaned grants planted after day 1 (people) | {self.orphans or 'none'}; "
            f"one-grant DELETEs (bulkremove fallback): {self.single_revokes} |",
            f"| SIGKILLs | {len(self.kills)} ({'; '.join(self.kills)}) |",
            f"| planned kills that found the run already over | {len(self.missed)} |",
            f"| apply runs (killed ones included) / failed without a kill "
            f"| {self.runs} / {self.failed_runs} |",
            f"| client calls / retries (completed runs) | {self.client_calls:,} / {self.retries:,} |",
            f"| duplicate objects (by id) | {len(self.duplicates)} |",
            f"| moments of two-tenant access (timeline) | {len(self.double_access)} |",
            f"| journal problems (unfinished runs, leavers without a prior record) "
            f"| {len(self.journal_problems)} |",
            f"| applies that hung (killed after {RUN_TIMEOUT:.0f} s, or 75 s when quick) "
            f"| {len(self.stuck)} |",
            f"| differences from the fault-free org | **{len(self.differences)}** |",
            f"| wall time | {self.seconds:.0f} s |",
        ]
        return "\n".join(rows) + "\n"


def _diff(a: object, b: object, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{path}/{k}: only in {'chaos' if k in a else 'reference'}")
            else:
                out += _diff(a[k], b[k], f"{path}/{k}")
        return out
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def comparable(summary: dict) -> dict:
    """The org as both runs should leave it: the chaos worker's own OAuth client aside."""
    summary.get("oauthClients", {}).pop("chaos-worker", None)
    return summary


def _env(emu: RunningEmulator, client: tuple[str, str] | None = None) -> dict[str, str]:
    return os.environ | env_for(emu, client)


def _apply(cfg: Path, feed: Path, journal: str) -> list[str]:
    return tenantry_cmd(*apply_args(journal, "--allow-mass-revoke", feed=feed, config=cfg))


def _single_revokes(emu: RunningEmulator) -> int:
    by = emu.stats()["calls"].get(f"DELETE {ONE_GRANT}", {})
    return sum(by.values())


def _writes(emu: RunningEmulator) -> int:
    return writes(emu.stats())


class Journal:
    """Read-only peeks at the journal while apply runs: which phases the current run reached."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(normalize_url(url))

    def phases_reached(self) -> set[str]:
        try:
            with self.engine.connect() as c:
                rows = c.execute(
                    text(
                        "SELECT DISTINCT b.phase FROM tenantry_batches b "
                        "JOIN tenantry_runs r ON r.id = b.run_id "
                        "WHERE r.status = 'running' AND b.status IN ('started', 'done', 'failed')"
                    )
                ).fetchall()
        except Exception:  # the tables may not exist yet
            return set()
        return {r[0] for r in rows}


@contextmanager
def _journal_url(kind: str, tmp: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp}/chaos.db"
        return
    with fresh_database("chaos") as url:
        yield url


class Driver:
    """Runs one day's apply until it succeeds, firing that day's kills on the way."""

    def __init__(
        self, emu: RunningEmulator, tmp: Path, cfg: Path, journal: str, result: ChaosResult, rng, seed: int
    ) -> None:
        self.emu, self.tmp, self.cfg, self.url, self.result, self.rng = emu, tmp, cfg, journal, result, rng
        self.seed = seed
        self.storm = False
        self.run_timeout = RUN_TIMEOUT
        self.peek = Journal(journal)
        self.worker: subprocess.Popen | None = None
        self.worker_client = (
            emu.new_admin_client("chaos-worker") if journal.startswith("postgresql") else None
        )
        self.env = _env(emu)

    def start_worker(self) -> None:
        if self.worker_client is not None:
            self.worker = subprocess.Popen(
                tenantry_cmd(
                    "worker", "--journal", self.url, "--name", f"w{self.result.runs}", "--concurrency", "4"
                ),
                env=_env(self.emu, self.worker_client),
                cwd=self.tmp,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )

    def stop_worker(self) -> None:
        if self.worker is not None and self.worker.poll() is None:
            self.worker.terminate()
            self.worker.wait(timeout=30)

    def fired(self, trigger: str, base_writes: int) -> bool:
        kind, _, arg = trigger.partition(":")
        if kind == "writes":
            return _writes(self.emu) - base_writes >= int(arg)
        return arg in self.peek.phases_reached()

    def set_storm(self, on: bool) -> None:
        if on != self.storm:
            self.count_faults()  # setting faults restarts the emulator's counters
            self.emu.set_faults(STORM if on else FAULTS, self.seed + self.result.runs)
            self.storm = on

    def count_faults(self) -> None:
        for k, v in self.emu.stats()["faults"].items():
            self.result.faults[k] = self.result.faults.get(k, 0) + v

    def day(self, n: int, feed: Path, kills: list[str]) -> None:
        base = _writes(self.emu)
        failed = 0
        self.set_storm(n == 1)
        while True:
            proc = subprocess.Popen(
                _apply(self.cfg, feed, self.url),
                env=self.env,
                cwd=self.tmp,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            self.result.runs += 1
            until = time.monotonic() + self.run_timeout
            killed_apply = self._watch(n, proc, kills, base)
            if killed_apply:
                continue
            try:
                out, err = proc.communicate(timeout=max(1.0, until - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                out, err = proc.communicate()
                err += f"\n(stuck for {self.run_timeout:.0f} s: killed)"
                self.result.stuck.append(f"day {n}: an apply hung for {self.run_timeout:.0f} s")
            self.set_storm(False)
            if proc.returncode == 0:
                data = json.loads(out[out.index("{") :]) if "{" in out else {}
                self.result.client_calls += data.get("client", {}).get("total_calls", 0)
                self.result.retries += data.get("client", {}).get("total_retries", 0)
                self.result.missed += [f"day {n}: {k}" for k in kills]
                kills.clear()
                return
            failed += 1
            self.result.failed_runs += 1
            if failed > MAX_FAILED:
                raise RuntimeError(f"day {n}: apply failed {failed} times without a kill: {err[-600:]}")

    def _watch(self, n: int, proc: subprocess.Popen, kills: list[str], base: int) -> bool:
        """Fire due kills while `proc` runs; True when apply itself was killed."""
        until = time.monotonic() + self.run_timeout  # then communicate() finds it hung
        while proc.poll() is None and (kills or self.storm) and time.monotonic() < until:
            if self.storm and self.peek.phases_reached() & STRUCTURE_DONE:
                self.set_storm(False)
            if not kills:
                time.sleep(0.02)
                continue
            trigger, _, target = kills[0].partition("@")
            if not self.fired(trigger, base):
                time.sleep(0.02)
                continue
            time.sleep(self.rng.uniform(0, 0.15))  # inside the phase, not at its first batch
            where = ",".join(sorted(self.peek.phases_reached())) or "before the first batch"
            kills.pop(0)
            if target == "worker" and self.worker is not None:
                self.worker.send_signal(signal.SIGKILL)
                self.worker.wait()
                self.result.kills.append(f"day {n} worker at {trigger}")
                self.start_worker()
                continue
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                self.result.kills.append(f"day {n} apply at {trigger} (phases reached: {where})")
                return True
        return False


def reference(emu: RunningEmulator, tmp: Path, cfg_path: Path, feeds: list[Path]) -> dict:
    """The org after the same days without faults or kills (in this process: it is not under test)."""
    import asyncio

    from tenantry.config.tenants import load as load_config
    from tenantry.execution.journal import Journal as RealJournal
    from tenantry.genesys import Credentials, GenesysClient, resolve_target
    from tenantry.genesys.snapshot import read_snapshot
    from tenantry.inputs.people import load as load_people
    from tenantry.services import tenants as svc

    cfg, journal = load_config(cfg_path), RealJournal(f"sqlite:///{tmp}/ref.db")

    async def day(feed: Path) -> None:
        creds = [Credentials.of(emu.client_id, emu.client_secret)]
        async with GenesysClient(resolve_target(emu.base_url), creds) as client:
            snap = await read_snapshot(client)
            plan = svc.plan_people(cfg, load_people(feed), snap, journal, feed=str(feed))
            out = await svc.apply_plan(plan, client, snap, journal, config=cfg, allow_mass_revoke=True)
            assert out.ok, (
                f"reference {feed.name} failed: {out.result and out.result.failed[:3]} {out.wrong[:3]}"
            )

    with contextlib.chdir(tmp):  # new OAuth clients' secrets land in tmp/tenantry-secrets
        for feed in feeds:
            asyncio.run(day(feed))
    journal.close()
    return emu.summary()


def run_chaos(
    people: int = 300,
    tenants: int = 4,
    seed: int = 7,
    journal: str = "sqlite",
    kills: str | None = None,
    rate: str = "150/1s",
    run_timeout: float = RUN_TIMEOUT,
) -> ChaosResult:
    rng = random.Random(seed)
    result = ChaosResult(people, journal)
    plan = kills or (FULL_PG if journal == "postgresql" else FULL)
    per_day = [[k for k in day.split(",") if k] for day in plan.split(";")]
    start = time.perf_counter()
    with (
        tempfile.TemporaryDirectory() as tmp_name,
        running_emulator(seed="empty", rate_limit=rate, token_rate_limit="100000/60s", process=True) as emu,
    ):
        tmp = Path(tmp_name)
        os.environ.setdefault("TENANTRY_PLAN_KEY", str(tmp / "plan.key"))
        cfg, feeds = write_org(tmp, people, tenants)
        expected = reference(emu, tmp, cfg, feeds)
        emu.reset("empty")
        since = emu.admin.get("/_emulator/timeline", params={"since": 0}).json()["next"]
        emu.admin.put("/_emulator/consistency", json={"delay": CONSISTENCY}).raise_for_status()
        emu.set_faults(FAULTS, seed)
        emu.set_quirks(**QUIRKS, seed=seed)
        with _journal_url(journal, tmp) as url:
            driver = Driver(emu, tmp, cfg, url, result, rng, seed)
            driver.run_timeout = run_timeout
            driver.start_worker()
            try:
                for n, feed in enumerate(feeds, 1):
                    driver.day(n, feed, per_day[n - 1] if n <= len(per_day) else [])
                    if n == 1:
                        driver.count_faults()  # setting faults restarts the emulator's counters
                        emu.set_faults(None)
                        result.orphans = plant_orphans(emu, people, tenants)
                        result.single_revokes = -_single_revokes(emu)
                        emu.set_faults(FAULTS, seed + 1000)
            except RuntimeError as exc:
                result.gave_up = str(exc)
            finally:
                driver.stop_worker()
            driver.count_faults()
            emu.set_faults(None)
            result.single_revokes += _single_revokes(emu)
            if not result.gave_up:
                leavers = {ln.split(",")[1] for ln in feeds[-1].read_text().splitlines() if ",leaver," in ln}
                result.journal_problems = checks.journal(url, emu, since, leavers)
            driver.peek.engine.dispose()
        result.differences = _diff(comparable(emu.summary()), expected)
        result.duplicates = checks.duplicates(emu)
        result.double_access = checks.double_access(emu, since, tenant_divisions(tenants), {STAFF})
    result.seconds = time.perf_counter() - start
    return result
