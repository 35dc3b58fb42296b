"""Read whole listings: the first page gives the total, the other pages are read concurrently.

Concurrency is bounded by the pool's budgets (each request waits for a slot), so asking for all
pages at once is what uses the rate limit fully. Entities are de-duplicated by id because an
object created or deleted while pages are read shifts the offsets.

Some listings stop early by design: `state=inactive` users past 10,000 results answer 400. The
pages that cannot be read are not asked for; `Page.unread` says how many entities were left out,
so callers (the audit) can say so instead of pretending completeness.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tenantry.genesys.errors import BadRequestError
from tenantry.genesys.http import GenesysClient


@dataclass
class Listing:
    entities: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0
    unread: int = 0
    """Entities the platform reported (`total`) but would not let us read."""

    @property
    def complete(self) -> bool:
        return self.unread == 0


async def read_entity_listing(
    client: GenesysClient,
    template: str,
    *,
    path: Mapping[str, str] | None = None,
    params: Mapping[str, Any] | None = None,
    page_size: int = 100,
    result_cap: int | None = None,
) -> Listing:
    """All entities of a `{entities, total, pageCount}` listing.

    `result_cap`: the platform answers 400 for pages past this many results; such pages are not
    requested, and a 400 on a page near the cap is taken as the cap rather than as an error.
    """
    base = dict(params or {})

    async def page(number: int) -> dict[str, Any]:
        return await client.get(
            template, path=path, params={**base, "pageSize": page_size, "pageNumber": number}
        )

    first = await page(1)
    total = int(first.get("total") or 0)
    pages = int(first.get("pageCount") or math.ceil(total / page_size) or 1)
    if result_cap is not None:
        pages = min(pages, max(1, result_cap // page_size))

    async def later(number: int) -> list[dict[str, Any]]:
        try:
            return list((await page(number)).get("entities") or [])
        except BadRequestError:
            if result_cap is None:
                raise
            return []  # the cap came earlier than documented: count these as unread

    rest = await asyncio.gather(*(later(n) for n in range(2, pages + 1)))
    entities = _unique([first.get("entities") or [], *rest])
    return Listing(entities=entities, total=total, unread=max(0, total - len(entities)))


async def read_sequential(
    client: GenesysClient,
    template: str,
    *,
    path: Mapping[str, str] | None = None,
    params: Mapping[str, Any] | None = None,
    page_size: int = 100,
    max_pages: int = 10_000,
) -> list[dict[str, Any]]:
    """All entities of a listing without a total (queue members): page until a short page."""
    base = dict(params or {})
    pages: list[list[dict[str, Any]]] = []
    for number in range(1, max_pages + 1):
        body = await client.get(
            template, path=path, params={**base, "pageSize": page_size, "pageNumber": number}
        )
        entities = list(body.get("entities") or [])
        pages.append(entities)
        if len(entities) < page_size or not body.get("nextUri", True):
            break
    return _unique(pages)


async def read_scim_listing(
    client: GenesysClient,
    template: str,
    *,
    params: Mapping[str, Any] | None = None,
    count: int = 25,
) -> Listing:
    """All resources of a SCIM ListResponse, reading `startIndex` windows concurrently."""
    base = dict(params or {})

    async def window(start: int) -> dict[str, Any]:
        return await client.get(template, params={**base, "startIndex": start, "count": count})

    first = await window(1)
    total = int(first.get("totalResults") or 0)
    got = len(first.get("Resources") or [])
    step = int(first.get("itemsPerPage") or got or count) or count
    starts = range(1 + step, total + 1, step)
    rest = await asyncio.gather(*(window(s) for s in starts))
    resources = _unique([first.get("Resources") or [], *(r.get("Resources") or [] for r in rest)])
    return Listing(entities=resources, total=total, unread=max(0, total - len(resources)))


def _unique(pages: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    for entities in pages:
        for entity in entities:
            key = entity.get("id")
            if key is None or key not in seen:
                if key is not None:
                    seen.add(key)
                out.append(entity)
    return out
