"""Groups: versioned, optionally role-enabled; members inherit the group's grants."""

from __future__ import annotations

from typing import Any

from ..bodies import GroupUpdate, MemberIds, validate
from ..errors import bad_request, conflict
from ..org import Org, new_id, now_iso

MAX_MEMBERS_PER_CALL = 50


def render(org: Org, g: dict) -> dict:
    return {
        "id": g["id"],
        "name": g["name"],
        "description": g.get("description", ""),
        "dateModified": g["dateModified"],
        "memberCount": len(org.group_members.get(g["id"], ())),
        "state": "active",
        "version": g["version"],
        "type": g["type"],
        "visibility": g["visibility"],
        "rolesEnabled": g["rolesEnabled"],
        "rulesVisible": False,
        "includeOwners": False,
        "callsEnabled": False,
        "owners": [],
        "selfUri": f"/api/v2/groups/{g['id']}",
    }


def by_name(org: Org, name: str) -> dict | None:
    return next((g for g in org.groups.values() if g["name"] == name), None)


def create(
    org: Org,
    name: str,
    *,
    description: str = "",
    type_: str = "official",
    visibility: str = "public",
    roles_enabled: bool = True,
    group_id: str | None = None,
) -> dict:
    if by_name(org, name):
        raise conflict(f"A group named {name!r} already exists.", "general.conflict")
    g: dict[str, Any] = {
        "id": group_id or new_id(),
        "name": name,
        "description": description,
        "type": type_,
        "visibility": visibility,
        "rolesEnabled": roles_enabled,
        "version": 1,
        "dateModified": now_iso(),
    }
    org.groups[g["id"]] = g
    org.subject_types[g["id"]] = "PC_GROUP"
    org.mark_born(g["id"])
    org.mark_indexed_later(g["id"])
    org.touch()
    return g


def check_version(org: Org, g: dict, version: object) -> None:
    if not isinstance(version, int) or isinstance(version, bool):
        raise bad_request("version is required and must be an integer.", "invalid.value")
    if version != g["version"]:
        raise org.version_mismatch(version, g["version"])


def update(org: Org, g: dict, raw: dict) -> dict:
    """The SDK's GroupUpdate has no `type`: a PUT keeps the group's type whatever it sends."""
    check_version(org, g, raw.get("version"))
    body = validate(GroupUpdate, raw)
    other = by_name(org, body.name)
    if other and other["id"] != g["id"]:
        raise conflict(f"A group named {body.name!r} already exists.", "general.conflict")
    roles_before = g["rolesEnabled"]
    g.update(
        name=body.name,
        description=body.description or "",
        visibility=body.visibility or g["visibility"],
        rolesEnabled=g["rolesEnabled"] if body.roles_enabled is None else body.roles_enabled,
    )
    g["version"] += 1
    g["dateModified"] = now_iso()
    if roles_before != g["rolesEnabled"]:
        org.record_group_change(g["id"], "group.rolesEnabled", rolesEnabled=g["rolesEnabled"])
    org.touch(authz=True)
    return g


def delete(org: Org, g: dict) -> None:
    gid = g["id"]
    members = list(org.group_members.get(gid, ()))
    org.grants.pop(gid, None)
    for uid in members:
        org.set_group_member(gid, uid, False)
    for q in org.queues.values():
        q["memberGroups"] = [x for x in q["memberGroups"] if x != gid]
    org.unindexed.pop(gid, None)
    del org.groups[gid]
    org.subject_types.pop(gid, None)
    org.group_members.pop(gid, None)
    for uid in members:
        org.record(uid, "group.member.remove", groupId=gid, reason="group.deleted")
    org.touch(authz=True)


def member_ids(ids: object) -> list[str]:
    """Member ids of one call: at least one, at most 50 (the platform's cap)."""
    checked = validate(MemberIds, {"memberIds": ids}).member_ids
    if len(checked) > MAX_MEMBERS_PER_CALL:
        raise bad_request(
            f"At most {MAX_MEMBERS_PER_CALL} members can be changed in one call; got {len(checked)}.",
            "max.members.exceeded",
        )
    return checked


def add_members(org: Org, g: dict, ids: list[str], version: object) -> None:
    check_version(org, g, version)
    for uid in ids:
        org.user(uid)  # 404 for unknown or deleted users, before anything changes
    for uid in ids:
        if uid not in org.group_members.get(g["id"], ()):
            org.set_group_member(g["id"], uid, True)
            org.record(uid, "group.member.add", groupId=g["id"])
    g["version"] += 1
    g["dateModified"] = now_iso()
    org.touch(authz=True)


def remove_members(org: Org, g: dict, ids: list[str]) -> None:
    for uid in ids:
        if uid in org.group_members.get(g["id"], ()):
            org.set_group_member(g["id"], uid, False)
            org.record(uid, "group.member.remove", groupId=g["id"])
    g["version"] += 1
    g["dateModified"] = now_iso()
    org.touch(authz=True)
