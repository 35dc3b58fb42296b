"""Whole listings, read concurrently; the inactive-user cap reported, not hidden."""

from __future__ import annotations

import asyncio
import math

import httpx

from tenantry.genesys import api
from tenantry.genesys.paging import read_entity_listing, read_scim_listing

from .conftest import FakePlatform, error, ok


def users_route(fake: FakePlatform, counts: dict[str, int], cap: int | None = None, delay: float = 0.0):
    inflight = {"now": 0, "peak": 0}

    async def handler(request: httpx.Request) -> httpx.Response:
        inflight["now"] += 1
        inflight["peak"] = max(inflight["peak"], inflight["now"])
        await asyncio.sleep(delay)
        inflight["now"] -= 1
        state = request.url.params.get("state", "active")
        size = int(request.url.params["pageSize"])
        number = int(request.url.params["pageNumber"])
        if cap is not None and state == "inactive" and size * number > cap:
            return error(400, "bad.request", "Paging past 10000 results is not supported")
        total = counts[state]
        start = (number - 1) * size
        entities = [
            {"id": f"{state}-{i}", "name": f"U{i}", "state": state}
            for i in range(start, min(total, start + size))
        ]
        return ok({"entities": entities, "total": total, "pageCount": max(1, math.ceil(total / size))})

    fake.routes[("GET", "/api/v2/users")] = handler  # type: ignore[assignment]
    return inflight


async def test_pages_after_the_first_are_read_concurrently(fake: FakePlatform) -> None:
    inflight = users_route(fake, {"active": 4321}, delay=0.01)
    async with fake.client(max_concurrency=6) as client:
        listing = await api.users.list_users(client)
    assert len(listing.users) == 4321 and listing.total == 4321 and listing.unread == 0
    assert len({u.id for u in listing.users}) == 4321
    assert listing.warning is None
    assert fake.calls("GET", "/api/v2/users") == 9  # 500 a page
    assert 2 <= inflight["peak"] <= 6


async def test_inactive_users_past_the_cap_are_counted_not_requested(fake: FakePlatform) -> None:
    users_route(fake, {"inactive": 12_000}, cap=10_000)
    async with fake.client() as client:
        listing = await api.users.list_users(client, state="inactive")
    assert len(listing.users) == 10_000
    assert (listing.total, listing.unread) == (12_000, 2_000)
    assert listing.warning is not None and "2000 of 12000 inactive users could not be read" in listing.warning
    pages = [int(r.url.params["pageNumber"]) for r in fake.requests if r.url.path == "/api/v2/users"]
    assert max(pages) == 20  # page 21 would answer 400: never asked


async def test_a_cap_lower_than_documented_is_reported_as_unread(fake: FakePlatform) -> None:
    users_route(fake, {"inactive": 3_000}, cap=2_000)
    async with fake.client() as client:
        listing = await api.users.list_users(client, state="inactive")
    assert (len(listing.users), listing.unread) == (2_000, 1_000)


async def test_objects_shifting_between_pages_are_not_counted_twice(fake: FakePlatform) -> None:
    pages = {1: ["a", "b"], 2: ["b", "c"]}  # "b" moved down while we read
    fake.route("GET", "/api/v2/groups")(
        lambda r: ok(
            {
                "entities": [{"id": i, "name": i} for i in pages[int(r.url.params["pageNumber"])]],
                "total": 3,
                "pageCount": 2,
            }
        )
    )
    async with fake.client() as client:
        listing = await read_entity_listing(client, "/api/v2/groups", page_size=2)
    assert [e["id"] for e in listing.entities] == ["a", "b", "c"]


async def test_scim_listing_reads_start_index_windows(fake: FakePlatform) -> None:
    @fake.route("GET", "/api/v2/scim/v2/users")
    def scim(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params["startIndex"])
        count = int(request.url.params["count"])
        ids = range(start, min(61, start + count))
        return ok(
            {
                "totalResults": 60,
                "startIndex": start,
                "itemsPerPage": len(ids),
                "Resources": [{"id": str(i)} for i in ids],
            }
        )

    async with fake.client() as client:
        listing = await read_scim_listing(client, "/api/v2/scim/v2/users", count=25)
    assert sorted(int(e["id"]) for e in listing.entities) == list(range(1, 61))
    starts = sorted(int(r.url.params["startIndex"]) for r in fake.requests if r.url.path.endswith("/users"))
    assert starts == [1, 26, 51]


def test_scim_filters_escape_their_value() -> None:
    assert api.scim.scim_eq("userName", 'a"b\\c') == 'userName eq "a\\"b\\\\c"'
    injected = api.scim.scim_eq("emails.value", 'x" or userName pr or "')
    assert injected.count('"') - injected.count('\\"') == 2  # one string literal, however hostile the input
