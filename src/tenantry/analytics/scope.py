"""Pure rules of a tenant report: which conversations belong, what a row holds, the summary."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

COLUMNS = ("conversation_id", "start", "end", "direction", "queue", "division_ids")


@dataclass(frozen=True, slots=True)
class Leak:
    """A conversation the tenant's query returned that is not the tenant's alone."""

    conversation_id: str
    division_ids: tuple[str, ...]


def outside(conversations: Iterable[Any], division_id: str) -> list[Leak]:
    """Every conversation whose divisions are not exactly the tenant's: one that also belongs to
    another division (a transfer between tenants) or to none is not the tenant's to read."""
    return [
        Leak(c.conversation_id, tuple(c.division_ids))
        for c in conversations
        if not c.division_ids or any(d != division_id for d in c.division_ids)
    ]


def queue_ids(conv: Any) -> list[str]:
    seen: list[str] = []
    for p in conv.participants or []:
        for s in p.get("sessions") or []:
            for seg in s.get("segments") or []:
                q = seg.get("queueId")
                if q and q not in seen:
                    seen.append(q)
    return seen


def row(conv: Any, queue_names: Mapping[str, str]) -> dict[str, Any]:
    extra = conv.model_extra or {}
    qs = queue_ids(conv)
    return {
        "conversation_id": conv.conversation_id,
        "start": conv.conversation_start,
        "end": conv.conversation_end,
        "direction": extra.get("originatingDirection"),
        "queue": ", ".join(queue_names.get(q, q) for q in qs) or None,
        "division_ids": list(conv.division_ids),
    }


def summary(rows: Sequence[Mapping[str, Any]], tenant: str, interval: str, via: str) -> dict[str, Any]:
    per_day = Counter((r["start"] or "")[:10] for r in rows)
    per_queue = Counter(r["queue"] or "(no queue)" for r in rows)
    return {
        "tenant": tenant,
        "interval": interval,
        "via": via,
        "count": len(rows),
        "per_day": dict(sorted(per_day.items())),
        "per_queue": dict(sorted(per_queue.items())),
    }


def to_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({**r, "division_ids": ";".join(r["division_ids"])})
    return buf.getvalue()


def to_jsonl(rows: Sequence[Mapping[str, Any]]) -> str:
    return "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows)
