"""The chaos run at a small size, in CI: faults, SIGKILLs of apply at chosen points (after N writes
and inside phases), and still the fault-free org — with no duplicate, no moment of two-tenant
access and a journal that tells the truth."""

from __future__ import annotations

from support.chaos import run_chaos

CI = "writes:8,phase:people;phase:revoke;phase:grant"  # after N writes, and inside phases of each day


def test_chaos_small_converges_to_the_fault_free_org() -> None:
    result = run_chaos(
        people=48, tenants=3, seed=11, journal="sqlite", kills=CI, rate="200/1s", run_timeout=75
    )
    assert len(result.kills) + len(result.missed) == CI.count(":")
    assert len(result.kills) >= 3, result.missed
    assert sum(result.faults.values()) > 0
    assert result.problems == []
