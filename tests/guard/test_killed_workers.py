"""Issue 11 #10 on the real PostgreSQL: kill -9 of a worker, and of apply with its in-process worker.

Workers send procrastinate heartbeats; the coordinator retries the jobs of a worker whose heartbeat
stopped, so the run still finishes; and the jobs of a superseded run never run their batch.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import psycopg

from genesys_emulator import RunningEmulator
from support.cli import DAY1, DAY2, TENANTS, apply_args, env_for, spawn, tenantry_cmd, wait_until, writes
from tenantry.execution.journal import Journal


def written(emu: RunningEmulator) -> int:
    return writes(emu.stats())


def test_a_killed_workers_jobs_are_retried_and_the_run_finishes(
    emu: RunningEmulator, tmp_path: Path, pg_url: str
) -> None:
    emu.set_rate_limit("60/1s")
    emu.admin.delete("/_emulator/stats")
    w1 = spawn(
        emu, tmp_path, "worker", "--journal", pg_url, "--name", "w1", client=emu.new_admin_client("w1")
    )
    coordinator = spawn(emu, tmp_path, *apply_args(pg_url, "--no-local-worker"))
    w2 = None
    try:
        wait_until(lambda: written(emu) >= 20)
        w1.send_signal(signal.SIGKILL)
        w1.wait()
        w2 = spawn(
            emu, tmp_path, "worker", "--journal", pg_url, "--name", "w2", client=emu.new_admin_client("w2")
        )
        out, err = coordinator.communicate(timeout=150)
        assert coordinator.returncode == 0, err[-2000:] + out[-3000:]
    finally:
        for p in (w1, w2, coordinator):
            if p is not None and p.poll() is None:
                p.kill()
    rows = (
        Journal(pg_url)
        .engine.connect()
        .exec_driver_sql("select status, worker from tenantry_batches")
        .fetchall()
    )
    assert {r[0] for r in rows} == {"done"}
    assert {r[1] for r in rows} == {"w1", "w2"}
    emu.set_rate_limit("100000/60s")
    again = subprocess.run(
        tenantry_cmd(
            "plan", "-c", str(TENANTS), "--people", str(DAY1), "--journal", pg_url, "--detailed-exitcode"
        ),
        env=os.environ | env_for(emu),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]


def _pending_jobs(pg_url: str) -> int:
    """procrastinate jobs waiting or running; 0 before the queue's tables exist."""
    try:
        with psycopg.connect(pg_url) as conn:
            row = conn.execute(
                "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
            ).fetchone()
    except psycopg.Error:
        return 0
    return int(row[0]) if row else 0


def test_jobs_of_a_killed_apply_never_run_after_a_newer_plan(
    emu: RunningEmulator, tmp_path: Path, pg_url: str
) -> None:
    emu.set_rate_limit("60/1s")
    emu.admin.delete("/_emulator/stats")
    killed = spawn(emu, tmp_path, *apply_args(pg_url))
    # mid-phase: some writes done and jobs still queued (not between two phases, when none are)
    wait_until(lambda: written(emu) >= 20 and _pending_jobs(pg_url) > 0)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    killed_at = time.time()
    with psycopg.connect(pg_url) as conn:
        left = dict(
            conn.execute("SELECT status, count(*) FROM procrastinate_jobs GROUP BY status").fetchall()
        )
        old_run = conn.execute("SELECT id FROM tenantry_runs").fetchone()[0]
    assert left.get("doing", 0) + left.get("todo", 0) > 0, left  # the kill left jobs behind
    newer = spawn(emu, tmp_path, *apply_args(pg_url, "--allow-mass-revoke", feed=DAY2))
    start = time.monotonic()
    _out, err = newer.communicate(timeout=200)
    assert newer.returncode == 0, err[-2000:]
    assert time.monotonic() - start < 150  # not the 300 s stall
    with psycopg.connect(pg_url) as conn:
        late = conn.execute(
            "SELECT op, target FROM tenantry_batches WHERE run_id = %s AND started_at > %s",
            (old_run, killed_at),
        ).fetchall()
        stuck = conn.execute(
            "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('doing', 'todo')"
        ).fetchone()
    assert late == []  # no batch of the superseded run ran after the newer plan took over
    assert stuck[0] == 0


def test_no_batch_finished_says_what_is_wrong(tenantry, pg_url: str) -> None:
    """No worker at all: the message names the live workers (none) and the jobs waiting."""
    import asyncio

    import pytest

    from tenantry.execution.distributed import execute_distributed
    from tenantry.execution.executor import Guard

    plan = tenantry.plan(DAY1)
    with pytest.raises(TimeoutError) as caught:
        asyncio.run(execute_distributed(plan, Journal(pg_url), Guard(), idle_timeout=2))
    message = str(caught.value)
    assert "0 worker(s) alive" in message and "todo" in message
    assert "start `tenantry worker" in message
