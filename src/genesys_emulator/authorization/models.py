"""Roles and subject grants: a grant is role × division for a user, a group or an OAuth client."""

from __future__ import annotations

from typing import Any

from ..bodies import Grants, Policies, validate
from ..divisions.models import ref as division_ref
from ..errors import ApiError, bad_request, conflict, not_found
from ..org import Org, new_id, now_iso
from ..permissions import ALL_DIVISIONS

SUBJECT_TYPES = ("PC_USER", "PC_GROUP", "PC_OAUTH_CLIENT")


def permission_strings(role: dict) -> list[str]:
    return sorted(
        f"{p['domain']}:{p['entityName']}:{a}" for p in role["permissionPolicies"] for a in p["actionSet"]
    )


def render_role(org: Org, role: dict) -> dict:
    return {
        "id": role["id"],
        "name": role["name"],
        "description": role.get("description", ""),
        "permissions": permission_strings(role),
        "permissionPolicies": [
            {
                "domain": p["domain"],
                "entityName": p["entityName"],
                "actionSet": list(p["actionSet"]),
                "policyName": f"{p['domain']}_{p['entityName']}",
                "allowConditions": False,
            }
            for p in role["permissionPolicies"]
        ],
        "userCount": sum(
            1
            for s, g in org.grants.items()
            if org.subject_types.get(s) == "PC_USER" and any(r == role["id"] for r, _ in g)
        ),
        "default": role.get("default", False),
        "base": False,
        "selfUri": f"/api/v2/authorization/roles/{role['id']}",
    }


def check_policies(items: object) -> list[dict]:
    if items is None:
        return []
    policies = validate(Policies, items, where="permissionPolicies").root
    return [
        {"domain": p.domain, "entityName": p.entity_name, "actionSet": list(p.action_set)} for p in policies
    ]


def create_role(
    org: Org,
    name: str,
    policies: list[dict],
    description: str = "",
    *,
    role_id: str | None = None,
    default: bool = False,
) -> dict:
    if any(r["name"].lower() == name.lower() for r in org.roles.values()):
        raise conflict(f"A role named {name!r} already exists.", "general.conflict")
    role: dict[str, Any] = {
        "id": role_id or new_id(),
        "name": name,
        "description": description,
        "permissionPolicies": policies,
        "default": default,
    }
    org.roles[role["id"]] = role
    org.mark_born(role["id"])
    org.touch(authz=True)
    return role


def delete_role(org: Org, role: dict) -> None:
    """The platform deletes a granted role and leaves its grants behind (orphans): a later
    bulkremove naming one fails whole, while DELETE of the single grant still works."""
    if role.get("default"):
        raise bad_request(f"The default role {role['name']!r} cannot be deleted.", "role.default")
    org.deleted_names[role["id"]] = role["name"]
    del org.roles[role["id"]]
    org.touch(authz=True)


# ---- subjects -------------------------------------------------------------------------------
def subject(
    org: Org, subject_id: str, subject_type: str | None = None, *, ref: bool = False
) -> tuple[str, dict]:
    """(type, record) of a grant subject; unknown or of another type → 404. With `ref` (a grant is
    being made or removed) a group younger than the consistency delay is not yet known either."""
    kind = org.subject_types.get(subject_id)
    if subject_type is not None and subject_type not in SUBJECT_TYPES:
        raise bad_request(f"subjectType must be one of {', '.join(SUBJECT_TYPES)}.", "invalid.value")
    if kind is None or (subject_type is not None and kind != subject_type):
        raise not_found("subject", subject_id)
    rec = {"PC_USER": org.users, "PC_GROUP": org.groups, "PC_OAUTH_CLIENT": org.oauth_clients}[kind].get(
        subject_id
    )
    if rec is None or rec.get("state") == "deleted" or (ref and not org.settled(subject_id)):
        raise not_found("subject", subject_id)
    return kind, rec


def subject_grants(org: Org, subject_id: str, kind: str) -> dict[tuple[str, str], str]:
    if kind == "PC_OAUTH_CLIENT":
        rec = org.oauth_clients[subject_id]
        return {(rd["roleId"], rd["divisionId"]): rec["dateCreated"] for rd in rec["roleDivisions"]}
    return org.grants.get(subject_id, {})


def render_grant(org: Org, subject_id: str, role_id: str, division_id: str, made: str) -> dict:
    role = org.roles.get(role_id) or {"name": org.name_of_role(role_id), "description": ""}
    if division_id == ALL_DIVISIONS:
        division = {
            "id": ALL_DIVISIONS,
            "name": "All divisions",
            "homeDivision": False,
            "selfUri": "/api/v2/authorization/divisions/*",
        }
    else:
        division = division_ref(org, division_id) | {"homeDivision": division_id == org.home_division_id}
        division["name"] = org.name_of_division(division_id)
    return {
        "subjectId": subject_id,
        "division": division,
        "role": {
            "id": role_id,
            "name": role["name"],
            "description": role.get("description", ""),
            "default": role.get("default", False),
            "selfUri": f"/api/v2/authorization/roles/{role_id}",
        },
        "grantMadeAt": made,
    }


def render_subject(org: Org, subject_id: str, kind: str, rec: dict, *, duplicates: bool = False) -> dict:
    """A user's view includes the grants it inherits from role-enabled groups, each with the
    group's id as `subjectId`; one row per (role, division) unless `duplicates` (the platform's
    includeDuplicates=true). A direct grant is one whose subjectId is the user."""
    rows = [(subject_id, key, made) for key, made in subject_grants(org, subject_id, kind).items()]
    if kind == "PC_USER":
        for gid in sorted(org.user_groups(subject_id)):
            if org.groups.get(gid, {}).get("rolesEnabled"):
                rows += [(gid, key, made) for key, made in org.grants.get(gid, {}).items()]
    if not duplicates:
        seen: set[tuple[str, str]] = set()
        rows = [r for r in rows if not (r[1] in seen or seen.add(r[1]))]  # type: ignore[func-returns-value]
    return {
        "id": subject_id,
        "name": rec.get("name", ""),
        "grants": [render_grant(org, sid, r, d, made) for sid, (r, d), made in rows],
        "version": org.grant_versions.get(subject_id, 1),
        "selfUri": f"/api/v2/authorization/subjects/{subject_id}",
    }


def parse_grants(body: dict) -> list[tuple[str, str]]:
    return validate(Grants, body).pairs()


def check_exist(org: Org, grants: list[tuple[str, str]]) -> None:
    """All-or-nothing: one unknown (or not yet visible) role or division fails the whole call."""
    for role_id, division_id in grants:
        org.role(role_id, ref=True)
        if division_id != ALL_DIVISIONS:
            org.division(division_id, ref=True)


def _grantable(org: Org, subject_id: str, kind: str) -> None:
    if kind == "PC_OAUTH_CLIENT":
        raise bad_request(
            "OAuth client grants are set through the client's roleDivisions.", "invalid.subject"
        )
    if kind == "PC_GROUP" and not org.groups[subject_id].get("rolesEnabled"):
        raise ApiError(
            400, "group.roles.not.enabled", "Roles cannot be granted to a group without rolesEnabled."
        )


def _changed(org: Org, subject_id: str, kind: str, event: str, role_id: str, division_id: str) -> None:
    org.grant_versions[subject_id] = org.grant_versions.get(subject_id, 1) + 1
    if kind == "PC_GROUP":
        org.record_group_change(subject_id, event, roleId=role_id, divisionId=division_id)
    else:
        org.record(subject_id, event, roleId=role_id, divisionId=division_id)


def add(org: Org, subject_id: str, kind: str, grants: list[tuple[str, str]]) -> None:
    _grantable(org, subject_id, kind)
    check_exist(org, grants)
    held = org.grants[subject_id]
    made = now_iso()
    for key in grants:
        if key not in held:
            held[key] = made
            _changed(org, subject_id, kind, "grant.add", *key)
    org.touch(authz=True)


def _default_grant(org: Org, subject_id: str, kind: str) -> tuple[str, str] | None:
    role_id = org.default_role_id()
    if kind != "PC_USER" or role_id is None:
        return None
    return (role_id, org.home_division_id)


def remove(
    org: Org, subject_id: str, kind: str, grants: list[tuple[str, str]], *, check: bool = True
) -> None:
    """bulkremove (`check`): all-or-nothing, failing whole on a role or division that no longer
    exists; the single-grant DELETE (`check=False`) removes an orphaned grant too."""
    _grantable(org, subject_id, kind)
    if check:
        check_exist(org, grants)
    default = _default_grant(org, subject_id, kind)
    if default is not None and default in grants:
        role = org.name_of_role(default[0])
        raise bad_request(f"The default role {role!r} cannot be removed from a user.", "role.default")
    held = org.grants.get(subject_id, {})
    for key in grants:
        if held.pop(key, None) is not None:
            _changed(org, subject_id, kind, "grant.remove", *key)
    org.touch(authz=True)


def replace(org: Org, subject_id: str, kind: str, grants: list[tuple[str, str]]) -> None:
    """Direct grants only (inherited ones are not the subject's), and the default role stays."""
    _grantable(org, subject_id, kind)
    check_exist(org, grants)
    wanted = set(grants)
    default = _default_grant(org, subject_id, kind)
    if default is not None:
        wanted.add(default)
    held = org.grants.get(subject_id, {})
    remove(org, subject_id, kind, [k for k in held if k not in wanted], check=False)
    add(org, subject_id, kind, [k for k in grants if k not in held])
