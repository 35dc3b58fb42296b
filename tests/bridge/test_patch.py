"""PATCH on stored dicts, pure: the dialects of IDP-SCIM.md §1.2 and the member-only fast path."""

from __future__ import annotations

import pytest

from tenantry.bridge.patch import apply, member_delta, operations
from tenantry.bridge.schema import ENTERPRISE, ScimError, clean_group, clean_user


def ops(*items: dict) -> list:
    return operations({"Operations": list(items)})


def test_member_delta_reads_only_member_changes() -> None:
    got = member_delta(
        ops(
            {"op": "Add", "path": "members", "value": [{"value": "a"}, {"value": "b", "display": "B"}]},
            {"op": "Remove", "path": "members", "value": [{"value": "a"}]},
            {"op": "remove", "path": 'members[value eq "c"]'},
            {"op": "replace", "value": {"id": "g1", "displayName": "G"}},
        )
    )
    assert got == ({"b": "B"}, {"a", "c"}, "G")
    assert member_delta(ops({"op": "replace", "path": "members", "value": []})) is None
    assert member_delta(ops({"op": "remove", "path": "members"})) is None  # all members: the general path
    assert member_delta(ops({"op": "add", "path": "externalId", "value": "x"})) is None


def test_general_path_agrees_with_the_delta() -> None:
    group = clean_group({"displayName": "G", "members": [{"value": u} for u in "abcd"]})
    body = ops(
        {"op": "Remove", "path": "members", "value": [{"value": "b"}]},
        {"op": "remove", "path": 'members[value eq "c"]'},
        {"op": "add", "path": "members", "value": [{"value": "e"}, {"value": "a"}]},
    )
    after = clean_group(apply(group, body))
    added, removed, _ = member_delta(body)
    assert sorted(m["value"] for m in after["members"]) == sorted(
        ({"a", "b", "c", "d"} - removed) | set(added)
    )


def test_user_dialects() -> None:
    user = clean_user({"userName": "u@x.example", "active": "True", ENTERPRISE: {"manager": "m1"}})
    assert user["active"] is True and user[ENTERPRISE]["manager"] == {"value": "m1"}
    got = clean_user(
        apply(
            user,
            ops(
                {"op": "Replace", "path": "active", "value": "false"},
                {"op": "add", "path": 'emails[type eq "work"].value', "value": "u@x.example"},
                {"op": "replace", "value": {"name.familyName": "F", f"{ENTERPRISE}:department": "D"}},
                {"op": "add", "path": "urn:example:unknown:User:thing", "value": 1},
            ),
        )
    )
    assert got["active"] is False and got["emails"] == [{"type": "work", "value": "u@x.example"}]
    assert got["name"] == {"familyName": "F"} and got[ENTERPRISE]["department"] == "D"
    with pytest.raises(ScimError):
        clean_user({"userName": "u", "active": "maybe"})
    assert "password" not in clean_user({"userName": "u", "password": "p", "id": "x", "meta": {}})
