"""Conversation detail queries filtered by division: what a tenant's reporting client can see.

Each page is its own POST; the query only reads, so it is retried like a GET, and the pages
after the first are read concurrently once `totalHits` is known.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from typing import Any

from tenantry.genesys.http import GenesysClient
from tenantry.genesys.models import ConversationDetail

QUERY = "/api/v2/analytics/conversations/details/query"
PAGE_SIZE = 100


def division_filter(division_ids: Sequence[str]) -> list[dict[str, Any]]:
    """conversationFilters matching conversations in any of the divisions."""
    if not division_ids:
        return []
    predicates = [{"type": "dimension", "dimension": "divisionId", "value": d} for d in division_ids]
    return [{"type": "or", "predicates": predicates}]


async def query_conversation_details(
    client: GenesysClient,
    interval: str,
    *,
    division_ids: Sequence[str] = (),
    page_size: int = PAGE_SIZE,
) -> list[ConversationDetail]:
    """Every conversation in `interval` (ISO-8601 start/end) in the given divisions the caller can see."""
    base: dict[str, Any] = {"interval": interval, "order": "asc"}
    if division_ids:
        base["conversationFilters"] = division_filter(division_ids)

    async def page(number: int) -> dict[str, Any]:
        body = {**base, "paging": {"pageSize": page_size, "pageNumber": number}}
        return await client.call("POST", QUERY, json=body, idempotent=True)

    first = await page(1)
    pages = max(1, math.ceil(int(first.get("totalHits") or 0) / page_size))
    rest = await asyncio.gather(*(page(n) for n in range(2, pages + 1)))
    seen: dict[str, ConversationDetail] = {}
    for body in [first, *rest]:
        for conv in body.get("conversations") or []:
            seen.setdefault(conv["conversationId"], ConversationDetail.model_validate(conv))
    return list(seen.values())
