"""One apply at a time per org and journal.

Two applies (or `serve` reconciles and an apply) planning from one snapshot each and writing into
one org interleave their revokes and grants; people end in two tenants. So every run holds a lock
for its whole length:

* PostgreSQL: a session advisory lock keyed by the org, on a connection of its own. The server
  releases it when that connection ends, so a kill -9 never leaves it behind.
* SQLite: an exclusive `flock` on a file beside the database; the kernel releases it with the
  process, so a kill -9 never leaves it behind either.

Who holds it (host, pid, command, since) is written beside the lock, so the second apply can say.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import json
import os
import socket
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Float, MetaData, String, Table, delete, insert, select, text
from sqlalchemy.engine import Connection, Engine

lock_meta = MetaData()
holders = Table(
    "tenantry_lock_holders",
    lock_meta,
    Column("org", String(64), primary_key=True),
    Column("holder", String(400), nullable=False),
    Column("since", Float, nullable=False),
)


class Busy(Exception):
    """Another run holds the lock of this org and journal."""

    def __init__(self, holder: str) -> None:
        self.holder = holder
        super().__init__(
            f"another tenantry run holds this org and journal: {holder}; wait for it (apply --wait) "
            "or stop it"
        )


def org_key(org: str) -> str:
    return hashlib.sha256(org.encode()).hexdigest()[:32]


def me(purpose: str) -> str:
    cmd = " ".join(Path(a).name if i == 0 else a for i, a in enumerate(sys.argv[:3]))
    return (
        f"{purpose} by pid {os.getpid()} on {socket.gethostname()} ({cmd}), since {time.strftime('%H:%M:%S')}"
    )


class RunLock:
    """try_acquire() → None when held by us, else the holder's description; release() when done."""

    def __init__(self, engine: Engine, url: str, org: str) -> None:
        self.engine, self.url, self.key = engine, url, org_key(org)
        self._conn: Connection | None = None
        self._fd: int | None = None

    # ---- PostgreSQL ---------------------------------------------------------------------
    def _pg_try(self, holder: str) -> str | None:
        conn = self.engine.connect()
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _int64(self.key)}).scalar()
        conn.commit()
        if not got:
            conn.close()
            return self._holder() or "another run (its description is not recorded yet)"
        self._conn = conn
        lock_meta.create_all(conn)
        conn.execute(delete(holders).where(holders.c.org == self.key))
        conn.execute(insert(holders).values(org=self.key, holder=holder, since=time.time()))
        conn.commit()
        return None

    def _holder(self) -> str | None:
        with contextlib.suppress(Exception), self.engine.connect() as c:
            return c.execute(select(holders.c.holder).where(holders.c.org == self.key)).scalar()
        return None

    # ---- SQLite -------------------------------------------------------------------------
    def _file(self) -> Path | None:
        db = self.engine.url.database
        if not db or db == ":memory:":
            return None
        return Path(f"{db}.{self.key[:12]}.lock")

    def _file_try(self, holder: str) -> str | None:
        path = self._file()
        if path is None:
            return None
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            with contextlib.suppress(OSError):
                return json.loads(path.read_text() or "{}").get("holder") or "another run"
            return "another run"
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"holder": holder}).encode())
        self._fd = fd
        return None

    # ---- both ---------------------------------------------------------------------------
    def try_acquire(self, holder: str) -> str | None:
        if self.engine.dialect.name == "postgresql":
            return self._pg_try(holder)
        return self._file_try(holder)

    def release(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.execute(delete(holders).where(holders.c.org == self.key))
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _int64(self.key)})
                self._conn.commit()
            self._conn.close()
            self._conn = None
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None


def _int64(key: str) -> int:
    return int.from_bytes(bytes.fromhex(key[:16]), "big", signed=True)


@contextlib.asynccontextmanager
async def holding(lock: RunLock, holder: str, *, wait: float = 0.0, poll: float = 0.5) -> AsyncIterator[Any]:
    """Hold `lock` for the block. Busy at once (wait 0), or after `wait` seconds of trying."""
    deadline = time.monotonic() + wait
    while (other := await asyncio.to_thread(lock.try_acquire, holder)) is not None:
        if time.monotonic() >= deadline:
            raise Busy(other)
        await asyncio.sleep(poll)
    try:
        yield lock
    finally:
        await asyncio.to_thread(lock.release)
