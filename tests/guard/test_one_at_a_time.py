"""Issue 11 #9: one apply at a time per org and journal, on SQLite and on the real PostgreSQL.

A second apply while one runs is refused naming the holder, or waits with --wait and then plans
afresh; processes opening a fresh journal at once never race to "table already exists".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from genesys_emulator import RunningEmulator
from support.cli import apply_args, env_for, spawn, tenantry_cmd


def wait_for_writes(emu: RunningEmulator, proc: subprocess.Popen, at_least: int = 5) -> None:
    """Until the first apply is writing (so it holds the lock), or it ended."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        calls = emu.stats()["calls"]
        if sum(n for k, by in calls.items() if k.startswith("POST") for n in by.values()) >= at_least:
            return
        time.sleep(0.1)
    raise AssertionError(f"the first apply never wrote: {proc.stderr.read() if proc.stderr else ''}")


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_second_apply_is_refused_naming_the_holder_or_waits(
    emu: RunningEmulator, tmp_path: Path, kind: str, request: pytest.FixtureRequest
) -> None:
    journal = f"sqlite:///{tmp_path / 'j.db'}" if kind == "sqlite" else request.getfixturevalue("pg_url")
    emu.set_rate_limit("25/1s")  # many seconds of writes: the second apply starts well before the end
    emu.admin.delete("/_emulator/stats")
    first = spawn(emu, tmp_path, *apply_args(journal))
    try:
        wait_for_writes(emu, first)
        second = subprocess.run(
            tenantry_cmd(*apply_args(journal)),
            env=first.args and os.environ | env_for(emu),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert first.poll() is None, "the first apply ended before the second was tried"
        assert second.returncode == 1
        said = json.loads(second.stdout)["error"]  # --json: the error is the one document on stdout
        assert "another tenantry run holds this org and journal" in said
        assert f"pid {first.pid}" in said
        waiting = spawn(emu, tmp_path, *apply_args(journal, "--wait", "300"))
        _out, err = first.communicate(timeout=300)
        assert first.returncode == 0, err[-2000:]
        w_out, w_err = waiting.communicate(timeout=300)
        assert waiting.returncode == 0, w_err[-2000:]
        assert json.loads(w_out[w_out.index("{") :])["done"] == 0  # it planned afresh: nothing left
    finally:
        for p in (first,):
            if p.poll() is None:
                p.kill()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_processes_opening_a_fresh_journal_at_once_do_not_race(
    tmp_path: Path, kind: str, request: pytest.FixtureRequest
) -> None:
    journal = f"sqlite:///{tmp_path / 'fresh.db'}" if kind == "sqlite" else request.getfixturevalue("pg_url")
    code = (
        "import sys, time; from tenantry.execution.journal import Journal\n"
        "t = float(sys.argv[2]); time.sleep(max(0, t - time.time())); Journal(sys.argv[1]).leaver_since()"
    )
    start = str(time.time() + 2.0)  # all of them create the tables at the same moment
    procs = [
        subprocess.Popen([sys.executable, "-c", code, journal, start], stderr=subprocess.PIPE, text=True)
        for _ in range(10)
    ]
    errors = [p.communicate(timeout=60)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 10, [e[-600:] for e in errors if e]
