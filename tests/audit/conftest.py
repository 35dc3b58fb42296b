"""Fixtures of the audit tests: the session emulator reset to the `empty` seed, and an HTTP client."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest


@pytest.fixture
def empty_org(emu) -> Iterator[httpx.Client]:
    """The emulator holding only Home, the stock roles and its admin client; a client with its token."""
    emu.reset("empty")
    with httpx.Client(
        base_url=emu.base_url, headers={"Authorization": f"Bearer {emu.token()}"}, timeout=30
    ) as c:
        yield c
