"""The API areas over real HTTP against the emulator (the official SDK's JSON shapes)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tenantry.genesys import ConflictError, ForbiddenError, api
from tenantry.genesys.models import IdentityProvider, RoleDivision

from .conftest import emu_client


async def test_demo_org_reads(demo: Any) -> None:
    async with emu_client(demo) as client:
        users = await api.users.list_users(client)
        divisions = await api.divisions.list_divisions(client)
        roles = await api.roles.list_roles(client)
        groups = await api.groups.list_groups(client)
        queues = await api.queues.list_queues(client)
        home = await api.divisions.get_home_division(client)
    summary = demo.summary()
    assert sorted(u.email for u in users.users) == sorted(summary["users"])
    assert users.unread == 0 and users.total == len(users.users)
    assert sorted(d.name for d in divisions) == summary["divisions"]
    assert home.home_division and home.name in summary["divisions"]
    assert {"Master Admin", "Agent", "employee"} <= {r.name for r in roles}
    assert sorted(g.name for g in groups) == sorted(summary["groups"])
    assert {q.name: q.division.name for q in queues if q.division} == {
        name: q["division"] for name, q in summary["queues"].items()
    }


async def test_tenant_lifecycle_through_every_area(demo: Any) -> None:
    async with emu_client(demo) as client:
        agent = await api.roles.find_role(client, "Agent")
        viewer = await api.roles.find_role(client, "Reporting Viewer")
        assert agent and viewer
        acme = await api.divisions.create_division(client, "Initech", "Client account Initech")
        assert await api.divisions.find_division(client, "initech") == acme
        group = await api.groups.create_group(client, "Initech Agents", description="agents")
        await api.grants.bulk_add(
            client, group.id, [RoleDivision(role_id=agent.id, division_id=acme.id)], "PC_GROUP"
        )
        queue = await api.queues.create_queue(client, "Initech Support", acme.id, member_group_ids=[group.id])
        users = [
            await api.users.create_user(
                client, name=f"Ini {i}", email=f"ini{i}@initech.example", division_id=acme.id
            )
            for i in range(3)
        ]
        await api.groups.add_group_members(client, group.id, [u.id for u in users])
        await api.queues.add_queue_members(client, queue.id, [users[0].id])
        reporting = await api.oauth_clients.create_oauth_client(
            client, "Initech reporting", [RoleDivision(role_id=viewer.id, division_id=acme.id)]
        )
        assert reporting.secret is not None and "*" in repr(reporting.secret)

        members = await api.groups.list_group_members(client, group.id)
        assert sorted(m.email for m in members) == sorted(u.email for u in users)
        direct = await api.queues.list_queue_members(client, queue.id, member_by="user")
        assert [m.id for m in direct] == [users[0].id]
        assert len(await api.queues.list_queue_members(client, queue.id)) == 3
        subject = await api.grants.get_subject(client, group.id)
        assert [(g.role.name, g.division.name) for g in subject.grants] == [("Agent", "Initech")]
        fetched = await api.users.get_users(client, [u.id for u in users])
        assert sorted(u.id for u in fetched) == sorted(u.id for u in users)

        # A mover: revoke, move, re-home; then a leaver.
        await api.groups.remove_group_members(client, group.id, [users[1].id])
        home = await api.divisions.get_home_division(client)
        await api.divisions.move_objects(client, home.id, "USER", [users[1].id])
        moved = await api.users.get_user(client, users[1].id)
        assert moved.division and moved.division.id == home.id
        left = await api.users.set_user_state(client, users[2].id, "inactive")
        assert left.state == "inactive"
        assert await api.users.find_user_by_email(client, "ini2@initech.example") is not None
        assert await api.users.delete_user(client, users[2].id) is True
        assert await api.users.delete_user(client, users[2].id) is False
        assert await api.users.find_user_by_email(client, "ini2@initech.example") is None

        updated = await api.groups.update_group(client, group.id, description="Initech agents")
        assert updated.description == "Initech agents" and updated.version and updated.version > 1
        renamed = await api.queues.update_queue(client, queue.id, description="support line")
        assert renamed.description == "support line" and [g.id for g in renamed.member_groups] == [group.id]
        rotated = await api.oauth_clients.regenerate_secret(client, reporting.id)
        assert rotated.secret and rotated.secret.get_secret_value() != reporting.secret.get_secret_value()

        with pytest.raises(ConflictError):  # a real conflict, not after an unclear answer: surfaced
            await api.groups.create_group(client, "Initech Agents")

    summary = demo.summary()
    assert summary["groups"]["Initech Agents"]["members"] == ["ini0@initech.example"]
    assert summary["queues"]["Initech Support"] == {
        "division": "Initech",
        "memberGroups": ["Initech Agents"],
        "members": ["ini0@initech.example"],
    }
    assert summary["oauthClients"]["Initech reporting"] == ["Reporting Viewer@Initech"]


async def test_conversations_are_filtered_by_division(demo: Any) -> None:
    interval = "2026-01-01T00:00:00Z/2027-06-01T00:00:00Z"
    async with emu_client(demo) as client:
        divisions = {d.name: d.id for d in await api.divisions.list_divisions(client)}
        everything = await api.analytics.query_conversation_details(client, interval, page_size=25)
        acme = await api.analytics.query_conversation_details(
            client, interval, division_ids=[divisions["Acme Insurance"]], page_size=25
        )
    assert len(everything) == 120  # the demo seed's conversations, read over 5 pages
    assert acme and all(divisions["Acme Insurance"] in c.division_ids for c in acme)
    assert len(acme) < len(everything)


async def test_identity_providers(demo: Any) -> None:
    provider = IdentityProvider(
        name="Okta",
        issuer_uri="http://www.okta.com/exk1",
        sso_target_uri="https://bpo.okta.com/app/sso/saml",
        certificate="MIIB...",
        disabled=False,
    )
    async with emu_client(demo) as client:
        assert await api.identity_providers.get_identity_provider(client, "okta") is None
        saved = await api.identity_providers.put_identity_provider(client, "okta", provider)
        assert saved.issuer_uri == "http://www.okta.com/exk1"
        assert [p.name for p in await api.identity_providers.list_identity_providers(client)] == ["Okta"]
        assert await api.identity_providers.delete_identity_provider(client, "okta") is True
        assert await api.identity_providers.delete_identity_provider(client, "okta") is False


async def test_division_scoped_client_is_refused_outside_its_division(demo: Any) -> None:
    async with emu_client(demo) as admin:
        viewer = await api.roles.find_role(admin, "Reporting Viewer")
        acme = await api.divisions.find_division(admin, "Acme Insurance")
        assert viewer and acme
        scoped = await api.oauth_clients.create_oauth_client(
            admin, "Acme reporting", [RoleDivision(role_id=viewer.id, division_id=acme.id)]
        )
    assert scoped.secret
    from tenantry.genesys import Credentials, GenesysClient, resolve_target

    creds = Credentials.of(scoped.id, scoped.secret.get_secret_value())
    async with GenesysClient(resolve_target(demo.base_url), [creds], timeout=2) as client:
        seen = await api.analytics.query_conversation_details(
            client, "2026-01-01T00:00:00Z/2027-06-01T00:00:00Z"
        )
        assert seen and all(acme.id in c.division_ids for c in seen)
        with pytest.raises(ForbiddenError) as exc:
            await api.users.create_user(client, name="X", email="x@acme.example", division_id=acme.id)
    assert exc.value.status == 403 and exc.value.correlation_id


async def test_a_just_created_division_is_granted_despite_eventual_consistency(demo: Any) -> None:
    demo.admin.put("/_emulator/consistency", json={"delay": 0.4}).raise_for_status()
    try:
        async with emu_client(demo) as client:
            agent = await api.roles.find_role(client, "Agent")
            assert agent
            division = await api.divisions.create_division(client, "Fresh Tenant")
            group = await api.groups.create_group(client, "Fresh Agents")
            await api.grants.bulk_add(
                client, group.id, [RoleDivision(role_id=agent.id, division_id=division.id)], "PC_GROUP"
            )
            snap = client.metrics.snapshot()
    finally:
        demo.admin.put("/_emulator/consistency", json={"delay": 0}).raise_for_status()
    assert demo.summary()["groups"]["Fresh Agents"]["grants"] == ["Agent@Fresh Tenant"]
    assert snap["retries"].get("POST /api/v2/authorization/subjects/{subjectId}/bulkadd 404-fresh", 0) >= 1


async def test_the_budget_learns_the_limit_and_uses_it_without_429s(demo: Any) -> None:
    """The client starts from the platform default (300/60 s) and learns 100/1 s from the headers."""
    import time

    demo.set_rate_limit("100/1s")
    try:
        async with emu_client(demo) as client:
            ids = [u.id for u in (await api.users.list_users(client)).users]
            await asyncio.sleep(1.05)  # an empty window to start from
            t0 = time.monotonic()
            await asyncio.gather(*(api.users.get_user(client, ids[i % len(ids)]) for i in range(400)))
            elapsed = time.monotonic() - t0
            budget = client.pool.members[0].budget
            snap = client.metrics.snapshot()
    finally:
        demo.set_rate_limit("100000/60s")
    assert (budget.limit, budget.window) == (100, 1.0)
    assert snap["rate_limited"] == 0
    assert 2.9 < elapsed < 4.5  # 4 windows' worth: the first is free, three are waited for
