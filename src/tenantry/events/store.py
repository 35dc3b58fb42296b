"""Events and webhook deliveries kept in the journal's database (SQLite or PostgreSQL).

Tables of their own (`tenantry_events`, `tenantry_deliveries`) on the journal's URL: an event
is written with one pending delivery per subscriber that wants its type, in one transaction, so
a delivery is never lost between "it happened" and "it was sent". A delivery stays until it is
delivered; after its last attempt it is `failed`, listed by `tenantry events failed`, and
`replay` puts it back in line. The secret of a subscriber is never stored: only its URL.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    create_engine,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import Engine

from tenantry.execution.journal import normalize_url, retry_lost_race

metadata = MetaData()

events = Table(
    "tenantry_events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(64), nullable=False, unique=True),
    Column("type", String(120), nullable=False, index=True),
    Column("subject", String(320), nullable=False, index=True),
    Column("tenant", String(120)),
    Column("run_id", String(40), index=True),
    Column("at", Float, nullable=False),
    Column("body", Text, nullable=False),
)

deliveries = Table(
    "tenantry_deliveries",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(64), nullable=False, index=True),
    Column("url", Text, nullable=False),
    Column("status", String(16), nullable=False, index=True),  # pending | delivered | failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_at", Float, nullable=False),
    Column("last_status", String(16)),
    Column("last_error", Text),
    Column("created_at", Float, nullable=False),
    Column("delivered_at", Float),
)


@dataclass(frozen=True, slots=True)
class Delivery:
    seq: int
    event_id: str
    url: str
    status: str
    attempts: int
    next_at: float
    last_status: str | None
    last_error: str | None
    body: str  # the event, exactly as stored and signed


_TABLES_LOCK = 7_463_203  # advisory lock id: one process creates the event tables at a time


def create_tables(engine: Engine) -> None:
    """Safe when several processes (workers, serve replicas) open a fresh journal at once: a lost
    create race would otherwise kill the process's event sink, and with it its reconcile jobs."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as c:
            c.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _TABLES_LOCK})
            metadata.create_all(c)
        return
    retry_lost_race(lambda: metadata.create_all(engine))


class EventStore:
    def __init__(self, url: str | None = None, *, engine: Engine | None = None) -> None:
        if engine is None:
            if url is None:
                raise ValueError("an EventStore needs the journal's URL or engine")
            engine = create_engine(normalize_url(url), future=True)
        self.engine = engine
        create_tables(self.engine)

    @classmethod
    def of_journal(cls, journal: Any) -> EventStore:
        """Share the journal's engine (and its SQLite pragmas)."""
        return cls(engine=journal.engine)

    def add(self, batch: Sequence[dict[str, Any]], urls_for: Any) -> int:
        """Store events and a pending delivery per subscriber URL `urls_for(event)` names."""
        if not batch:
            return 0
        now = time.time()
        rows, due = [], []
        for ev in batch:
            body = json.dumps(ev, separators=(",", ":"), sort_keys=True)
            data = ev.get("data") or {}
            rows.append(
                dict(
                    id=ev["id"],
                    type=ev["type"],
                    subject=ev["subject"].lower(),
                    tenant=data.get("tenant"),
                    run_id=data.get("run_id"),
                    at=now,
                    body=body,
                )
            )
            due += [
                dict(event_id=ev["id"], url=u, status="pending", attempts=0, next_at=now, created_at=now)
                for u in urls_for(ev)
            ]
        with self.engine.begin() as c:
            c.execute(insert(events), rows)
            if due:
                c.execute(insert(deliveries), due)
        return len(due)

    def history(self, subject: str) -> list[dict[str, Any]]:
        with self.engine.begin() as c:
            rows = c.execute(
                select(events.c.body).where(events.c.subject == subject.lower()).order_by(events.c.seq)
            )
            return [json.loads(r[0]) for r in rows]

    def all_events(self) -> list[dict[str, Any]]:
        with self.engine.begin() as c:
            return [json.loads(r[0]) for r in c.execute(select(events.c.body).order_by(events.c.seq))]

    def _deliveries(self, *where: Any, limit: int | None = None) -> list[Delivery]:
        q = (
            select(
                deliveries.c.seq,
                deliveries.c.event_id,
                deliveries.c.url,
                deliveries.c.status,
                deliveries.c.attempts,
                deliveries.c.next_at,
                deliveries.c.last_status,
                deliveries.c.last_error,
                events.c.body,
            )
            .join(events, events.c.id == deliveries.c.event_id)
            .where(and_(*where))
            .order_by(deliveries.c.seq)
        )
        if limit:
            q = q.limit(limit)
        with self.engine.begin() as c:
            return [Delivery(*r) for r in c.execute(q)]

    def due(self, now: float | None = None, limit: int = 100) -> list[Delivery]:
        now = time.time() if now is None else now
        return self._deliveries(deliveries.c.status == "pending", deliveries.c.next_at <= now, limit=limit)

    def next_due_at(self) -> float | None:
        with self.engine.begin() as c:
            row = c.execute(
                select(deliveries.c.next_at)
                .where(deliveries.c.status == "pending")
                .order_by(deliveries.c.next_at)
                .limit(1)
            ).first()
        return row[0] if row else None

    def pending(self) -> list[Delivery]:
        return self._deliveries(deliveries.c.status == "pending")

    def failed(self) -> list[Delivery]:
        return self._deliveries(deliveries.c.status == "failed")

    def delivered(self) -> list[Delivery]:
        return self._deliveries(deliveries.c.status == "delivered")

    def mark_delivered(self, seq: int, status: str) -> None:
        with self.engine.begin() as c:
            c.execute(
                update(deliveries)
                .where(deliveries.c.seq == seq)
                .values(
                    status="delivered",
                    attempts=deliveries.c.attempts + 1,
                    last_status=status,
                    last_error=None,
                    delivered_at=time.time(),
                )
            )

    def mark_attempt(self, seq: int, status: str, error: str, next_at: float | None) -> None:
        """A failed attempt: retried at `next_at`, or `failed` for good when it is None."""
        values: dict[str, Any] = dict(
            attempts=deliveries.c.attempts + 1, last_status=status, last_error=error[:500]
        )
        values |= {"status": "failed"} if next_at is None else {"next_at": next_at}
        with self.engine.begin() as c:
            c.execute(update(deliveries).where(deliveries.c.seq == seq).values(**values))

    def requeue(self, seqs: Iterable[int] | None = None) -> int:
        """Failed deliveries back in line (all of them, or the ones named), attempts counted anew."""
        cond = deliveries.c.status == "failed"
        if seqs is not None:
            cond = and_(cond, deliveries.c.seq.in_(list(seqs)))
        with self.engine.begin() as c:
            res = c.execute(
                update(deliveries).where(cond).values(status="pending", attempts=0, next_at=time.time())
            )
        return res.rowcount or 0
