"""Several `tenantry serve` replicas on one PostgreSQL store: a lock per person across processes.

Behind a load balancer, an IdP's two PATCHes of one move can reach two replicas, each of which
then queues a reconcile of the same person. A PostgreSQL advisory lock per person (taken in a
stable order, held for the whole reconcile) runs them one after the other, and each re-reads its
people in the org index before planning, so it plans from what the other replica left. The
batches themselves are procrastinate jobs run by `tenantry worker`s (execution/distributed.py).
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import AsyncIterator, Iterable

import psycopg

from tenantry.execution.distributed import conninfo


def lock_key(email: str) -> int:
    """A signed 64-bit advisory lock key for a person."""
    return int.from_bytes(
        hashlib.sha256(b"tenantry-bridge:" + email.encode()).digest()[:8], "big", signed=True
    )


@contextlib.asynccontextmanager
async def people_locked(journal_url: str, emails: Iterable[str]) -> AsyncIterator[None]:
    """Hold every person's advisory lock (sorted keys: no deadlock between replicas)."""
    keys = sorted({lock_key(e) for e in emails})
    async with await psycopg.AsyncConnection.connect(conninfo(journal_url), autocommit=True) as conn:
        for k in keys:
            await conn.execute("SELECT pg_advisory_lock(%s)", (k,))
        try:
            yield
        finally:
            for k in reversed(keys):
                await conn.execute("SELECT pg_advisory_unlock(%s)", (k,))
