"""Natural keys → ids, for the executor and the workers.

Seeded from a snapshot when there is one; otherwise (a worker) it looks objects up through the
API on first use and caches them; creates teach it new ids. A long-lived worker's cache can go
stale (an object deleted and created again under the same name): `forget` drops an id so the next
`get` resolves the natural key afresh (see executor.run_batch, which does so on a 404).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from tenantry.domain.model import ALL_DIVISIONS, Snapshot
from tenantry.genesys import GenesysClient
from tenantry.genesys.api import divisions, groups, oauth_clients, queues, roles, users
from tenantry.genesys.models import RoleDivision

KINDS = ("division", "role", "group", "queue", "client", "user")


class Resolver:
    def __init__(self, client: GenesysClient, snap: Snapshot | None = None) -> None:
        self.client = client
        self.ids: dict[tuple[str, str], str] = {}
        self.versions: dict[str, int] = {}
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        if snap is not None:
            for kind, objects in (
                ("division", snap.divisions.values()),
                ("role", snap.roles.values()),
                ("group", snap.groups.values()),
                ("queue", snap.queues.values()),
                ("client", snap.oauth_clients.values()),
            ):
                for o in objects:
                    self.learn(kind, o.name, o.id)
            for u in snap.users.values():
                self.learn("user", u.email, u.id)

    def learn(self, kind: str, key: str, object_id: str) -> None:
        self.ids[(kind, key.lower())] = object_id

    def forget(self, kind: str, key: str | None = None) -> int:
        """Drop cached ids (one key, or a whole kind): the next lookup asks the org."""
        gone = [k for k in self.ids if k[0] == kind and (key is None or k[1] == key.lower())]
        for k in gone:
            del self.ids[k]
        return len(gone)

    async def _load(self, kind: str) -> None:
        loaders: dict[str, Callable[[], Any]] = {
            "division": lambda: divisions.list_divisions(self.client),
            "role": lambda: roles.list_roles(self.client),
            "group": lambda: groups.list_groups(self.client),
            "queue": lambda: queues.list_queues(self.client),
            "client": lambda: oauth_clients.list_oauth_clients(self.client),
        }
        for obj in await loaders[kind]():
            self.learn(kind, obj.name, obj.id)

    async def get(self, kind: str, key: str, *, required: bool = True) -> str | None:
        found = self.ids.get((kind, key.lower()))
        if found is not None:
            return found
        async with self._locks[kind]:
            found = self.ids.get((kind, key.lower()))
            if found is None and kind == "user":
                u = await users.find_user_by_email(self.client, key)
                if u is not None:
                    self.learn("user", key, u.id)
            elif found is None:
                await self._load(kind)
        found = self.ids.get((kind, key.lower()))
        if found is None and required:
            raise LookupError(f"{kind} {key!r} does not exist in the org")
        return found

    async def need(self, kind: str, key: str) -> str:
        """An id that must exist (LookupError otherwise)."""
        found = await self.get(kind, key, required=True)
        assert found is not None
        return found

    async def pairs(self, items: list[list[str]], *, removing: bool = False) -> list[RoleDivision]:
        """Role and division names → ids. When `removing`, a name the org no longer knows is the
        id the plan read from a grant whose role or division was deleted (an orphan): kept as is."""
        out = []
        for role, division in items:
            div = division
            if division != ALL_DIVISIONS:
                div = await self.get("division", division, required=not removing) or division
            role_id = await self.get("role", role, required=not removing) or role
            out.append(RoleDivision(role_id=role_id, division_id=div))
        return out

    async def user_ids(self, emails: list[str], *, required: bool) -> list[str]:
        found = [await self.get("user", e, required=required) for e in emails]
        return [f for f in found if f]
