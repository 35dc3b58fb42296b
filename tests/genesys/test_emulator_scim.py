"""SCIM through the client: escaped filters, startIndex paging, If-Match versions, no duplicates."""

from __future__ import annotations

from typing import Any

import httpx

from tenantry.genesys import api
from tenantry.genesys.api.scim import patch_ops
from tenantry.genesys.models import SCIM_ENTERPRISE, ScimUser

from .conftest import emu_client


def _user(i: int, division: str = "Acme Insurance") -> ScimUser:
    return ScimUser.model_validate(
        {
            "userName": f"scim{i}@acme.example",
            "displayName": f"Scim Person {i}",
            "active": True,
            "emails": [{"value": f"scim{i}@acme.example", "type": "work", "primary": True}],
            SCIM_ENTERPRISE: {"division": division},
        }
    )


async def test_scim_users_round_trip(demo: Any) -> None:
    async with emu_client(demo) as client:
        created = await api.scim.create_scim_user(client, _user(1))
        assert created.id and created.division_name == "Acme Insurance"
        assert created.meta and created.meta.version
        found = await api.scim.find_scim_user(client, "scim1@acme.example")
        assert found and found.id == created.id
        assert await api.scim.find_scim_user(client, 'scim1@acme.example" or userName pr or "') is None

        patched = await api.scim.patch_scim_user(
            client, created.id, patch_ops(("replace", "title", "Team Lead"))
        )
        assert patched.title == "Team Lead"
        moved = _user(1, division="Globex Telecom").model_copy(update={"title": "Agent"})
        replaced = await api.scim.replace_scim_user(client, created.id, moved)
        assert replaced.division_name == "Globex Telecom" and replaced.title == "Agent"
        assert await api.scim.delete_scim_user(client, created.id) is True
        assert await api.scim.delete_scim_user(client, created.id) is False


async def test_scim_listing_pages_with_and_without_trimmed_attributes(demo: Any) -> None:
    async with emu_client(demo) as client:
        for i in range(30):
            await api.scim.create_scim_user(client, _user(100 + i))
        full, listing = await api.scim.list_scim_users(client)
        trimmed, _ = await api.scim.list_scim_users(client, attributes=["userName"])
        calls = client.metrics.snapshot()["calls"]
    assert listing.total == len(full) == len(trimmed) == len(demo.summary()["users"])
    assert len({u.id for u in full}) == len(full)
    assert {u.user_name for u in trimmed} == {u.user_name for u in full}
    assert not any(k.endswith(" 429") for k in calls)  # count above 25 only with trimmed attributes


async def test_a_stale_version_is_reread_and_the_patch_reapplied(demo: Any, monkeypatch: Any) -> None:
    async with emu_client(demo) as client:
        user = await api.scim.create_scim_user(client, _user(7))
        assert user.id and user.meta and user.meta.version
        stale = user.meta.version
        await api.scim.patch_scim_user(client, user.id, patch_ops(("replace", "title", "First")))
        # Another writer's answer is now stale: the platform says 400 invalidVers.
        raw = httpx.patch(
            f"{demo.base_url}/api/v2/scim/v2/users/{user.id}",
            json=patch_ops(("replace", "title", "Other")),
            headers={"Authorization": f"Bearer {demo.token()}", "If-Match": stale},
        )
        assert raw.status_code == 400 and raw.json()["scimType"] == "invalidVers"

        calls = {"n": 0}
        original = api.scim.get_scim_user

        async def stale_first_read(c: Any, uid: str) -> ScimUser:
            calls["n"] += 1
            current = await original(c, uid)
            if calls["n"] == 1:  # hand back the old version once, as a racing writer would cause
                assert current.meta
                current = current.model_copy(
                    update={"meta": current.meta.model_copy(update={"version": stale})}
                )
            return current

        monkeypatch.setattr(api.scim, "get_scim_user", stale_first_read)
        done = await api.scim.patch_scim_user(client, user.id, patch_ops(("replace", "title", "Second")))
        retries = client.metrics.snapshot()["retries"]
    assert done.title == "Second" and calls["n"] == 2
    assert retries.get("VERSIONED /api/v2/scim/v2/users/{userId} 409") == 1


async def test_scim_groups_are_changed_not_created(demo: Any) -> None:
    async with emu_client(demo) as client:
        group = await api.scim.find_scim_group(client, "Acme Insurance Agents")
        assert group and group.members
        user = await api.scim.create_scim_user(client, _user(9))
        assert user.id
        body = patch_ops(("add", "members", [{"value": user.id}]))
        changed = await api.scim.patch_scim_group(client, group.id, body)
        assert user.id in {m["value"] for m in changed.members or []}
    assert "scim9@acme.example" in demo.summary()["groups"]["Acme Insurance Agents"]["members"]
