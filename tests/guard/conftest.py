"""Fixtures for the guard-rail tests: the emulator over real HTTP, the CLI as a script sees it,
the machine's PostgreSQL, and a plan-signing key of the test's own."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from genesys_emulator import RunningEmulator
from tenantry.cli.main import app
from tenantry.config import tenants as config
from tenantry.execution.journal import Journal
from tenants.conftest import EXAMPLE, Tenantry, writes

__all__ = ["EXAMPLE", "TENANTS", "Tenantry", "env_for", "writes"]

TENANTS, DAY1, DAY2 = EXAMPLE / "tenants.yaml", EXAMPLE / "people.csv", EXAMPLE / "people-day2.csv"


def env_for(emu: RunningEmulator, client: tuple[str, str] | None = None) -> dict[str, str]:
    cid, secret = client or (emu.client_id, emu.client_secret)
    return {
        "GENESYSCLOUD_OAUTHCLIENT_ID": cid,
        "GENESYSCLOUD_OAUTHCLIENT_SECRET": secret,
        "GENESYSCLOUD_API_REGION": emu.base_url,
    }


@pytest.fixture(autouse=True)
def plan_key(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path_factory.mktemp("key") / "plan.key"
    monkeypatch.setenv("TENANTRY_PLAN_KEY", str(path))
    return path


@pytest.fixture
def tenantry(emu: RunningEmulator, tmp_path: Path) -> Tenantry:
    return Tenantry(emu, Journal(f"sqlite:///{tmp_path / 'journal.db'}"), config.load(TENANTS))


@pytest.fixture
def journal_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'j.db'}"


@pytest.fixture
def cli(emu: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, journal_url: str) -> Callable:
    """`tenantry …` in-process, in tmp_path, against the emulator, with the test's journal."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def run(*args: str, journal: bool = True):
        extra = ["--journal", journal_url] if journal else []
        return runner.invoke(app, [*args, *extra], env=env_for(emu), catch_exceptions=False)

    return run


def spawn(
    emu: RunningEmulator, cwd: Path, *args: str, client: tuple[str, str] | None = None
) -> subprocess.Popen:
    """`tenantry …` as a separate process (what kill -9 and races need)."""
    return subprocess.Popen(
        [sys.executable, "-m", "tenantry.cli.main", *args],
        env=os.environ | env_for(emu, client),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
