"""Randomized IdP move sequences against the SCIM bridge, checked on the emulator's access timeline.

Each person joins Acme through the `ACME-Agents` IdP group, then moves between `ACME-Agents` and
`GLOBEX-Agents` a few times (add and remove in a random order, a random gap that is sometimes
shorter and sometimes longer than the settle window, legacy or aadOptscim062020 dialect), with
random deactivations and reactivations. Afterwards every person's timeline must show at most one
tenant after every change, and their access must be exactly what the IdP says. Used by
tests/bridge/test_no_two_tenants.py (a few sequences) and bench/bench_bridge.py (1,000).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

GROUPS = {"ACME-Agents": "Acme Insurance", "GLOBEX-Agents": "Globex Telecom"}
TENANT_DIVISIONS = frozenset({"Acme Insurance", "Globex Telecom", "Initech Bank"})


@dataclass
class Step:
    wait: float  # seconds before the step
    action: str  # add | remove | deactivate | activate
    group: str = ""


@dataclass
class Sequence:
    email: str
    compliant: bool
    steps: list[Step] = field(default_factory=list)

    def expected(self) -> set[str]:
        """The tenant divisions the IdP's final state gives: one, or none."""
        groups, active = {"ACME-Agents"}, True
        for s in self.steps:
            if s.action == "add":
                groups.add(s.group)
            elif s.action == "remove":
                groups.discard(s.group)
            else:
                active = s.action == "activate"
        tenants = {GROUPS[g] for g in groups}
        return tenants if active and len(tenants) == 1 else set()


def sequence(rng: random.Random, email: str, settle: float, moves: int = 2) -> Sequence:
    seq = Sequence(email, compliant=rng.random() < 0.5)
    here = "ACME-Agents"
    active = True
    for _ in range(moves):
        there = "GLOBEX-Agents" if here == "ACME-Agents" else "ACME-Agents"
        first, second = ("add", "remove") if rng.random() < 0.5 else ("remove", "add")
        gap = rng.uniform(0, 2 * settle)
        seq.steps.append(Step(rng.uniform(0, settle), first, there if first == "add" else here))
        seq.steps.append(Step(gap, second, there if second == "add" else here))
        here = there
        if rng.random() < 0.3:
            seq.steps.append(Step(rng.uniform(0, settle), "deactivate" if active else "activate"))
            active = not active
    if not active and rng.random() < 0.5:
        seq.steps.append(Step(rng.uniform(0, settle), "activate"))
    return seq


@dataclass
class Outcome:
    sequences: int
    violations: list[str]  # a moment with two tenants
    mismatches: list[str]  # final access not what the IdP says
    seconds: float


def run(
    scim_url: str,
    access_history: Callable[[str], list[set[str]]],
    *,
    count: int,
    settle: float,
    seed: int = 1,
    concurrency: int = 10,
    wait_idle: Callable[[], None],
    client_factory: Callable[[str, bool], object],
) -> Outcome:
    """`count` sequences, `concurrency` people at a time; then the timeline of each is checked."""
    rng = random.Random(seed)
    started = time.perf_counter()
    violations: list[str] = []
    mismatches: list[str] = []
    stamp = f"{seed}{int(time.time() * 1000) % 100000}"
    with client_factory(scim_url, False) as c:  # type: ignore[attr-defined]
        for g in GROUPS:  # the IdP's groups exist before its people move between them
            c.group(g)
    for round_start in range(0, count, concurrency):
        seqs = [
            sequence(rng, f"mv{stamp}.{i}@bpo.example", settle)
            for i in range(round_start, min(count, round_start + concurrency))
        ]
        errors: list[BaseException] = []
        threads = [
            threading.Thread(target=_guarded, args=(client_factory, scim_url, s, errors)) for s in seqs
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        wait_idle()
        for seq in seqs:
            history = [a & TENANT_DIVISIONS for a in access_history(seq.email)]
            if any(len(a) > 1 for a in history):
                violations.append(f"{seq.email}: {history}")
            final = history[-1] if history else set()
            if final != seq.expected():
                mismatches.append(f"{seq.email}: has {sorted(final)}, the IdP says {sorted(seq.expected())}")
    return Outcome(count, violations, mismatches, time.perf_counter() - started)


def _guarded(factory: Callable[[str, bool], object], url: str, seq: Sequence, errors: list) -> None:
    try:
        _play(factory(url, seq.compliant), seq)
    except BaseException as exc:  # reported after the round
        errors.append(exc)


def _play(client: object, seq: Sequence) -> None:
    c = client  # an EntraClient (tests/bridge/idp.py)
    with c:  # type: ignore[attr-defined]
        uid = c.provision(seq.email, "Move", "Seq")  # type: ignore[attr-defined]
        gids = {g: c.group(g) for g in GROUPS}  # type: ignore[attr-defined]
        c.add_members(gids["ACME-Agents"], uid)  # type: ignore[attr-defined]
        for s in seq.steps:
            time.sleep(s.wait)
            if s.action == "add":
                r = c.add_members(gids[s.group], uid)  # type: ignore[attr-defined]
            elif s.action == "remove":
                r = c.remove_members(gids[s.group], uid)  # type: ignore[attr-defined]
            else:
                r = c.set_active(uid, s.action == "activate")  # type: ignore[attr-defined]
            if r.status_code >= 300:
                raise AssertionError(f"{s.action}: {r.status_code} {r.text}")
