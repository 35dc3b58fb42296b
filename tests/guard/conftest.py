"""Fixtures for the guard-rail tests: the emulator over real HTTP, the CLI as a script sees it,
the machine's PostgreSQL, and a plan-signing key of the test's own."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from genesys_emulator import RunningEmulator
from support.cli import DAY1, DAY2, EXAMPLE, TENANTS, env_for, spawn, writes
from tenantry.cli.main import app
from tenantry.config import tenants as config
from tenantry.execution.journal import Journal
from tenants.conftest import Tenantry

__all__ = ["DAY1", "DAY2", "EXAMPLE", "TENANTS", "Tenantry", "env_for", "spawn", "writes"]


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
