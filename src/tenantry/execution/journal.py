"""The journal: what each apply did, batch by batch, in SQLite (default) or PostgreSQL.

Every batch is recorded before it runs (started) and after (done or failed). A run killed at
any point leaves batches `started` but not `done`; the next apply re-plans against a fresh
snapshot, and the journal tells which batches of a saved plan are already done. Leavers'
deactivation times live here too: deletion waits for the retention counted from them.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    create_engine,
    event,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from tenantry.execution.runlock import RunLock

metadata = MetaData()

runs = Table(
    "tenantry_runs",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("plan_id", String(64), nullable=False, index=True),
    Column("fingerprint", String(64), nullable=False),
    Column("started_at", Float, nullable=False),
    Column("finished_at", Float),
    Column("status", String(16), nullable=False),  # running | done | failed
    Column("summary", Text),
)

batches = Table(
    "tenantry_batches",
    metadata,
    Column("run_id", String(40), primary_key=True),
    Column("batch_id", String(40), primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("phase", String(32), nullable=False),
    Column("op", String(40), nullable=False),
    Column("target", Text, nullable=False),
    Column("tenant", String(120)),
    Column("status", String(16), nullable=False),  # planned | started | done | failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("worker", String(120)),
    Column("started_at", Float),
    Column("finished_at", Float),
    Column("error", Text),
    Column("result", Text),
)

leavers = Table(
    "tenantry_leavers",
    metadata,
    Column("email", String(320), primary_key=True),
    Column("since", Float, nullable=False),
    Column("deleted_at", Float),
)


managed = Table(
    "tenantry_managed",
    metadata,
    Column("kind", String(16), primary_key=True),  # division | group | queue | client
    Column("name", String(400), primary_key=True),
    Column("tenant", String(120), nullable=False),
    Column("first_seen", Float, nullable=False),
)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL with NORMAL sync: a commit survives the process being killed (what a resume needs)
    without an fsync per batch; only a power cut can lose the last few records, and a rerun
    re-plans from the org itself anyway."""
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def normalize_url(url: str) -> str:
    """`postgresql://` means psycopg 3 to SQLAlchemy; SQLite paths stay as given."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


_SCHEMA_LOCK = 7_463_202  # advisory lock id: one process migrates the journal's tables at a time
VERSION_TABLE = "tenantry_journal_alembic"
HEAD = "0001"  # the newest revision in execution/migrations (tests check they agree)
MIGRATIONS = Path(__file__).parent / "migrations"


def _current(c: Connection) -> bool:
    """At HEAD already: the common case, answered without importing Alembic."""
    if not inspect(c).has_table(VERSION_TABLE):
        return False
    return c.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar() == HEAD


_ALEMBIC = threading.Lock()  # Alembic's context is module-global: one migration per process at a time


def _migrate(c: Connection) -> None:
    from alembic import command
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = c
    insp = inspect(c)
    with _ALEMBIC:
        if not insp.has_table(VERSION_TABLE) and insp.has_table("tenantry_runs"):
            command.stamp(cfg, "0001")  # a journal an older tenantry made: its tables are revision 0001
        command.upgrade(cfg, "head")


def create_schema(engine: Engine) -> None:
    """The journal's tables, migrated to HEAD; safe when several processes open it at once.

    PostgreSQL serialises the check-then-migrate under an advisory lock; on SQLite a migration
    that loses a race ("already exists", "locked") is simply checked again. DDL is transactional
    on both, so a migration is applied whole or not at all.
    """
    if engine.dialect.name == "postgresql":
        with engine.begin() as c:
            if _current(c):
                return
            c.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SCHEMA_LOCK})
            if not _current(c):
                _migrate(c)
        return

    def migrate() -> None:
        with engine.begin() as c:
            if not _current(c):
                _migrate(c)

    retry_lost_race(migrate)


def retry_lost_race(create: Callable[[], None], attempts: int = 8) -> None:
    """SQLite has no advisory lock: a schema change that lost a race with another process
    ("already exists", "locked") is simply tried again, and then finds the work done."""
    for attempt in range(attempts):
        try:
            create()
            return
        except OperationalError as exc:
            if ("already exists" not in str(exc) and "locked" not in str(exc)) or attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


class Journal:
    def __init__(self, url: str, *, engine: Engine | None = None) -> None:
        self.url = url
        self.engine = engine or create_engine(normalize_url(url), future=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        create_schema(self.engine)
        self._leavers: set[str] | None = None  # cache of leaver emails, for forget_leaver

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def close(self) -> None:
        self.engine.dispose()

    def lock(self, org: str) -> RunLock:
        """The lock a run holds on `org` (its API base URL) in this journal: one apply at a time."""
        return RunLock(self.engine, self.url, org)

    # ---- runs -------------------------------------------------------------------------
    def start_run(
        self, plan_id: str, fingerprint: str, planned: Iterable[tuple[str, str, str, str, str | None]]
    ) -> str:
        """A new run with its batches as `planned` (batch id, phase, op, target, tenant)."""
        run_id = uuid.uuid4().hex
        now = time.time()
        with self.engine.begin() as c:
            c.execute(
                insert(runs).values(
                    id=run_id, plan_id=plan_id, fingerprint=fingerprint, started_at=now, status="running"
                )
            )
            rows = [
                dict(
                    run_id=run_id,
                    batch_id=b,
                    seq=i,
                    phase=p,
                    op=o,
                    target=t,
                    tenant=tn,
                    status="planned",
                    attempts=0,
                )
                for i, (b, p, o, t, tn) in enumerate(planned)
            ]
            if rows:
                c.execute(insert(batches), rows)
        return run_id

    def unfinished_run(self, plan_id: str) -> str | None:
        with self.engine.begin() as c:
            row = c.execute(
                select(runs.c.id)
                .where(runs.c.plan_id == plan_id, runs.c.status != "done")
                .order_by(runs.c.started_at.desc())
            ).first()
        return row[0] if row else None

    def run_status(self, run_id: str) -> str | None:
        """running | done | failed | interrupted (a newer run started) — None when unknown."""
        with self.engine.begin() as c:
            return c.execute(select(runs.c.status).where(runs.c.id == run_id)).scalar()

    def finish_run(self, run_id: str, status: str, summary: dict[str, Any]) -> None:
        with self.engine.begin() as c:
            c.execute(
                update(runs)
                .where(runs.c.id == run_id)
                .values(finished_at=time.time(), status=status, summary=json.dumps(summary))
            )

    def mark_interrupted(self) -> int:
        """Runs left `running` by a killed process are marked, so history tells the truth."""
        with self.engine.begin() as c:
            res = c.execute(update(runs).where(runs.c.status == "running").values(status="interrupted"))
        return res.rowcount or 0

    # ---- batches ----------------------------------------------------------------------
    # Built once: these run twice per batch, and building a statement costs more than running it.
    _STARTED = (
        update(batches)
        .where(batches.c.run_id == bindparam("r"), batches.c.batch_id == bindparam("b"))
        .values(
            status="started",
            started_at=bindparam("t"),
            worker=bindparam("w"),
            attempts=batches.c.attempts + 1,
        )
    )
    _DONE = (
        update(batches)
        .where(batches.c.run_id == bindparam("r"), batches.c.batch_id == bindparam("b"))
        .values(status="done", finished_at=bindparam("t"), error=None, result=bindparam("res"))
    )
    _FAILED = (
        update(batches)
        .where(batches.c.run_id == bindparam("r"), batches.c.batch_id == bindparam("b"))
        .values(status="failed", finished_at=bindparam("t"), error=bindparam("e"))
    )

    def batch_started(self, run_id: str, batch_id: str, worker: str = "") -> None:
        with self.engine.begin() as c:
            c.execute(self._STARTED, {"r": run_id, "b": batch_id, "t": time.time(), "w": worker})

    def batch_done(self, run_id: str, batch_id: str, result: dict[str, Any] | None = None) -> None:
        with self.engine.begin() as c:
            c.execute(
                self._DONE, {"r": run_id, "b": batch_id, "t": time.time(), "res": json.dumps(result or {})}
            )

    def batch_failed(self, run_id: str, batch_id: str, error: str) -> None:
        with self.engine.begin() as c:
            c.execute(self._FAILED, {"r": run_id, "b": batch_id, "t": time.time(), "e": error[:2000]})

    def batch_statuses(self, run_id: str) -> dict[str, str]:
        with self.engine.begin() as c:
            rows = c.execute(select(batches.c.batch_id, batches.c.status).where(batches.c.run_id == run_id))
            return {r[0]: r[1] for r in rows}

    def batch_rows(self, run_id: str) -> list[dict[str, Any]]:
        with self.engine.begin() as c:
            rows = c.execute(select(batches).where(batches.c.run_id == run_id).order_by(batches.c.seq))
            return [dict(r._mapping) for r in rows]

    # ---- leavers and created objects ----------------------------------------------------
    def leaver_since(self) -> dict[str, float]:
        with self.engine.begin() as c:
            rows = c.execute(select(leavers.c.email, leavers.c.since).where(leavers.c.deleted_at.is_(None)))
            return {r[0]: r[1] for r in rows}

    def mark_leaver(self, email: str, since: float | None = None, *, restart: bool = False) -> None:
        """Start a leaver's retention clock (kept if it already runs, unless `restart`)."""
        when = since or time.time()
        with self.engine.begin() as c:
            have = c.execute(select(leavers.c.email).where(leavers.c.email == email)).first()
            if self._leavers is not None:
                self._leavers.add(email)
            if have is None:
                c.execute(insert(leavers).values(email=email, since=when))
            elif restart:
                c.execute(update(leavers).where(leavers.c.email == email).values(since=when, deleted_at=None))
            else:
                c.execute(update(leavers).where(leavers.c.email == email).values(deleted_at=None))

    def forget_leaver(self, email: str) -> None:
        """A re-joiner: its next departure starts a new retention period."""
        if self._leavers is None:
            self._leavers = set(self.leaver_since())
        if email not in self._leavers:
            return  # the common case (a joiner): no write at all
        with self.engine.begin() as c:
            c.execute(leavers.delete().where(leavers.c.email == email))
        self._leavers.discard(email)

    # ---- what tenantry manages -------------------------------------------------------
    def remember(self, objects: Iterable[tuple[str, str, str]]) -> None:
        """(kind, name, tenant) of objects tenantry manages: they stay managed (their members are
        taken away from people of other tenants) even after their tenant leaves tenants.yaml."""
        have = {(k, n): t for k, n, t in self.managed()}
        new = [(k, n, t) for k, n, t in objects if have.get((k, n)) != t]
        if not new:
            return
        now = time.time()
        with self.engine.begin() as c:
            for k, n, t in new:
                c.execute(managed.delete().where(managed.c.kind == k, managed.c.name == n))
                c.execute(insert(managed).values(kind=k, name=n, tenant=t, first_seen=now))

    def managed(self) -> list[tuple[str, str, str]]:
        with self.engine.begin() as c:
            return [
                (r[0], r[1], r[2])
                for r in c.execute(select(managed.c.kind, managed.c.name, managed.c.tenant))
            ]

    def mark_deleted(self, email: str) -> None:
        with self.engine.begin() as c:
            c.execute(update(leavers).where(leavers.c.email == email).values(deleted_at=time.time()))
