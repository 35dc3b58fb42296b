"""SCIM groups: existing Genesys groups, members by user id."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..org import Org, now_iso
from .attributes import GROUP_ATTRS, resolve
from .errors import invalid_filter, invalid_syntax, invalid_value, mutability
from .etag import etag
from .filter import get_ci
from .urns import CORE_GROUP
from .users import as_list, as_str, base_urls


def render_group(org: Org, g: dict, base: str, visible: Callable[[dict], bool]) -> dict:
    urls = base_urls(base)
    out: dict[str, Any] = {"schemas": [CORE_GROUP], "id": g["id"], "displayName": g["name"]}
    ext = (g.get("scim") or {}).get("externalId")
    if ext:
        out["externalId"] = ext
    out["members"] = [
        {"type": "User", "value": uid, "$ref": f"{urls['users']}/{uid}"}
        for uid in org.group_members.get(g["id"], ())
        if uid in org.users and visible(org.users[uid])
    ]
    out["meta"] = {
        "resourceType": "Group",
        "lastModified": g.get("dateModified") or now_iso(),
        "location": f"{urls['groups']}/{g['id']}",
        "version": etag(g["version"]),
    }
    return out


def group_values(org: Org, g: dict, key: tuple) -> tuple[list[Any], bool]:
    attr = key[1]
    if attr == "id":
        return [g["id"]], True
    if attr == "displayName":
        return [g["name"]], False
    if attr == "externalId":
        ext = (g.get("scim") or {}).get("externalId")
        return ([ext] if ext else []), True
    if attr == "members":
        return [{"value": uid, "type": "User"} for uid in org.group_members.get(g["id"], ())], True
    raise invalid_filter(f"The attribute {attr!r} cannot be filtered on.")


def group_filter_key(path: str) -> tuple[str, str, str | None]:
    key = resolve(path, GROUP_ATTRS)
    if key[1] in ("meta", "schemas"):
        raise invalid_filter(f"The attribute {path!r} cannot be filtered on.")
    return key


def read_group(org: Org, g: dict, doc: Any, visible: Callable[[dict], bool]) -> tuple[str | None, list[str]]:
    """Validate a ScimV2Group body: (externalId, wanted member ids). Absent members means none."""
    if not isinstance(doc, dict):
        raise invalid_syntax("The request body must be a JSON object.")
    name = get_ci(doc, "displayName")
    if name is not None and name != g["name"]:
        raise mutability(
            f"displayName is immutable here: group {g['id']} is {g['name']!r}; "
            "an IdP group maps to an existing group by its exact name."
        )
    external = as_str(get_ci(doc, "externalId"), "externalId") or None
    wanted: list[str] = []
    for i, m in enumerate(as_list(get_ci(doc, "members"), "members")):
        if not isinstance(m, dict):
            raise invalid_value(f"members[{i}] must be an object with the user id in value.")
        kind = get_ci(m, "type")
        if kind not in (None, "User"):
            raise invalid_value(f"members[{i}]: only users can be members, not {kind!r}.")
        uid = get_ci(m, "value")
        if not isinstance(uid, str) or not uid:
            raise invalid_value(f"members[{i}].value must be a user id.")
        u = org.users.get(uid)
        if u is None or u["state"] == "deleted" or not visible(u):
            raise invalid_value(f"members[{i}]: there is no user {uid}.")
        if uid not in wanted:
            wanted.append(uid)
    return external, wanted


def set_group(
    org: Org, g: dict, external: str | None, wanted: list[str], visible: Callable[[dict], bool]
) -> None:
    """Members the caller can see become exactly `wanted`; the others stay as they are."""
    gid = g["id"]
    have = list(org.group_members.get(gid, ()))
    add = [uid for uid in wanted if uid not in org.group_members.get(gid, ())]
    remove = [uid for uid in have if uid not in wanted and uid in org.users and visible(org.users[uid])]
    for uid in remove:
        org.set_group_member(gid, uid, False)
        org.record(uid, "group.member.remove", groupId=gid)
    for uid in add:
        org.set_group_member(gid, uid, True)
        org.record(uid, "group.member.add", groupId=gid)
    s = dict(g.get("scim") or {})
    old_external = s.get("externalId")
    if external:
        s["externalId"] = external
    else:
        s.pop("externalId", None)
    if s:
        g["scim"] = s
    else:
        g.pop("scim", None)
    if add or remove or external != old_external:
        g["version"] += 1
        g["dateModified"] = now_iso()
        org.touch(authz=bool(add or remove))
