"""Done-when: a 50,000-user org's active users are read completely; 12,000 inactive users give a
clear warning with the number the platform would not list."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tenantry.genesys import api

from .conftest import emu_client


@pytest.fixture(scope="module")
def scale_org(emulator: Any) -> Any:
    emulator.set_faults(None)
    emulator.set_rate_limit("300/60s")  # the platform default: 101 pages fit in one window
    emulator.reset("scale:users=50000,tenants=40,inactive=12000")
    yield emulator
    emulator.set_rate_limit("100000/60s")
    emulator.reset("demo")


async def test_all_active_users_of_a_50000_user_org_are_read(scale_org: Any) -> None:
    t0 = time.monotonic()
    async with emu_client(scale_org, timeout=30.0) as client:
        listing = await api.users.list_users(client)
        calls = client.metrics.total_calls
    elapsed = time.monotonic() - t0
    assert listing.total == 50_000
    assert len(listing.users) == 50_000 and len({u.id for u in listing.users}) == 50_000
    assert listing.unread == 0 and listing.warning is None
    assert all(u.state == "active" for u in listing.users)
    assert calls == 100 + 1  # 500 a page, plus the token
    assert elapsed < 60, elapsed


async def test_12000_inactive_users_warn_with_the_number_unread(scale_org: Any) -> None:
    async with emu_client(scale_org, timeout=30.0) as client:
        listing = await api.users.list_users(client, state="inactive")
        statuses = client.metrics.snapshot()["calls"]
    assert listing.total == 12_000
    assert len(listing.users) == 10_000 and listing.unread == 2_000
    assert listing.warning == (
        "2000 of 12000 inactive users could not be read: Genesys Cloud stops listing inactive users "
        "after 10,000 results."
    )
    assert not any(key.endswith(" 400") for key in statuses)  # pages past the cap are not asked for
