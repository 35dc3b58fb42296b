"""The org index after a reconcile: people read back one by one, or the whole org once when that
costs fewer Genesys calls (an IdP's initial cycle reconciles hundreds of people at a time)."""

from __future__ import annotations

from genesys_emulator import RunningEmulator
from tenantry.bridge.server import RunningBridge

from .idp import EntraClient
from .org import tenant_access, wait_idle


def _search_calls(emu: RunningEmulator) -> int:
    return sum(emu.stats()["calls"].get("POST /api/v2/users/search", {}).values())


def test_a_large_reconcile_rereads_the_org_once_a_small_one_per_person(
    emu: RunningEmulator, serve: RunningBridge, entra: EntraClient
) -> None:
    index = serve.bridge.index
    gid = entra.group("ACME-Agents")
    uids = [entra.provision(f"bulk{i}@bpo.example", "Bulk", str(i)) for i in range(40)]
    assert entra.add_members(gid, *uids).status_code == 204
    wait_idle(serve)
    assert 0 < index.full_cost < 3 * len(uids)
    assert index.person_reads == 0  # 40 people read back would cost more than one full read
    assert tenant_access(emu, "bulk7@bpo.example") == {"Acme Insurance"}

    emu.admin.delete("/_emulator/stats")
    reads = index.full_reads
    late = entra.provision("late.joiner@bpo.example", "Late", "Joiner")
    assert entra.add_members(gid, late).status_code == 204
    wait_idle(serve)
    assert index.full_reads == reads + 1  # the index the 40 left stale, read whole once
    assert index.person_reads == 1  # the one joiner, read back alone
    assert _search_calls(emu) == 1
    assert tenant_access(emu, "late.joiner@bpo.example") == {"Acme Insurance"}
    users = emu.admin.get(
        "/api/v2/users", params={"pageSize": 500}, headers={"Authorization": f"Bearer {emu.token()}"}
    ).json()["entities"]
    bulk = [u["email"] for u in users if u["email"].startswith("bulk")]
    assert len(bulk) == len(set(bulk)) == 40  # the full read saw them all: none created twice
