"""A reconcile keeps as many Genesys calls in flight as the token pool can carry: the SCIM side
shares the event loop, so with the CLI's 8 in flight a pool of 4 tokens idled during an IdP's
initial cycle (BENCHMARKS.md, the Entra initial cycle)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from genesys_emulator import RunningEmulator
from tenantry.bridge.app import make_app
from tenantry.bridge.server import RunningBridge, in_thread
from tenantry.bridge.service import Bridge
from tenantry.config import tenants as config_mod
from tenantry.execution.journal import Journal
from tenantry.genesys import Credentials, GenesysClient, resolve_target

from .idp import EntraClient
from .org import tenant_access, wait_idle

CREATE = ("POST", "/api/v2/users")


class InFlight:
    """The most user creates in flight at once, seen by the pool's own HTTP clients."""

    def __init__(self) -> None:
        self.now = self.peak = 0

    async def sent(self, request: httpx.Request) -> None:
        if (request.method, request.url.path) == CREATE:
            self.now += 1
            self.peak = max(self.peak, self.now)

    async def answered(self, response: httpx.Response) -> None:
        if (response.request.method, response.request.url.path) == CREATE:
            self.now -= 1


@pytest.fixture
def pooled(
    emu: RunningEmulator, bridge_config: Path, tmp_path: Path
) -> Iterator[tuple[RunningBridge, InFlight]]:
    """serve with a pool of 4 tokens (8 calls in flight each), every emulator answer 50 ms late."""
    client = GenesysClient(
        resolve_target(emu.base_url),
        [Credentials.of(emu.client_id, emu.client_secret)],
        rate_limit=100_000,
        token_pool_size=4,
    )
    seen = InFlight()
    for m in client.pool.members:
        m.http.event_hooks["request"].append(seen.sent)
        m.http.event_hooks["response"].append(seen.answered)
    journal = Journal(f"sqlite:///{tmp_path / 'journal.db'}")
    bridge = Bridge(config_mod.load(bridge_config), journal, client, settle=0.5)
    emu.set_faults("latency:50ms")
    try:
        with in_thread(make_app(bridge, body_limit=64_000)) as running:
            yield running, seen
    finally:
        emu.set_faults(None)
        journal.close()


def test_a_reconcile_fills_the_token_pool(
    emu: RunningEmulator, pooled: tuple[RunningBridge, InFlight]
) -> None:
    serve, seen = pooled
    assert serve.bridge.in_flight == 32
    with EntraClient(serve.scim_url("entra")) as entra:
        gid = entra.group("ACME-Agents")
        uids = [entra.provision(f"pool{i}@bpo.example", "Pool", str(i)) for i in range(48)]
        assert entra.add_members(gid, *uids).status_code == 204
    wait_idle(serve)
    assert seen.peak > 8  # the executor's old 8 would leave 3 of the 4 tokens idle
    assert seen.now == 0
    assert tenant_access(emu, "pool47@bpo.example") == {"Acme Insurance"}
