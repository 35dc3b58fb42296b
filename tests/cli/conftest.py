"""The real commands against the session emulator: in-process (typer's runner) or as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from genesys_emulator import RunningEmulator
from support import cli as support_cli
from support.cli import DAY1, DAY2, EXAMPLE, TENANTS, writes
from tenantry.cli.main import app

__all__ = ["DAY1", "DAY2", "EXAMPLE", "TENANTS", "writes"]

NO_CREDENTIALS = {
    "GENESYSCLOUD_OAUTHCLIENT_ID": None,
    "GENESYSCLOUD_OAUTHCLIENT_SECRET": None,
    "GENESYSCLOUD_REGION": None,
    "GENESYSCLOUD_API_REGION": None,
    "TENANTRY_GENESYS_CONFIG": "/nonexistent/genesys.toml",
}


def env_for(emu: RunningEmulator) -> dict[str, str]:
    """The emulator's credentials, and no profiles file of the user's."""
    return support_cli.env_for(emu) | {"TENANTRY_GENESYS_CONFIG": "/nonexistent/genesys.toml"}


Run = Callable[..., Result]


@pytest.fixture
def run(emu: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    """`run("plan", …)`: the real app in-process, credentials of the emulator, a journal in tmp_path."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args: str, env: dict | None = None, input: str | None = None) -> Result:
        return runner.invoke(
            app, list(args), env=env_for(emu) | (env or {}), input=input, catch_exceptions=False
        )

    return invoke


@pytest.fixture
def journal(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'j.db'}"


@pytest.fixture
def applied(run: Run, journal: str) -> Run:
    """The example's day-1 feed applied through the CLI."""
    r = run(
        "apply", "-c", str(TENANTS), "--people", str(DAY1), "--auto-approve", "--journal", journal, "--json"
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["ok"] is True
    return run


def subprocess_run(
    emu: RunningEmulator | None,
    *args: str,
    columns: int = 80,
    env: dict | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess:
    """The installed entry point as a script runs it: a pipe, COLUMNS set, no terminal."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("GENESYSCLOUD_")}
    full = base | {"COLUMNS": str(columns)} | (env_for(emu) if emu else {}) | (env or {})
    return subprocess.run(
        support_cli.tenantry_cmd(*args),
        env={k: v for k, v in full.items() if v is not None},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
