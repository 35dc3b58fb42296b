"""Routing queues: live in a division; members are direct users or members of bound groups."""

from __future__ import annotations

import fnmatch
from typing import Any

from ..bodies import MemberGroup, QueueMembers, validate
from ..divisions.models import ref as division_ref
from ..errors import bad_request, conflict
from ..org import Org, new_id, now_iso

MAX_MEMBERS_PER_CALL = 100


def member_groups(org: Org, items: list[MemberGroup] | None) -> tuple[list[str], list[dict]]:
    """(GROUP ids, other bindings): TEAM and SKILLGROUP bindings are kept as sent (this emulator
    models no teams or skill groups, so they bring no members), GROUP ids must be known groups."""
    groups: list[str] = []
    others: list[dict] = []
    for mg in items or []:
        if mg.type == "GROUP":
            org.group(mg.id, ref=True)
            groups.append(mg.id)
        elif all(o["id"] != mg.id for o in others):
            others.append({"id": mg.id, "type": mg.type})
    return list(dict.fromkeys(groups)), others


def render(org: Org, q: dict) -> dict:
    direct = org.queue_members.get(q["id"], {})
    via: set[str] = set()
    for gid in q["memberGroups"]:
        via.update(org.group_members.get(gid, ()))
    return {
        "id": q["id"],
        "name": q["name"],
        "division": division_ref(org, q["divisionId"]),
        "description": q.get("description", ""),
        "dateCreated": q["dateCreated"],
        "dateModified": q["dateModified"],
        "memberCount": len(set(direct) | via),
        "userMemberCount": len(direct),
        "joinedMemberCount": len(set(direct) | via),
        "memberGroups": [
            {
                "id": g,
                "name": org.groups.get(g, {}).get("name", ""),
                "type": "GROUP",
                "memberCount": len(org.group_members.get(g, ())),
                "selfUri": f"/api/v2/groups/{g}",
            }
            for g in q["memberGroups"]
        ]
        + [
            {"id": b["id"], "name": "", "type": b["type"], "memberCount": 0}
            for b in q.get("otherBindings", [])
        ],
        "acwSettings": {"wrapupPrompt": "OPTIONAL"},
        "skillEvaluationMethod": "BEST",
        "autoAnswerOnly": False,
        "enableTranscription": False,
        "enableManualAssignment": False,
        "selfUri": f"/api/v2/routing/queues/{q['id']}",
    }


def name_matches(pattern: str, name: str) -> bool:
    """The platform's `name` filter: exact, or with leading/trailing `*` wildcards."""
    if "*" in pattern:
        return fnmatch.fnmatchcase(name.lower(), pattern.lower())
    return name.lower() == pattern.lower()


def by_name(org: Org, name: str) -> dict | None:
    low = name.lower()
    return next((q for q in org.queues.values() if q["name"].lower() == low), None)


def create(
    org: Org,
    name: str,
    division_id: str,
    groups: list[str],
    *,
    description: str = "",
    queue_id: str | None = None,
    others: list[dict] | None = None,
) -> dict:
    if by_name(org, name):
        raise conflict(f"A queue named {name!r} already exists.", "general.conflict")
    org.division(division_id, ref=True)
    now = now_iso()
    q: dict[str, Any] = {
        "id": queue_id or new_id(),
        "name": name,
        "divisionId": division_id,
        "description": description,
        "memberGroups": groups,
        "otherBindings": others or [],
        "dateCreated": now,
        "dateModified": now,
    }
    org.queues[q["id"]] = q
    org.mark_indexed_later(q["id"])
    _record_group_members(org, q, groups, "queue.member.add")
    org.touch(authz=True)
    return q


def _record_group_members(org: Org, q: dict, groups: list[str], event: str) -> None:
    for gid in groups:
        for uid in list(org.group_members.get(gid, ())):
            org.record(uid, event, queueId=q["id"], viaGroup=gid)


def update(
    org: Org,
    q: dict,
    name: str,
    groups: list[str],
    description: str | None,
    *,
    division_id: str | None = None,
    others: list[dict] | None = None,
) -> dict:
    """Everything is checked before anything changes; a move to another division is recorded."""
    other = by_name(org, name)
    if other and other["id"] != q["id"]:
        raise conflict(f"A queue named {name!r} already exists.", "general.conflict")
    if division_id is not None:
        move(org, q, division_id)
    old = q["memberGroups"]
    q["name"] = name
    q["memberGroups"] = groups
    q["otherBindings"] = others or []
    if description is not None:
        q["description"] = description
    q["dateModified"] = now_iso()
    _record_group_members(org, q, [g for g in old if g not in groups], "queue.member.remove")
    _record_group_members(org, q, [g for g in groups if g not in old], "queue.member.add")
    org.touch(authz=True)
    return q


def move(org: Org, q: dict, division_id: str) -> None:
    """A queue changes division: every member, direct or through a bound group, changes access."""
    old_division = q["divisionId"]
    if division_id == old_division:
        return
    q["divisionId"] = division_id
    members = dict.fromkeys(org.queue_members.get(q["id"], ()))
    for gid in q["memberGroups"]:
        members.update(dict.fromkeys(org.group_members.get(gid, ())))
    for uid in members:
        org.record(
            uid, "queue.division", queueId=q["id"], fromDivisionId=old_division, toDivisionId=division_id
        )


def delete(org: Org, q: dict) -> None:
    members = list(org.queue_members.pop(q["id"], {}))
    del org.queues[q["id"]]
    for uid in members:
        org.record(uid, "queue.member.remove", queueId=q["id"], reason="queue.deleted")
    org.touch(authz=True)


def member_ids(body: object) -> list[str]:
    """`[{"id": …}]`: at least one, at most 100 a call (the platform's cap)."""
    members = validate(QueueMembers, body).root
    if not members:
        raise bad_request("The body must name at least one member.", "invalid.value")
    if len(members) > MAX_MEMBERS_PER_CALL:
        raise bad_request(
            f"At most {MAX_MEMBERS_PER_CALL} members can be changed in one call; got {len(members)}.",
            "max.members.exceeded",
        )
    return [x.id for x in members]


def change_members(org: Org, q: dict, ids: list[str], delete: bool) -> None:
    members = org.queue_members[q["id"]]
    if not delete:
        for uid in ids:
            org.user(uid)
    for uid in ids:
        if delete and uid in members:
            del members[uid]
            org.record(uid, "queue.member.remove", queueId=q["id"])
        elif not delete and uid not in members:
            members[uid] = None
            org.record(uid, "queue.member.add", queueId=q["id"])
    q["dateModified"] = now_iso()
    org.touch(authz=True)
