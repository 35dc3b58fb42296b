"""A pool of tokens, each with its own budget, so throughput grows with the pool.

The platform limits each token, not each OAuth client: a member is one token, and one client
may mint several (`token_pool_size`, as the Terraform provider does), besides several clients.
Each request goes to the member where it could be sent soonest once everything already queued
there has gone (not merely the member whose window frees first: that one would take every
request of a burst), breaking ties by the fewest requests queued or in flight, then in turn;
a paused or exhausted member is skipped for as long as another one has room. A pool sized to
the work starts with one token per client and, when every token's budget is spent, mints one
more (up to its maximum).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx

from tenantry.genesys.auth import TokenAuth, TokenProvider
from tenantry.genesys.budget import RateBudget


@dataclass
class PoolMember:
    tokens: TokenProvider
    budget: RateBudget
    http: httpx.AsyncClient

    def __post_init__(self) -> None:
        self.auth = TokenAuth(self.tokens)

    @property
    def client_id(self) -> str:
        return self.tokens.client_id


class ClientPool:
    def __init__(
        self,
        members: Sequence[PoolMember],
        *,
        grow: Callable[[], PoolMember] | None = None,
        max_size: int | None = None,
    ) -> None:
        """`grow` makes one more member (a new token); it is called only while the pool is
        smaller than `max_size` and every member's budget is spent."""
        if not members:
            raise ValueError("a client pool needs at least one OAuth client")
        self.members = list(members)
        self._grow = grow
        self.max_size = max_size or len(self.members)
        self._turn = 0

    def choose(self) -> PoolMember:
        """Pick a member and claim a place in its queue (the caller must then use `slot(claimed=True)`)."""
        if len(self.members) == 1:
            member = self.members[0]
        else:
            # Start the scan one further each time, so that ties rotate over the members.
            self._turn = (self._turn + 1) % len(self.members)
            order = self.members[self._turn :] + self.members[: self._turn]
            member = min(order, key=lambda m: (round(m.budget.ready_after_queue(), 3), m.budget.load))
        if self._grow is not None and len(self.members) < self.max_size and self._spent(member):
            member = self._grow()
            self.members.append(member)
        member.budget.claim()
        return member

    @staticmethod
    def _spent(member: PoolMember) -> bool:
        """The best member cannot take this request in its current window."""
        return member.budget.ready_in() > 0 or member.budget.committed >= member.budget.limit

    def __len__(self) -> int:
        return len(self.members)
