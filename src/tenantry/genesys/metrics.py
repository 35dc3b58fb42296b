"""Counters of what the client did, keyed by endpoint template so they stay low-cardinality.

Kept in-process and plain (no exporter yet): `snapshot()` gives a dict a later metrics endpoint
or a benchmark can print.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Metrics:
    calls: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    retries: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    rate_limited: int = 0
    tokens_minted: int = 0
    token_mint_retries: int = 0

    def record_call(self, method: str, template: str, status: int | str) -> None:
        self.calls[(method, template, str(status))] += 1
        if status == 429:
            self.rate_limited += 1

    def record_retry(self, method: str, template: str, reason: str) -> None:
        self.retries[(method, template, reason)] += 1

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    @property
    def total_retries(self) -> int:
        return sum(self.retries.values())

    def snapshot(self) -> dict[str, Any]:
        return {
            "calls": {f"{m} {t} {s}": n for (m, t, s), n in sorted(self.calls.items())},
            "retries": {f"{m} {t} {r}": n for (m, t, r), n in sorted(self.retries.items())},
            "total_calls": self.total_calls,
            "total_retries": self.total_retries,
            "rate_limited": self.rate_limited,
            "tokens_minted": self.tokens_minted,
            "token_mint_retries": self.token_mint_retries,
        }
