"""Scale-out on the real PostgreSQL server: two `tenantry worker` processes share one journal.

Each worker runs as its own OAuth client. Every batch runs exactly once, phases stay in order,
and the org ends exactly as an in-process (SQLite) apply of the same plan leaves it.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import psycopg
from prometheus_client.parser import text_string_to_metric_families

from genesys_emulator import RunningEmulator
from support.cli import spawn, wait_until
from tenantry.execution.distributed import execute_distributed
from tenantry.execution.executor import Guard
from tenantry.execution.journal import Journal
from tenantry.planning.plan import PHASES

from .conftest import EXAMPLE, Tenantry


def test_two_workers_run_every_batch_exactly_once(
    emu: RunningEmulator, tenantry: Tenantry, pg_url: str, tmp_path: Path
) -> None:
    reference_plan, _ = tenantry.apply(EXAMPLE / "people.csv")
    reference = emu.summary()
    emu.reset("demo")
    plan = tenantry.plan(EXAMPLE / "people.csv")
    assert plan.changes == reference_plan.changes
    journal = Journal(pg_url)
    workers = []
    try:
        for n in (1, 2):
            cid, secret = emu.new_admin_client(f"worker-{n}")
            env = os.environ | {
                "GENESYSCLOUD_OAUTHCLIENT_ID": cid,
                "GENESYSCLOUD_OAUTHCLIENT_SECRET": secret,
                "GENESYSCLOUD_API_REGION": emu.base_url,
            }
            workers.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "tenantry.cli.main",
                        "worker",
                        "--journal",
                        pg_url,
                        "--name",
                        f"w{n}",
                        "--concurrency",
                        "4",
                    ],
                    env=env,
                    cwd=tmp_path,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
            )
        guard = Guard(frozenset(plan.settings["org_admins"]), frozenset(plan.settings["protected"]))
        result = asyncio.run(execute_distributed(plan, journal, guard, idle_timeout=60))
    finally:
        for w in workers:
            w.terminate()
        errors = [w.communicate(timeout=20)[1].decode()[-1500:] for w in workers]
    assert result.ok, (result.failed[:3], errors)
    assert result.done == plan.changes
    rows = journal.batch_rows(result.run_id)
    assert len(rows) == plan.changes
    assert all(r["status"] == "done" and r["attempts"] == 1 for r in rows)
    assert {r["worker"] for r in rows} == {"w1", "w2"}
    # phases in order: no batch started before every batch of the previous phase finished
    by_phase: dict[str, list[dict]] = {}
    for r in rows:
        by_phase.setdefault(r["phase"], []).append(r)
    present = [p for p in PHASES if p in by_phase]
    for earlier, later in itertools.pairwise(present):
        assert max(r["finished_at"] for r in by_phase[earlier]) <= min(
            r["started_at"] for r in by_phase[later]
        )
    with psycopg.connect(pg_url) as conn:
        jobs = conn.execute("SELECT status, count(*) FROM procrastinate_jobs GROUP BY status").fetchall()
    assert dict(jobs) == {"succeeded": plan.changes}
    assert emu.summary() | {"oauthClients": None} == reference | {"oauthClients": None}
    assert max(tenantry.users_by_email().values()) == 1


def test_a_worker_serves_its_metrics(
    emu: RunningEmulator, tenantry: Tenantry, pg_url: str, tmp_path: Path
) -> None:
    """A long-lived worker is scraped like `serve`: its own API calls show on its /metrics."""

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    plan = tenantry.plan(EXAMPLE / "people.csv")
    worker = spawn(emu, tmp_path, "worker", "--journal", pg_url, "--metrics-port", str(port))
    url = f"http://127.0.0.1:{port}/metrics"

    def up() -> bool:
        try:
            return httpx.get(url, timeout=1).status_code == 200
        except httpx.TransportError:
            assert worker.poll() is None, worker.communicate()[1][-1500:]
            return False

    try:
        wait_until(up, timeout=30)
        guard = Guard(frozenset(plan.settings["org_admins"]), frozenset(plan.settings["protected"]))
        result = asyncio.run(execute_distributed(plan, Journal(pg_url), guard, idle_timeout=60))
        assert result.ok, result.failed[:3]
        families = {f.name: f for f in text_string_to_metric_families(httpx.get(url, timeout=5).text)}
    finally:
        worker.terminate()
        worker.communicate(timeout=20)
    calls = families["tenantry_genesys_api_calls"].samples
    created = sum(s.value for s in calls if s.labels.get("method") == "POST" and s.name.endswith("_total"))
    assert created > 0  # the worker made the writes; the apply process only handed them out
