"""Conversation detail queries filtered by division: what a tenant's reporting client can see.

Two ways, as the platform has them. The synchronous query answers pages of at most 100 for an
interval of at most SYNC_MAX_DAYS: each page is its own POST (it only reads, so it is retried
like a GET) and the pages after the first are read concurrently once `totalHits` is known.
Longer intervals go through the asynchronous details jobs: submit, poll the job's state, then
read its results through a cursor.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from tenantry.genesys.errors import GenesysError
from tenantry.genesys.http import GenesysClient
from tenantry.genesys.models import ConversationDetail

QUERY = "/api/v2/analytics/conversations/details/query"
JOBS = "/api/v2/analytics/conversations/details/jobs"
JOB = JOBS + "/{jobId}"
JOB_RESULTS = JOBS + "/{jobId}/results"
PAGE_SIZE = 100
JOB_PAGE_SIZE = 1000
SYNC_MAX_DAYS = 31
JOB_DONE = "FULFILLED"
JOB_FAILED = ("FAILED", "CANCELLED", "EXPIRED")

Progress = Callable[[int, int | None], None]  # (conversations read so far, total if known)


def division_filter(division_ids: Sequence[str]) -> list[dict[str, Any]]:
    """conversationFilters matching conversations in any of the divisions."""
    if not division_ids:
        return []
    predicates = [{"type": "dimension", "dimension": "divisionId", "value": d} for d in division_ids]
    return [{"type": "or", "predicates": predicates}]


def interval_days(interval: str) -> float:
    start, _, end = interval.partition("/")
    a = datetime.fromisoformat(start.replace("Z", "+00:00"))
    b = datetime.fromisoformat(end.replace("Z", "+00:00"))
    return (b - a) / timedelta(days=1)


def needs_job(interval: str) -> bool:
    """Whether the synchronous query refuses this interval."""
    return interval_days(interval) > SYNC_MAX_DAYS


async def query_conversation_details(
    client: GenesysClient,
    interval: str,
    *,
    division_ids: Sequence[str] = (),
    page_size: int = PAGE_SIZE,
    use_job: bool | None = None,
    progress: Progress | None = None,
) -> list[ConversationDetail]:
    """Every conversation in `interval` (ISO-8601 start/end) in the given divisions the caller can see.

    `use_job` None chooses by the interval's length."""
    if use_job or (use_job is None and needs_job(interval)):
        return [
            c
            async for c in conversation_details_job(
                client, interval, division_ids=division_ids, progress=progress
            )
        ]
    base: dict[str, Any] = {"interval": interval, "order": "asc"}
    if division_ids:
        base["conversationFilters"] = division_filter(division_ids)
    read = 0

    async def page(number: int, total: int | None = None) -> dict[str, Any]:
        nonlocal read
        body = {**base, "paging": {"pageSize": page_size, "pageNumber": number}}
        answer = await client.call("POST", QUERY, json=body, idempotent=True)
        read += len(answer.get("conversations") or [])
        if progress:
            progress(read, total if total is not None else int(answer.get("totalHits") or 0))
        return answer

    first = await page(1)
    total = int(first.get("totalHits") or 0)
    pages = max(1, math.ceil(total / page_size))
    rest = await asyncio.gather(*(page(n, total) for n in range(2, pages + 1)))
    seen: dict[str, ConversationDetail] = {}
    for body in [first, *rest]:
        for conv in body.get("conversations") or []:
            seen.setdefault(conv["conversationId"], ConversationDetail.model_validate(conv))
    return list(seen.values())


async def conversation_details_job(
    client: GenesysClient,
    interval: str,
    *,
    division_ids: Sequence[str] = (),
    page_size: int = JOB_PAGE_SIZE,
    poll: float = 0.25,
    timeout: float = 900.0,
    progress: Progress | None = None,
) -> AsyncIterator[ConversationDetail]:
    """An asynchronous details job: submitted, polled until FULFILLED, its results read by cursor."""
    body: dict[str, Any] = {"interval": interval, "order": "asc"}
    if division_ids:
        body["conversationFilters"] = division_filter(division_ids)
    job_id = (await client.call("POST", JOBS, json=body))["jobId"]
    deadline = time.monotonic() + timeout
    while True:
        status = await client.get(JOB, path={"jobId": job_id})
        state = status.get("state")
        if state == JOB_DONE:
            break
        if state in JOB_FAILED:
            raise GenesysError(
                None,
                f"job.{str(state).lower()}",
                f"analytics job {job_id} ended {state}: {status.get('errorMessage') or 'no reason given'}",
                method="GET",
                path=JOB,
            )
        if time.monotonic() > deadline:
            raise TimeoutError(f"analytics job {job_id} still {state} after {timeout:.0f}s")
        await asyncio.sleep(poll)
    cursor: str | None = None
    read = 0
    seen: set[str] = set()
    while True:
        params: dict[str, Any] = {"pageSize": page_size}
        if cursor:
            params["cursor"] = cursor
        page = await client.get(JOB_RESULTS, path={"jobId": job_id}, params=params)
        for conv in page.get("conversations") or []:
            if conv["conversationId"] not in seen:
                seen.add(conv["conversationId"])
                read += 1
                yield ConversationDetail.model_validate(conv)
        if progress:
            progress(read, None)
        cursor = page.get("cursor")
        if not cursor:
            return
