"""The chaos run at a small size, in CI: faults, SIGKILLs of apply, and still the fault-free org."""

from __future__ import annotations

from bench.chaos import run_chaos


def test_chaos_small_converges_to_the_fault_free_org() -> None:
    result = run_chaos(people=120, kills=5, seed=11)
    assert result.kills == 5
    assert sum(result.faults.values()) > 0
    assert result.duplicates == 0
    assert result.differences == []
