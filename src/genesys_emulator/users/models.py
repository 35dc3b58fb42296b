"""Users: created in a home division, versioned, deactivated and deleted; the grants' subjects."""

from __future__ import annotations

import re
from typing import Any

from ..divisions.models import ref as division_ref
from ..errors import bad_request, conflict
from ..org import Org, new_id, now_iso

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
STATES = ("active", "inactive")
INACTIVE_CAP = 10_000  # the platform answers 400 for inactive users past this many results


def render(org: Org, u: dict, expand: frozenset[str] = frozenset()) -> dict:
    out = {
        "id": u["id"],
        "name": u["name"],
        "division": division_ref(org, u["divisionId"]),
        "email": u["email"],
        "state": u["state"],
        "title": u.get("title") or "",
        "department": u.get("department") or "",
        "username": u["email"],
        "version": u["version"],
        "primaryContactInfo": [{"address": u["email"], "mediaType": "EMAIL", "type": "PRIMARY"}],
        "addresses": [],
        "acdAutoAnswer": False,
        "selfUri": f"/api/v2/users/{u['id']}",
    }
    if u.get("employerInfo"):
        out["employerInfo"] = dict(u["employerInfo"])
    if u.get("managerId"):
        out["manager"] = {"id": u["managerId"], "selfUri": f"/api/v2/users/{u['managerId']}"}
    if "groups" in expand:
        out["groups"] = [
            {"id": g, "selfUri": f"/api/v2/groups/{g}"} for g in sorted(org.user_groups(u["id"]))
        ]
    return out


def check_employer_info(value: object) -> dict:
    """`employerInfo`: an object of strings (employeeId holds an HR id)."""
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise bad_request("employerInfo must be an object of strings.", "invalid.value")
    return {k: v for k, v in value.items() if k in ("officialName", "employeeId", "employeeType", "dateHire")}


def check_email(email: object, field: str = "email") -> str:
    if not isinstance(email, str) or not EMAIL.match(email):
        raise bad_request(f"{field} must be a valid email address.", "invalid.value")
    return email


def create(
    org: Org,
    *,
    name: str,
    email: str,
    division_id: str,
    title: str = "",
    department: str = "",
    state: str = "active",
    user_id: str | None = None,
    employer_info: dict | None = None,
) -> dict:
    check_email(email)
    if state not in STATES:
        raise bad_request(f"state must be one of {', '.join(STATES)}.", "invalid.value")
    existing = org.user_by_email(email)
    if existing is not None:
        raise conflict(f"A user with email {email} already exists.", "general.conflict")
    org.division(division_id, ref=True)
    now = now_iso()
    u: dict[str, Any] = {
        "id": user_id or new_id(),
        "name": name,
        "email": email,
        "divisionId": division_id,
        "state": state,
        "title": title,
        "department": department,
        "version": 1,
        "dateCreated": now,
        "dateModified": now,
    }
    if employer_info:
        u["employerInfo"] = check_employer_info(employer_info)
    org.users[u["id"]] = u
    org.subject_types[u["id"]] = "PC_USER"
    org.index_user(u)
    org.mark_indexed_later(u["id"])
    grant_default_role(org, u["id"])
    org.touch()  # a user's grants never change what an OAuth client may do
    return u


def grant_default_role(org: Org, user_id: str) -> None:
    """Every new (or restored) user holds the org's default role (`employee`) in the Home division."""
    role_id = org.default_role_id()
    if role_id is None or not org.home_division_id:
        return
    held = org.grants[user_id]
    key = (role_id, org.home_division_id)
    if key not in held:
        held[key] = now_iso()
        org.record(user_id, "grant.add", roleId=role_id, divisionId=org.home_division_id, reason="default")


def check_version(org: Org, u: dict, version: object) -> None:
    if not isinstance(version, int) or isinstance(version, bool):
        raise bad_request("version is required and must be an integer.", "invalid.value")
    if version != u["version"]:
        raise org.version_mismatch(version, u["version"])


def patch(org: Org, u: dict, body: dict) -> dict:
    """PATCH semantics: the given fields change; `version` must be the current one. A PATCH that
    changes `state` changes nothing else (the platform ignores the other fields), and a PATCH of
    `state` on a deleted user restores it with its old id."""
    check_version(org, u, body.get("version"))
    state = body.get("state")
    if "state" in body and state not in STATES:
        raise bad_request(f"state must be one of {', '.join(STATES)}.", "invalid.value")
    if u["state"] == "deleted" and state is None:
        raise bad_request("A deleted user can only be restored, by a PATCH of its state.", "invalid.value")
    if state is not None and state != u["state"]:
        return _change_state(org, u, state)
    _check_fields(org, u, body)
    if "employerInfo" in body:
        u["employerInfo"] = check_employer_info(body["employerInfo"])
    old_email = u["email"]
    for field in ("name", "email", "title", "department"):
        if field in body:
            u[field] = body[field]
    if u["email"] != old_email:
        org._email_index.pop(old_email.lower(), None)
    org.index_user(u)
    u["version"] += 1
    u["dateModified"] = now_iso()
    org.touch()
    return u


def _check_fields(org: Org, u: dict, body: dict) -> None:
    if "email" in body and body["email"] != u["email"]:
        check_email(body["email"])
        other = org.user_by_email(body["email"])
        if other is not None and other["id"] != u["id"]:
            raise conflict(f"A user with email {body['email']} already exists.", "general.conflict")
    for field in ("name", "title", "department"):
        if field in body and not isinstance(body[field], str):
            raise bad_request(f"{field} must be a string.", "invalid.value")
    if "manager" in body and body["manager"] is not None:
        mid = body["manager"].get("id") if isinstance(body["manager"], dict) else body["manager"]
        if not isinstance(mid, str):
            raise bad_request("manager must be a user id or an object with one.", "invalid.value")
        org.user(mid)  # 404 for unknown or deleted users
        u["managerId"] = mid


def _change_state(org: Org, u: dict, state: str) -> dict:
    restored = u["state"] == "deleted"
    u["state"] = state
    u["version"] += 1
    u["dateModified"] = now_iso()
    org.record(u["id"], "user.state", state=state, **({"restored": True} if restored else {}))
    if restored:
        grant_default_role(org, u["id"])
    org.touch()
    return u


def delete(org: Org, u: dict) -> None:
    """A deleted user keeps no grant and no membership, but keeps its email: creating the email
    again answers 409 until the user is restored (PATCH of state)."""
    uid = u["id"]
    for key in list(org.grants.get(uid, {})):
        org.record(uid, "grant.remove", roleId=key[0], divisionId=key[1], reason="user.deleted")
    org.grants.pop(uid, None)
    for gid in list(org.user_groups(uid)):
        org.set_group_member(gid, uid, False)
        if gid in org.groups:
            org.groups[gid]["version"] += 1
    for members in org.queue_members.values():
        members.pop(uid, None)
    u["state"] = "deleted"
    u["version"] += 1
    org.index_user(u)
    org.record(uid, "user.state", state="deleted")
    org.touch(authz=True)


# the platform's criterion types (the SDK's UserSearchCriteria); `matches` implements the first three
SEARCH_TYPES = (
    "EXACT", "CONTAINS", "STARTS_WITH", "REGEX", "TERM", "TERMS", "REQUIRED_FIELDS", "MATCH_ALL",
    "QUERY_STRING", "RANGE", "LESS_THAN", "LESS_THAN_EQUAL_TO", "GREATER_THAN", "GREATER_THAN_EQUAL_TO",
)  # fmt: skip


def check_criterion(i: int, criterion: object) -> dict:
    """One users/search criterion, its shape checked before anything is matched."""
    scalar = (str, int, float)
    where = f"query[{i}]"
    if not isinstance(criterion, dict):
        raise bad_request(f"{where} must be an object.", "invalid.value")
    kind = criterion.get("type")
    if kind is not None and (not isinstance(kind, str) or kind.upper() not in SEARCH_TYPES):
        raise bad_request(f"{where}.type must be one of {', '.join(SEARCH_TYPES)}.", "invalid.value")
    fields = criterion.get("fields")
    if fields is not None and (not isinstance(fields, list) or not all(isinstance(f, str) for f in fields)):
        raise bad_request(f"{where}.fields must be an array of field names.", "invalid.value")
    if "value" in criterion and not isinstance(criterion["value"], scalar):
        raise bad_request(f"{where}.value must be a string or a number.", "invalid.value")
    values = criterion.get("values")
    if values is not None and (
        not isinstance(values, list) or not all(isinstance(v, scalar) for v in values)
    ):
        raise bad_request(f"{where}.values must be an array of strings.", "invalid.value")
    return criterion


def matches(u: dict, criterion: dict) -> bool:
    """One users/search criterion: EXACT, CONTAINS, STARTS_WITH over the named fields."""
    kind = (criterion.get("type") or "EXACT").upper()
    fields = criterion.get("fields") or []
    values = criterion.get("values") or ([criterion["value"]] if "value" in criterion else [])
    values = [str(v).lower() for v in values]
    for f in fields:
        have = str({"divisionId": u["divisionId"], "username": u["email"]}.get(f, u.get(f, "")) or "").lower()
        for v in values:
            if (
                (kind == "EXACT" and have == v)
                or (kind == "CONTAINS" and v in have)
                or (kind == "STARTS_WITH" and have.startswith(v))
            ):
                return True
    return False
