"""No sequence of IdP requests gives a person two tenants at any moment: randomized move orders,
gaps around the settle window, deactivations, checked on the emulator's access timeline."""

from __future__ import annotations

from functools import partial

from genesys_emulator import RunningEmulator
from support.bridge_moves import run
from tenantry.bridge.server import RunningBridge

from .idp import EntraClient
from .org import access_history, wait_idle


def test_randomized_moves_never_give_two_tenants(emu: RunningEmulator, serve: RunningBridge) -> None:
    outcome = run(
        serve.scim_url("entra"),
        partial(access_history, emu),
        count=8,
        settle=serve.bridge.queue.settle,
        seed=3,
        concurrency=8,
        wait_idle=partial(wait_idle, serve),
        client_factory=lambda url, compliant: EntraClient(url, compliant=compliant),
    )
    assert outcome.violations == []
    assert outcome.mismatches == []
    assert serve.bridge.queue.failures == 0
