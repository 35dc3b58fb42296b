"""Divisions: the platform's unit of access control. An object belongs to exactly one."""

from __future__ import annotations

from ..errors import ApiError, bad_request, conflict
from ..org import Org, new_id, now_iso

OBJECT_TYPES = ("USER", "QUEUE")  # the types this emulator holds in divisions


def render(org: Org, d: dict, *, counts: bool = False) -> dict:
    out = {
        "id": d["id"],
        "name": d["name"],
        "description": d.get("description", ""),
        "homeDivision": d["id"] == org.home_division_id,
        "selfUri": f"/api/v2/authorization/divisions/{d['id']}",
    }
    if counts:
        out["objectCounts"] = object_counts(org, d["id"])
    return out


def ref(org: Org, division_id: str) -> dict:
    """The `{id, name, selfUri}` form embedded in other objects."""
    d = org.divisions.get(division_id)
    name = d["name"] if d else ""
    return {"id": division_id, "name": name, "selfUri": f"/api/v2/authorization/divisions/{division_id}"}


def object_counts(org: Org, division_id: str) -> dict[str, int]:
    users = sum(1 for u in org.users.values() if u["divisionId"] == division_id and u["state"] != "deleted")
    queues = sum(1 for q in org.queues.values() if q["divisionId"] == division_id)
    return {"USER": users, "QUEUE": queues}


def by_name(org: Org, name: str) -> dict | None:
    low = name.lower()
    return next((d for d in org.divisions.values() if d["name"].lower() == low), None)


def create(org: Org, name: str, description: str = "", *, division_id: str | None = None) -> dict:
    if not name.strip():
        raise bad_request("name is required.", "invalid.value")
    if by_name(org, name):
        raise conflict(f"A division named {name!r} already exists.", "general.conflict")
    if len(org.divisions) >= org.division_limit:
        raise ApiError(
            400, "division.limit.exceeded", f"The division limit of {org.division_limit} is reached."
        )
    d = {"id": division_id or new_id(), "name": name, "description": description, "dateCreated": now_iso()}
    org.divisions[d["id"]] = d
    org.mark_born(d["id"])
    org.touch(authz=True)
    return d


def update(org: Org, d: dict, name: str, description: str | None) -> dict:
    other = by_name(org, name)
    if other and other["id"] != d["id"]:
        raise conflict(f"A division named {name!r} already exists.", "general.conflict")
    d["name"] = name
    if description is not None:
        d["description"] = description
    org.touch()
    return d


def delete(org: Org, d: dict, force: bool) -> None:
    """Without force a division must be empty. With force (deprecated; tenantry never sends it)
    its users and queues are orphaned, not deleted: they keep the gone division's id and only a
    caller holding rights on all divisions still reaches them. Grants naming the division stay
    behind as orphans either way, as on the platform."""
    if d["id"] == org.home_division_id:
        raise bad_request("The home division cannot be deleted.", "home.division.delete")
    counts = object_counts(org, d["id"])
    if not force and any(counts.values()):
        raise bad_request(
            f"Division {d['name']!r} still holds objects {counts}; move them or delete with force.",
            "division.not.empty",
        )
    org.deleted_names[d["id"]] = d["name"]
    del org.divisions[d["id"]]
    org.touch(authz=True)


def move_objects(org: Org, target: dict, object_type: str, ids: list[str]) -> None:
    """All-or-nothing: every id must exist before anything moves."""
    if object_type not in OBJECT_TYPES:
        raise bad_request(
            f"objectType {object_type} is not supported; use one of {', '.join(OBJECT_TYPES)}.",
            "invalid.value",
        )
    store = org.users if object_type == "USER" else org.queues
    missing = [i for i in ids if i not in store or (object_type == "USER" and store[i]["state"] == "deleted")]
    if missing:
        raise bad_request(f"Unknown {object_type} ids: {', '.join(missing[:10])}", "invalid.value")
    from ..queues.models import move as move_queue  # queues embed division refs: imported late

    for i in ids:
        obj = store[i]
        if obj["divisionId"] == target["id"]:
            continue
        if object_type == "USER":
            old = obj["divisionId"]
            obj["divisionId"] = target["id"]
            obj["version"] += 1
            org.record(i, "user.division", fromDivisionId=old, toDivisionId=target["id"])
        else:
            move_queue(org, obj, target["id"])
    org.touch(authz=True)
