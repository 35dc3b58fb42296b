"""The org index: a snapshot kept fresh without reading the whole org after every IdP change.

A full snapshot costs dozens of calls (hundreds in a large org) against a 300-per-minute token
budget, so the bridge reads it once, refreshes it on a schedule and on demand, and after each
reconcile re-reads only the people it touched: their user (with groups) and their subject
grants; direct queue memberships follow from the batches that ran. A plan that created
structure (a division, group or queue) makes the next read a full one, and so does a reconcile of
so many people (an IdP's initial cycle: 2,000 a slice) that reading each back would cost more calls
than the last full read did (2–3 calls a person against ~1 call per 40 users).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace

from tenantry.domain.model import Grant, Snapshot
from tenantry.genesys import GenesysClient
from tenantry.genesys.api import grants as grants_api
from tenantry.genesys.api import users as users_api
from tenantry.genesys.errors import NotFoundError
from tenantry.genesys.snapshot import _user, read_snapshot
from tenantry.planning.plan import Plan

PERSON_OPS = frozenset(
    {
        "user.create",
        "user.update",
        "user.move",
        "user.deactivate",
        "user.delete",
        "user.grants.add",
        "user.grants.remove",
        "group.members.add",
        "group.members.remove",
        "queue.members.add",
        "queue.members.remove",
    }
)


class OrgIndex:
    def __init__(
        self,
        client: GenesysClient,
        *,
        max_age: float = 600.0,
        reader: Callable[[GenesysClient], Awaitable[Snapshot]] = read_snapshot,
    ) -> None:
        self.client = client
        self.max_age = max_age
        self.reader = reader
        self._snap: Snapshot | None = None
        self._read_at = 0.0
        self._stale = True
        self._lock = asyncio.Lock()
        self.full_reads = 0
        self.person_reads = 0
        self.full_cost = 0  # Genesys calls the last full read took

    @property
    def age(self) -> float:
        return time.monotonic() - self._read_at if self._snap is not None else float("inf")

    def invalidate(self) -> None:
        """The next `snapshot()` reads the whole org (on demand, or after a structural change)."""
        self._stale = True

    async def snapshot(self) -> Snapshot:
        if self._snap is None or self._stale or self.age > self.max_age:
            await self.refresh()
        assert self._snap is not None
        return self._snap

    async def refresh(self) -> Snapshot:
        async with self._lock:
            before = self.client.metrics.total_calls
            snap = await self.reader(self.client)
            self.full_cost = self.client.metrics.total_calls - before
            self._snap, self._read_at, self._stale = snap, time.monotonic(), False
            self.full_reads += 1
            return snap

    async def after(self, plan: Plan, emails: Iterable[str]) -> None:
        """What a reconcile changed, read back per person; a full read next time if it made structure."""
        if self._snap is None:
            return
        if any(b.op not in PERSON_OPS for b in plan.batches):
            self.invalidate()
            return
        snap = self._snap
        by_email = snap.user_by_email()
        emails = [e.lower() for e in emails]
        if self.full_cost and sum(2 if e in by_email else 3 for e in emails) > self.full_cost:
            self.invalidate()  # one full read costs fewer calls than reading each person back
            return
        for b in plan.batches:
            if b.op in ("queue.members.add", "queue.members.remove"):
                self._queue_members(snap, b.target, b.items, b.op.endswith("add"))
        await asyncio.gather(*(self._person(snap, e, by_email) for e in emails))

    async def reread(self, emails: Iterable[str]) -> None:
        """Read these people again (user, groups, grants) before planning them."""
        snap = await self.snapshot()
        by_email = snap.user_by_email()
        await asyncio.gather(*(self._person(snap, e.lower(), by_email) for e in emails))

    @staticmethod
    def _queue_members(snap: Snapshot, queue_name: str, emails: list[str], add: bool) -> None:
        by_email = snap.user_by_email()
        ids = {by_email[e.lower()].id for e in emails if e.lower() in by_email}
        for qid, q in snap.queues.items():
            if q.name.lower() == queue_name.lower():
                members = q.member_ids | ids if add else q.member_ids - ids
                snap.queues[qid] = replace(q, member_ids=frozenset(members))

    async def _person(self, snap: Snapshot, email: str, by_email: dict) -> None:
        known = by_email.get(email)
        uid = known.id if known else None
        if uid is None:
            found = await users_api.find_user_by_email(self.client, email)
            if found is None:
                return
            uid = found.id
        try:
            u, subject = await asyncio.gather(
                users_api.get_user(self.client, uid, expand=["groups"]),
                grants_api.get_subject(self.client, uid),
            )
        except NotFoundError:  # deleted
            snap.users.pop(uid, None)
            snap.user_grants.pop(uid, None)
            self._set_groups(snap, uid, set())
            return
        self.person_reads += 1
        snap.users[uid] = _user(u)
        held = frozenset(
            Grant(g.role.id, g.division.id) for g in subject.grants if g.subject_id in (None, "", uid)
        )
        if held:
            snap.user_grants[uid] = held
        else:
            snap.user_grants.pop(uid, None)
        self._set_groups(snap, uid, {str(g["id"]) for g in (getattr(u, "groups", None) or []) if g.get("id")})

    @staticmethod
    def _set_groups(snap: Snapshot, uid: str, wanted: set[str]) -> None:
        for gid, g in snap.groups.items():
            inside = uid in g.member_ids
            if inside != (gid in wanted):
                members = g.member_ids | {uid} if gid in wanted else g.member_ids - {uid}
                snap.groups[gid] = replace(g, member_ids=frozenset(members))
