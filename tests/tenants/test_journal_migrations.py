"""The journal's tables come from Alembic migrations: a fresh journal is migrated to head, one an
older tenantry made (tables, no version table) is stamped and keeps its rows, the migrations
build exactly what the code's metadata describes, and processes opening a fresh journal at once
all succeed — on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from tenantry.execution import journal as jm
from tenantry.execution.journal import HEAD, MIGRATIONS, VERSION_TABLE, Journal, normalize_url


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'journal.db'}"
    return str(request.getfixturevalue("pg_url"))


def test_head_is_the_newest_migration() -> None:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(cfg).get_current_head() == HEAD


def test_a_fresh_journal_is_migrated_to_what_the_code_describes(url: str) -> None:
    j = Journal(url)
    with j.engine.connect() as c:
        assert c.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar() == HEAD
        diff = compare_metadata(MigrationContext.configure(c), jm.metadata)
    assert [d for d in diff if not (d[0] == "remove_table" and d[1].name == VERSION_TABLE)] == []


def test_a_journal_made_before_migrations_is_stamped_and_keeps_its_rows(url: str) -> None:
    engine = create_engine(normalize_url(url))
    jm.metadata.create_all(engine)  # what every earlier tenantry did
    with engine.begin() as c:
        c.execute(jm.leavers.insert().values(email="old.leaver@bpo.example", since=1.0))
    j = Journal(url)
    assert j.leaver_since() == {"old.leaver@bpo.example": 1.0}
    with j.engine.connect() as c:
        assert c.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar() == HEAD


def test_processes_opening_a_fresh_journal_at_once_all_succeed(url: str) -> None:
    code = (
        "import sys; from tenantry.execution.journal import Journal; "
        "Journal(sys.argv[1]).start_run('plan', 'fp', [])"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, url], stderr=subprocess.PIPE, text=True)
        for _ in range(5)
    ]
    errors = [err[-800:] for p in procs if (err := p.communicate(timeout=60)[1]) and p.returncode]
    assert errors == []
    with Journal(url).engine.connect() as c:
        assert c.execute(text(f"SELECT count(*) FROM {VERSION_TABLE}")).scalar() == 1
        assert c.execute(text("SELECT count(*) FROM tenantry_runs")).scalar() == 5


def test_threads_of_one_process_open_a_fresh_journal_at_once(url: str) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def open_it() -> None:
        try:
            start.wait()
            Journal(url)
        except BaseException as exc:  # collected, asserted below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
