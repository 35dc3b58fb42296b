"""Several OAuth clients, each with its own token and budget, so throughput grows with the pool.

Each request goes to the member that can send soonest, breaking ties by the fewest requests
already queued or in flight there, then in turn; a paused or exhausted member is skipped for as
long as another one has room.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from tenantry.genesys.auth import TokenProvider
from tenantry.genesys.budget import RateBudget


@dataclass
class PoolMember:
    tokens: TokenProvider
    budget: RateBudget
    http: httpx.AsyncClient

    @property
    def client_id(self) -> str:
        return self.tokens.client_id


class ClientPool:
    def __init__(self, members: Sequence[PoolMember]) -> None:
        if not members:
            raise ValueError("a client pool needs at least one OAuth client")
        self.members = list(members)
        self._turn = 0

    def choose(self) -> PoolMember:
        """Pick a member and claim a place in its queue (the caller must then use `slot(claimed=True)`)."""
        if len(self.members) == 1:
            member = self.members[0]
        else:
            # Start the scan one further each time, so that ties rotate over the members.
            self._turn = (self._turn + 1) % len(self.members)
            order = self.members[self._turn :] + self.members[: self._turn]
            member = min(order, key=lambda m: (round(m.budget.ready_in(), 3), m.budget.load))
        member.budget.claim()
        return member

    def __len__(self) -> int:
        return len(self.members)
