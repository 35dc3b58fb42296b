"""IdP sequences through the bridge over real HTTP to the emulated org: joiner, moves in both
orders, attribute change, leaver, reactivation, hard delete, a person the source may not feed."""

from __future__ import annotations

import time

from genesys_emulator import RunningEmulator
from tenantry.bridge.server import RunningBridge

from .idp import EntraClient, OktaClient
from .org import access_history, tenant_access, user, wait_idle


def test_entra_joiner_gets_exactly_its_tenant(emu: RunningEmulator, serve: RunningBridge, entra: EntraClient) -> None:
    entra.test_connection()
    uid = entra.provision("nina.joiner@bpo.example", "Nina", "Joiner")
    gid = entra.group("ACME-Agents")
    assert entra.add_members(gid, uid).status_code == 204
    wait_idle(serve)
    u = user(emu, "nina.joiner@bpo.example")
    assert u is not None and u["state"] == "active"
    assert tenant_access(emu, "nina.joiner@bpo.example") == {"Acme Insurance"}
    assert serve.bridge.latency.samples
