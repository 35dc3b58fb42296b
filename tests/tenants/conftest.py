"""Fixtures for tenants-as-code tests over real HTTP: a client to the emulator, a journal, one apply."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from genesys_emulator import RunningEmulator
from support.cli import EXAMPLE, writes
from tenantry.config import tenants as config
from tenantry.execution.executor import ApplyResult, Context, Guard, Resolver, execute
from tenantry.execution.journal import Journal
from tenantry.genesys import Credentials, GenesysClient, resolve_target
from tenantry.genesys.snapshot import read_snapshot
from tenantry.inputs import people
from tenantry.planning.desired import build
from tenantry.planning.plan import Plan, diff

__all__ = ["EXAMPLE", "Tenantry", "writes"]


@dataclass
class Tenantry:
    """tenantry's main job driven from a test, as the CLI drives it."""

    emu: RunningEmulator
    journal: Journal
    cfg: config.Config

    def client(self) -> GenesysClient:
        return GenesysClient(
            resolve_target(self.emu.base_url),
            [Credentials.of(self.emu.client_id, self.emu.client_secret)],
            rate_limit=100_000,
        )

    def plan(self, feed: Path | list) -> Plan:
        persons = people.load(feed) if isinstance(feed, Path) else feed

        async def go() -> Plan:
            async with self.client() as c:
                snap = await read_snapshot(c)
            return diff(
                self.cfg,
                build(self.cfg, persons, str(feed)),
                snap,
                leaver_since=self.journal.leaver_since(),
                now=time.time(),
            )

        return asyncio.run(go())

    def apply(self, feed: Path | list, plan: Plan | None = None) -> tuple[Plan, ApplyResult]:
        plan = plan or self.plan(feed)
        assert not plan.errors, plan.errors

        async def go() -> ApplyResult:
            async with self.client() as c:
                snap = await read_snapshot(c)
                guard = Guard(frozenset(plan.settings["org_admins"]), frozenset(plan.settings["protected"]))
                return await execute(plan, Context(c, Resolver(c, snap), self.journal, guard, None))

        return plan, asyncio.run(go())

    def users_by_email(self) -> Counter:
        """How many users (active or inactive) hold each email: a duplicate shows as 2."""
        h = {"Authorization": f"Bearer {self.emu.token()}"}
        found: Counter = Counter()
        for state in ("active", "inactive"):
            page = 1
            while True:
                params = {"pageSize": 500, "pageNumber": page, "state": state}
                r = self.emu.admin.get("/api/v2/users", params=params, headers=h).json()
                found.update(u["email"].lower() for u in r.get("entities", []))
                if page >= r.get("pageCount", 1):
                    break
                page += 1
        return found


@pytest.fixture
def tenantry(emu: RunningEmulator, tmp_path: Path) -> Tenantry:
    return Tenantry(
        emu, Journal(f"sqlite:///{tmp_path / 'journal.db'}"), config.load(EXAMPLE / "tenants.yaml")
    )
