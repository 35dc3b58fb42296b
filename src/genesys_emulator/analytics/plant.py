"""Conversations planted by a test or a demo through `/_emulator/analytics/conversations`.

The demo seed holds 40 conversations a division; reporting over several pages, through the
jobs API, or with a conversation that spans two divisions (a transfer between tenants' queues,
the case a tenant report must refuse) needs more, made to order.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from ..errors import bad_request
from ..org import Org, new_id

MAX_PLANT = 20_000
QUEUE_NAMES = ("Support", "Claims", "Billing", "Sales")


def _division_ids(org: Org, spec: dict) -> list[str]:
    ids = list(spec.get("divisionIds") or [])
    by_name = {d["name"].casefold(): i for i, d in org.divisions.items()}
    for name in spec.get("divisionNames") or []:
        if not isinstance(name, str) or name.casefold() not in by_name:
            raise bad_request(f"division {name!r} does not exist.", "invalid.value")
        ids.append(by_name[name.casefold()])
    for i in ids:
        if i not in org.divisions:
            raise bad_request(f"division {i!r} does not exist.", "invalid.value")
    if not ids:
        raise bad_request("divisionIds or divisionNames is required.", "invalid.value")
    return ids


def plant(org: Org, spec: dict) -> list[str]:
    """`count` conversations from `start`, one every `spacingMinutes`, each in every division of
    the spec (one division: an ordinary conversation; two: one that crossed tenants)."""
    divs = _division_ids(org, spec)
    count = spec.get("count", 1)
    spacing = spec.get("spacingMinutes", 30)
    if not isinstance(count, int) or not 1 <= count <= MAX_PLANT:
        raise bad_request(f"count must be between 1 and {MAX_PLANT}.", "invalid.value")
    if not isinstance(spacing, int | float) or spacing <= 0:
        raise bad_request("spacingMinutes must be positive.", "invalid.value")
    try:
        start = datetime.fromisoformat(str(spec.get("start", "2026-11-01T00:00:00Z")).replace("Z", "+00:00"))
    except ValueError:
        raise bad_request("start must be an ISO-8601 date-time.", "invalid.value") from None
    rng = random.Random(spec.get("seed", 0))
    queues = [q for q in org.queues.values() if q.get("divisionId") in divs]
    made = []
    for i in range(count):
        t = start + timedelta(minutes=spacing * i)
        q = queues[i % len(queues)] if queues else None
        conv: dict[str, Any] = {
            "conversationId": new_id(),
            "conversationStart": t.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "conversationEnd": (t + timedelta(seconds=rng.randint(60, 900))).strftime(
                "%Y-%m-%dT%H:%M:%S.000Z"
            ),
            "divisionIds": list(divs),
            "originatingDirection": rng.choice(["inbound", "outbound"]),
            "mediaStatsMinConversationMos": round(rng.uniform(3.5, 4.5), 2),
            "participants": [_customer(rng), _acd(t, q)] if q else [_customer(rng)],
        }
        org.conversations.append(conv)
        made.append(conv["conversationId"])
    org.touch()
    return made


def _customer(rng: random.Random) -> dict:
    return {
        "participantId": new_id(),
        "purpose": "customer",
        "participantName": f"Caller {rng.randint(1, 999)}",
    }


def _acd(t: datetime, queue: dict) -> dict:
    """The queue leg: what a per-queue summary reads (`sessions[].segments[].queueId`)."""
    stamp = t.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {
        "participantId": new_id(),
        "purpose": "acd",
        "participantName": queue["name"],
        "sessions": [
            {
                "sessionId": new_id(),
                "mediaType": "voice",
                "segments": [{"segmentStart": stamp, "segmentType": "interact", "queueId": queue["id"]}],
            }
        ],
    }
