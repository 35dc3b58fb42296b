"""Issue 11 #11 (leaver retention is crash-safe), #12 (a stale cached id is re-resolved by its
natural key) and #16 (a secret file is always written fresh, mode 600), over real HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import stat
from pathlib import Path

from genesys_emulator import RunningEmulator
from tenantry.execution.executor import Context, Guard, Resolver, run_batch
from tenantry.execution.journal import Journal
from tenantry.planning.batching import Batch

from .conftest import DAY1, DAY2, Tenantry
from .test_rails import copy_example

LEAVER = "ana.reyes.242@bpo.example"


def test_an_inactive_leaver_without_a_record_gets_its_clock_when_seen(
    cli, tenantry: Tenantry, api, tmp_path: Path, journal_url: str
) -> None:
    tenantry.apply(DAY1)
    uid = next(
        u["id"]
        for u in api.get("/api/v2/users", params={"pageSize": 500}).json()["entities"]
        if u["email"] == LEAVER
    )
    # what a kill between deactivating and recording left behind: inactive, and no record
    version = api.get(f"/api/v2/users/{uid}").json()["version"]
    api.patch(f"/api/v2/users/{uid}", json={"state": "inactive", "version": version}).raise_for_status()
    assert LEAVER not in Journal(journal_url).leaver_since()
    r = cli("plan", "-c", str(copy_example(tmp_path)), "--people", str(DAY2))
    assert r.exit_code == 0, r.output
    assert LEAVER in Journal(journal_url).leaver_since()  # its retention runs from when it was seen
    no_retention = copy_example(
        tmp_path, lambda t: t.replace("leaver_retention_days: 30", "leaver_retention_days: 0")
    )
    r = cli("plan", "-c", str(no_retention), "--people", str(DAY2), "--json")
    deleted = [
        b["target"] for p in json.loads(r.stdout)["phases"] for b in p["batches"] if b["op"] == "user.delete"
    ]
    assert LEAVER in deleted


def test_the_leaver_is_recorded_before_it_is_deactivated(tenantry: Tenantry, emu: RunningEmulator) -> None:
    """The deactivation fails at the API: the record must exist all the same."""
    tenantry.apply(DAY1)

    async def go() -> None:
        async with tenantry.client() as c:
            r = Resolver(c)
            r.learn("user", LEAVER, "no-such-user-id")  # the write answers 404, twice (stale, then gone)
            ctx = Context(c, r, tenantry.journal, Guard())
            with contextlib.suppress(Exception):  # what matters is the journal afterwards
                await run_batch(ctx, Batch("revoke", "user.deactivate", LEAVER, []))

    asyncio.run(go())
    assert LEAVER in tenantry.journal.leaver_since()


def test_a_404_on_a_cached_id_resolves_the_natural_key_again(
    tenantry: Tenantry, api, emu: RunningEmulator
) -> None:
    tenantry.apply(DAY1)
    name = "Acme Insurance Agents"

    async def go() -> dict:
        async with tenantry.client() as c:
            resolver = Resolver(c)  # a long-lived worker's cache, filled before the group was replaced
            old = await resolver.need("group", name)
            gid = old
            version = api.get(f"/api/v2/groups/{gid}").json()
            api.delete(f"/api/v2/groups/{gid}").raise_for_status()
            made = api.post(
                "/api/v2/groups", json={"name": name, "type": "official", "rolesEnabled": True}
            ).json()
            assert made["id"] != old and version
            ctx = Context(c, resolver, tenantry.journal, Guard())
            out = await run_batch(ctx, Batch("grant", "group.members.add", name, ["agent1@acme.bpo.example"]))
            assert await resolver.need("group", name) == made["id"]
            return out

    assert asyncio.run(go()) == {"count": 1}
    assert emu.summary()["groups"][name]["members"] == ["agent1@acme.bpo.example"]


def test_a_secret_file_is_always_fresh_and_private(tenantry: Tenantry, tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text("do not touch")
    (secrets / "c-one.json").symlink_to(elsewhere)
    (secrets / "c-two.json").write_text("{}")
    os.chmod(secrets / "c-two.json", 0o644)

    async def go() -> None:
        async with tenantry.client() as c:
            snap_resolver = Resolver(c)
            ctx = Context(c, snap_resolver, tenantry.journal, Guard(), secrets)
            for name in ("c-one", "c-two"):
                spec = {"grants": [["Reporting Viewer", "Acme Insurance"]], "ttl": 3600, "description": ""}
                await run_batch(ctx, Batch("oauth-clients", "client.create", name, [spec]))

    asyncio.run(go())
    assert elsewhere.read_text() == "do not touch"
    for name in ("c-one", "c-two"):
        path = secrets / f"{name}.json"
        assert not path.is_symlink()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert json.loads(path.read_text())["client_secret"]
