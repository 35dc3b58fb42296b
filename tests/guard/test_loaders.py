"""Issue 11 #8 (membership patterns cannot backtrack catastrophically) and #15 (no traceback for a
control character, deep nesting, a huge CSV field: a file:line error, exit 1, nothing applied)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from genesys_emulator import RunningEmulator

from .conftest import DAY1, env_for, writes
from .test_rails import copy_example


def test_a_backtracking_pattern_costs_no_time(emu: RunningEmulator, tmp_path: Path) -> None:
    cfg = copy_example(
        tmp_path, lambda t: t.replace('{pattern: "(?i)supervisor|team lead"}', r"{pattern: '^(\w+\s?)*$'}")
    )
    feed = tmp_path / "people.csv"
    rows = DAY1.read_text().splitlines()
    globex = next(r for r in rows if ",GLOBEX," in r and r.endswith(",Agent"))  # the rule is GLOBEX's
    feed.write_text("\n".join([rows[0], globex.replace(",Agent", "," + "An" * 14 + "!")]) + "\n")
    assert len("An" * 14 + "!") == 29
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "tenantry.cli.main", "plan", "-c", str(cfg), "--people", str(feed)],
        env=os.environ | env_for(emu),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert time.monotonic() - start < 15  # Python's re: minutes for this one title


def test_a_pattern_the_linear_engine_refuses_is_a_file_error(cli, tmp_path: Path) -> None:
    cfg = copy_example(tmp_path, lambda t: t.replace('"(?i)supervisor|team lead"', r"'(lead)\1'"))
    r = cli("plan", "-c", str(cfg), "--people", str(DAY1))
    assert r.exit_code == 1
    assert "tenants.yaml:57: tenants.globex.groups.Supervisors.members.0.title.pattern" in r.stderr
    assert "back-references" in r.stderr


@pytest.mark.parametrize(
    "which,message",
    [
        ("control", "tenants.yaml:23: not valid YAML: special characters are not allowed"),
        ("nested-yaml", "tenants.yaml:84: not valid here: nested deeper than"),
        ("nested-jsonl", "people.jsonl:1: not valid JSON: nested too deeply"),
        ("big-csv", "people.csv:3: not valid CSV: field larger than field limit"),
    ],
)
def test_hostile_input_files_are_file_line_errors(
    cli, emu: RunningEmulator, tmp_path: Path, which: str, message: str
) -> None:
    cfg = copy_example(tmp_path)
    text = cfg.read_text()
    feed = tmp_path / "people.csv"
    feed.write_text(DAY1.read_text())
    if which == "control":
        cfg.write_text(text.replace("Claims and policy", "Claims\x07 and policy"))
    elif which == "nested-yaml":
        cfg.write_text(text + "\nextra: " + "[" * 5000 + "]" * 5000 + "\n")
    elif which == "nested-jsonl":
        feed = tmp_path / "people.jsonl"
        feed.write_text('{"email": "a@b.example", "x": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    else:
        rows = DAY1.read_text().splitlines()
        feed.write_text("\n".join([*rows[:2], rows[2].replace(",Agent", "," + "A" * 140_000)]) + "\n")
    emu.admin.delete("/_emulator/stats")
    for command in ("plan", "apply"):
        extra = ["--auto-approve"] if command == "apply" else []
        r = cli(command, "-c", str(cfg), "--people", str(feed), *extra)
        assert r.exit_code == 1, r.output
        assert message in r.stderr, r.stderr
        assert "Traceback" not in r.output
    assert writes(emu.stats()) == 0
