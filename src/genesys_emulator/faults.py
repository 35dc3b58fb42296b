"""Injected faults, reproducible from a seed: the network as it really behaves.

A fault on a write may strike before the write took effect or after it (the handler ran, the
answer was lost); the client cannot tell which, and must not duplicate the write either way.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

KINDS = ("429", "408", "500", "502", "503", "504", "timeout", "reset", "version")
# `version`: a write racing another writer answers a version mismatch (the Terraform provider's
# IsVersionMismatch retries these); only the versioned writes and deletes can draw it
VERSIONED = frozenset(
    {
        ("PATCH", "/api/v2/users/{userId}"),
        ("DELETE", "/api/v2/users/{userId}"),
        ("PUT", "/api/v2/groups/{groupId}"),
        ("DELETE", "/api/v2/groups/{groupId}"),
        ("POST", "/api/v2/groups/{groupId}/members"),
        ("DELETE", "/api/v2/groups/{groupId}/members"),
    }
)
_DURATION = re.compile(r"^(\d*\.?\d+)(ms|s)?$")


def parse_duration(text: str) -> float:
    m = _DURATION.match(text.strip())
    if not m:
        raise ValueError(f"duration {text!r} is not like 20ms or 0.2s")
    value = float(m.group(1))
    return value / 1000 if m.group(2) == "ms" else value


@dataclass
class FaultSpec:
    rates: dict[str, float] = field(default_factory=dict)
    latency: float = 0.0
    hang: float = 5.0

    @classmethod
    def parse(cls, spec: str | None) -> FaultSpec:
        """'429:0.05,500:0.02,timeout:0.01,reset:0.01,latency:20ms,hang:2s'."""
        out = cls()
        if not spec:
            return out
        for part in spec.split(","):
            if not part.strip():
                continue
            name, _, value = part.strip().partition(":")
            if name == "latency":
                out.latency = parse_duration(value)
            elif name == "hang":
                out.hang = parse_duration(value)
            elif name in KINDS:
                rate = float(value)
                if not 0 <= rate <= 1:
                    raise ValueError(f"fault rate {part!r} must be between 0 and 1")
                out.rates[name] = rate
            else:
                raise ValueError(f"unknown fault {name!r}; known: {', '.join(KINDS)}, latency, hang")
        if sum(out.rates.values()) > 1:
            raise ValueError("fault rates add up to more than 1")
        return out

    def __bool__(self) -> bool:
        return bool(self.rates) or self.latency > 0


@dataclass(frozen=True)
class Fault:
    kind: str
    after_effect: bool  # the handler ran before the fault struck


class FaultInjector:
    def __init__(self, spec: FaultSpec | None = None, seed: int = 0) -> None:
        self.configure(spec or FaultSpec(), seed)

    def configure(self, spec: FaultSpec, seed: int) -> None:
        self.spec = spec
        self.seed = seed
        self.rng = random.Random(seed)
        self.injected: dict[str, int] = {}
        self.log: list[tuple[str, str, bool]] = []  # (method path, kind, after)

    def draw(self, method: str, path: str) -> Fault | None:
        if not self.spec.rates:
            return None
        x = self.rng.random()
        after = self.rng.random() < 0.5
        acc = 0.0
        for kind, rate in self.spec.rates.items():
            acc += rate
            if x < acc:
                if kind == "version" and (method, path) not in VERSIONED:
                    return None
                # a rate-limit answer or a version mismatch never lets the request through
                fault = Fault(kind, after and kind not in ("429", "version") and method != "GET")
                self.injected[kind] = self.injected.get(kind, 0) + 1
                self.log.append((f"{method} {path}", kind, fault.after_effect))
                return fault
        return None
