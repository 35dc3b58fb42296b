"""Shared fixtures: one emulator for the session, reset to its seed before each test that uses it;
a PostgreSQL database of its own for each test that asks for one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from genesys_emulator import RunningEmulator, running_emulator
from support.pg import fresh_database

EXAMPLE_STATE = ("tenantry.db", "tenantry-secrets")  # what a run writes next to examples/bpo/tenants.yaml


@pytest.fixture(scope="session", autouse=True)
def _clean_example_folder() -> Iterator[None]:
    """The journal and new client secrets default to the folder of tenants.yaml: tests that apply the
    example itself write there. Start and leave the source tree as found."""
    import shutil
    from pathlib import Path

    folder = Path(__file__).resolve().parents[1] / "examples" / "bpo"

    def clean() -> None:
        for name in EXAMPLE_STATE:
            p = folder / name
            shutil.rmtree(p) if p.is_dir() else p.unlink(missing_ok=True)

    clean()
    yield
    clean()


@pytest.fixture(autouse=True)
def plan_key(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Saved plans are signed with a key of the test's own, never the user's."""
    path = tmp_path_factory.mktemp("key") / "plan.key"
    monkeypatch.setenv("TENANTRY_PLAN_KEY", str(path))
    return path


@pytest.fixture(scope="session")
def emulator_session() -> Iterator[RunningEmulator]:
    with running_emulator(seed="demo", rate_limit="100000/60s", token_rate_limit="100000/60s") as emu:
        yield emu


@pytest.fixture
def emu(emulator_session: RunningEmulator) -> RunningEmulator:
    """The session emulator, freshly seeded with `demo`, no faults, a generous rate limit."""
    emulator_session.set_faults(None)
    emulator_session.set_rate_limit("100000/60s")
    emulator_session.admin.put("/_emulator/consistency", json={"delay": 0}).raise_for_status()
    emulator_session.reset("demo")
    return emulator_session


@pytest.fixture
def api(emu: RunningEmulator) -> Iterator[httpx.Client]:
    """A plain HTTP client holding the admin client's bearer token."""
    headers = {"Authorization": f"Bearer {emu.token()}"}
    with httpx.Client(base_url=emu.base_url, headers=headers, timeout=30) as c:
        yield c


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh database on the machine's PostgreSQL, dropped afterwards (tests/support/pg.py)."""
    try:
        with fresh_database() as url:
            yield url
    except psycopg.OperationalError as exc:  # the machine promises this server: say so loudly if absent
        pytest.fail(f"PostgreSQL at 127.0.0.1:5432 is not reachable: {exc}")
