"""SCIM users: the user record rendered as a SCIM resource, and a SCIM body read into a user."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..divisions.models import by_name as division_by_name
from ..org import Org, now_iso
from ..users.models import EMAIL
from .attributes import CASE_EXACT, USER_ATTRS, resolve
from .errors import ScimError, invalid_filter, invalid_syntax, invalid_value
from .etag import etag
from .filter import get_ci
from .urns import CORE_USER, EMAIL_TYPES, ENTERPRISE, GENESYS, MAX_ROUTING, PHONE_TYPES, SCIM_AUTHORITY


def scim_of(u: dict) -> dict:
    return u.get("scim") or {}


def base_urls(base: str) -> dict[str, str]:
    return {"users": f"{base}/users", "groups": f"{base}/groups"}


def role_names(org: Org, user_id: str) -> list[str]:
    names = {org.roles[r]["name"] for (r, _d) in org.grants.get(user_id, {}) if r in org.roles}
    return sorted(names, key=str.lower)


def _emails(u: dict) -> list[dict]:
    out = [{"value": u["email"], "type": "other", "primary": True}]
    work = scim_of(u).get("workEmail")
    if work:
        out.append({"value": work, "type": "work", "primary": False})
    return out


def user_values(org: Org, u: dict, key: tuple) -> tuple[list[Any], bool]:
    """What a filter sees of one user: elements (scalars or dicts) and whether matching is exact."""
    schema, attr, _sub = key
    s = scim_of(u)
    exact = attr in CASE_EXACT
    if schema == CORE_USER:
        table: dict[str, Callable[[], list[Any]]] = {
            "id": lambda: [u["id"]],
            "externalId": lambda: [s["externalId"]] if s.get("externalId") else [],
            "userName": lambda: [u["email"]],
            "displayName": lambda: [u["name"]],
            "title": lambda: [u.get("title") or ""],
            "active": lambda: [u["state"] == "active"],
            "emails": lambda: _emails(u),
            "phoneNumbers": lambda: list(s.get("phoneNumbers") or []),
            "roles": lambda: [{"value": n} for n in role_names(org, u["id"])],
            "groups": lambda: [
                {"value": g, "display": org.groups[g]["name"]}
                for g in sorted(org.user_groups(u["id"]))
                if g in org.groups
            ],
        }
    elif schema == ENTERPRISE:
        div = org.divisions.get(u["divisionId"])
        table = {
            "division": lambda: [div["name"]] if div else [],
            "department": lambda: [u.get("department") or ""],
            "manager": lambda: [{"value": u["managerId"]}] if u.get("managerId") else [],
            "employeeNumber": lambda: [s.get("employeeNumber") or ""],
            "dateHire": lambda: [s.get("dateHire") or ""],
        }
    else:
        table = {
            "routingSkills": lambda: list(s.get("routingSkills") or []),
            "routingLanguages": lambda: list(s.get("routingLanguages") or []),
            "externalIds": lambda: _external_ids(u),
        }
    fn = table.get(attr)
    if fn is None:
        raise invalid_filter(f"The attribute {attr!r} cannot be filtered on.")
    return fn(), exact


def user_filter_key(path: str) -> tuple[str, str, str | None]:
    key = resolve(path, USER_ATTRS, aliases=True)
    if key[1] in ("meta", "password", "schemas"):
        raise invalid_filter(f"The attribute {path!r} cannot be filtered on.")
    return key


def _external_ids(u: dict) -> list[dict]:
    s = scim_of(u)
    out = []
    if s.get("externalId"):
        out.append({"authority": SCIM_AUTHORITY, "value": s["externalId"]})
    out.extend(dict(x) for x in s.get("externalIds") or [])
    return out


def render_user(org: Org, u: dict, base: str) -> dict:
    """The ScimV2User JSON of an emulator user; `base` is the absolute SCIM root URL."""
    urls = base_urls(base)
    s = scim_of(u)
    out: dict[str, Any] = {
        "schemas": [CORE_USER, ENTERPRISE, GENESYS],
        "id": u["id"],
        "active": u["state"] == "active",
        "userName": u["email"],
        "displayName": u["name"],
    }
    if u.get("title"):
        out["title"] = u["title"]
    out["phoneNumbers"] = [dict(p) for p in s.get("phoneNumbers") or []]
    out["emails"] = _emails(u)
    if s.get("externalId"):
        out["externalId"] = s["externalId"]
    out["groups"] = [
        {"type": "Group", "value": g, "$ref": f"{urls['groups']}/{g}"}
        for g in sorted(org.user_groups(u["id"]))
        if g in org.groups
    ]
    out["roles"] = [{"value": n} for n in role_names(org, u["id"])]
    div = org.divisions.get(u["divisionId"])
    enterprise: dict[str, Any] = {"division": div["name"] if div else ""}
    if u.get("department"):
        enterprise["department"] = u["department"]
    if u.get("managerId"):
        enterprise["manager"] = {"value": u["managerId"], "$ref": f"{urls['users']}/{u['managerId']}"}
    if s.get("employeeNumber"):
        enterprise["employeeNumber"] = s["employeeNumber"]
    if s.get("dateHire"):
        enterprise["dateHire"] = s["dateHire"]
    out[ENTERPRISE] = enterprise
    out[GENESYS] = {
        "routingSkills": [dict(x) for x in s.get("routingSkills") or []],
        "routingLanguages": [dict(x) for x in s.get("routingLanguages") or []],
        "externalIds": _external_ids(u),
    }
    out["meta"] = {
        "resourceType": "User",
        "lastModified": u.get("dateModified") or u.get("dateCreated") or now_iso(),
        "location": f"{urls['users']}/{u['id']}",
        "version": etag(u["version"]),
    }
    return out


# ---- users: reading a request body ------------------------------------------------------------
def _bool(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise invalid_value(f"{field} must be a boolean.")


def as_str(value: Any, field: str, *, required: bool = False) -> str:
    if value is None:
        if required:
            raise invalid_value(f"{field} is required.")
        return ""
    if not isinstance(value, str):
        raise invalid_value(f"{field} must be a string.")
    value = value.strip()
    if required and not value:
        raise invalid_value(f"{field} is required.")
    return value


def as_list(value: Any, field: str) -> list:
    if value is None:
        return []
    if isinstance(value, dict):
        return [value]
    if not isinstance(value, list):
        raise invalid_value(f"{field} must be an array.")
    return value


def _dict(value: Any, field: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid_syntax(f"{field} must be a JSON object.")
    return value


def _email(value: Any, field: str) -> str:
    email = as_str(value, field, required=True)
    if not EMAIL.match(email):
        raise invalid_value(f"{field} must be an email address, got {email!r}.")
    return email


def _phones(items: Any) -> list[dict]:
    out: list[dict] = []
    seen: set[str] = set()
    for i, p in enumerate(as_list(items, "phoneNumbers")):
        if not isinstance(p, dict):
            raise invalid_value(f"phoneNumbers[{i}] must be an object.")
        value = as_str(get_ci(p, "value"), f"phoneNumbers[{i}].value")
        if not value:
            continue  # a removed value leaves an empty element behind
        kind = as_str(get_ci(p, "type"), f"phoneNumbers[{i}].type") or "work"
        if kind not in PHONE_TYPES:
            raise invalid_value(f"phoneNumbers[{i}].type must be one of {', '.join(PHONE_TYPES)}.")
        if kind in seen:
            raise invalid_value(f"phoneNumbers holds two numbers of type {kind!r}.")
        seen.add(kind)
        primary = get_ci(p, "primary")
        out.append({"value": value, "type": kind, "primary": _bool(primary, "primary") if primary else False})
    return out


def _work_email(items: Any) -> str:
    work = ""
    for i, e in enumerate(as_list(items, "emails")):
        if not isinstance(e, dict):
            raise invalid_value(f"emails[{i}] must be an object.")
        kind = as_str(get_ci(e, "type"), f"emails[{i}].type") or "other"
        if kind not in EMAIL_TYPES:
            raise invalid_value(f"emails[{i}].type must be one of {', '.join(EMAIL_TYPES)}.")
        value = get_ci(e, "value")
        if kind == "work" and value not in (None, ""):
            if work:
                raise invalid_value("emails holds two work addresses.")
            work = _email(value, f"emails[{i}].value")
        # type "other" mirrors userName and is read-only: ignored on input
    return work


def _proficiencies(items: Any, field: str) -> list[dict]:
    rows = as_list(items, field)
    if len(rows) > MAX_ROUTING:
        raise invalid_value(f"{field} holds {len(rows)} entries; at most {MAX_ROUTING} are allowed.")
    out, seen = [], set()
    for i, r in enumerate(rows):
        if not isinstance(r, dict):
            raise invalid_value(f"{field}[{i}] must be an object with name and proficiency.")
        name = as_str(get_ci(r, "name"), f"{field}[{i}].name", required=True)
        if name in seen:
            raise invalid_value(f"{field} names {name!r} twice.")
        seen.add(name)
        prof = get_ci(r, "proficiency")
        if prof is None:
            prof = 0.0
        if isinstance(prof, bool) or not isinstance(prof, int | float) or not 0 <= prof <= 5:
            raise invalid_value(f"{field}[{i}].proficiency must be a number from 0 to 5.")
        out.append({"name": name, "proficiency": float(prof)})
    return out


def _other_external_ids(items: Any) -> list[dict]:
    out = []
    for i, x in enumerate(as_list(items, "externalIds")):
        if not isinstance(x, dict):
            raise invalid_value(f"externalIds[{i}] must be an object with authority and value.")
        authority = as_str(get_ci(x, "authority"), f"externalIds[{i}].authority", required=True)
        value = as_str(get_ci(x, "value"), f"externalIds[{i}].value", required=True)
        if authority.startswith(SCIM_AUTHORITY):
            continue  # the SCIM externalId's own entry is immutable here: set externalId instead
        out.append({"authority": authority, "value": value})
    return out


_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(T.*)?$")


def read_user(org: Org, doc: Any, current: dict | None = None) -> dict:
    """Validate a ScimV2User body into the changes it asks for. Keys absent mean "unchanged".

    `current` is None on create. Nothing is written here: callers check permissions on the result
    first, then apply it, so a rejected request changes nothing."""
    if not isinstance(doc, dict):
        raise invalid_syntax("The request body must be a JSON object.")
    if "schemas" in doc and not (
        isinstance(doc["schemas"], list) and all(isinstance(s, str) for s in doc["schemas"])
    ):
        raise invalid_syntax("schemas must be an array of schema URNs.")
    body = {k: v for k, v in doc.items() if not k.lower().startswith("urn:")}
    exts = {k: v for k, v in doc.items() if k.lower().startswith("urn:")}
    raw_ent, raw_gen = get_ci(exts, ENTERPRISE), get_ci(exts, GENESYS)
    enterprise = None if raw_ent is None else _dict(raw_ent, ENTERPRISE)
    genesys = None if raw_gen is None else _dict(raw_gen, GENESYS)

    out: dict[str, Any] = {
        "email": _email(get_ci(body, "userName"), "userName"),
        "name": as_str(get_ci(body, "displayName"), "displayName", required=True),
        "title": as_str(get_ci(body, "title"), "title"),
        "workEmail": _work_email(get_ci(body, "emails")),
        "phoneNumbers": _phones(get_ci(body, "phoneNumbers")),
        "externalId": as_str(get_ci(body, "externalId"), "externalId") or None,
    }
    active = get_ci(body, "active")
    if active is not None:
        out["state"] = "active" if _bool(active, "active") else "inactive"
    elif current is None:
        out["state"] = "active"
    password = get_ci(body, "password")
    if password is not None and (not isinstance(password, str) or not password):
        raise invalid_value("password must be a non-empty string.")
    out["password"] = password is not None
    roles = get_ci(body, "roles")
    if roles is not None:
        out["roles"] = _role_names(org, roles)
    if enterprise is not None or current is None:
        out.update(_read_enterprise(org, enterprise or {}, current))
    if genesys is not None or current is None:
        gen = genesys or {}
        out["routingSkills"] = _proficiencies(get_ci(gen, "routingSkills"), "routingSkills")
        out["routingLanguages"] = _proficiencies(get_ci(gen, "routingLanguages"), "routingLanguages")
        out["externalIds"] = _other_external_ids(get_ci(gen, "externalIds"))
    return out


def _role_names(org: Org, roles: Any) -> list[str]:
    """SCIM roles by name: each must be a role of the org (they are not granted, see models)."""
    names = []
    known = {r["name"].lower(): r["name"] for r in org.roles.values()}
    for i, r in enumerate(as_list(roles, "roles")):
        value = get_ci(r, "value") if isinstance(r, dict) else None
        if not isinstance(value, str) or not value.strip():
            raise invalid_value(f"roles[{i}] must be an object with a role name in value.")
        if value.strip().lower() not in known:
            raise invalid_value(f"roles[{i}]: there is no role named {value.strip()!r}.")
        names.append(known[value.strip().lower()])
    return names


def _read_enterprise(org: Org, ent: dict, current: dict | None) -> dict[str, Any]:
    """The enterprise extension: division (by name), department, employee number, hire date, manager."""
    out: dict[str, Any] = {}
    division = as_str(get_ci(ent, "division"), "division")
    if division:
        d = division_by_name(org, division)
        if d is None or not org.settled(d["id"]):
            raise invalid_value(
                f"The division {division!r} does not exist; "
                f"{ENTERPRISE}:division takes the name of an existing division."
            )
        out["divisionId"] = d["id"]
    elif current is None:
        out["divisionId"] = org.home_division_id
    out["department"] = as_str(get_ci(ent, "department"), "department")
    out["employeeNumber"] = as_str(get_ci(ent, "employeeNumber"), "employeeNumber") or None
    hire = as_str(get_ci(ent, "dateHire"), "dateHire")
    if hire:
        m = _DATE.match(hire)
        if not m:
            raise invalid_value("dateHire must be a date, YYYY-MM-DD.")
        hire = m.group(1)
    out["dateHire"] = hire or None
    out["managerId"] = _manager(org, get_ci(ent, "manager"), current)
    return out


def _manager(org: Org, manager: Any, current: dict | None) -> str | None:
    if isinstance(manager, dict):
        manager = get_ci(manager, "value")
    manager = as_str(manager, "manager.value") or None
    if manager is not None:
        m_user = org.users.get(manager)
        if m_user is None or m_user["state"] == "deleted":
            raise invalid_value(f"manager {manager} is not a user of this org.")
        if current is not None and manager == current["id"]:
            raise invalid_value("A user cannot be their own manager.")
    return manager


_SCIM_FIELDS = ("workEmail", "phoneNumbers", "externalId", "employeeNumber", "dateHire")
_ROUTING = ("routingSkills", "routingLanguages", "externalIds")


def changed(u: dict, want: dict) -> set[str]:
    """The names of the fields `want` would change on user `u`."""
    s = scim_of(u)
    have = {
        "email": u["email"],
        "name": u["name"],
        "title": u.get("title") or "",
        "state": u["state"],
        "department": u.get("department") or "",
        "divisionId": u["divisionId"],
        "managerId": u.get("managerId"),
        **{
            k: s.get(k) or (None if k in ("externalId", "employeeNumber", "dateHire") else "")
            for k in _SCIM_FIELDS
        },
        **{k: s.get(k) or [] for k in _ROUTING},
    }
    have["phoneNumbers"] = s.get("phoneNumbers") or []
    return {k for k, v in want.items() if k in have and have[k] != v}


def check_unique(org: Org, email: str, user_id: str | None) -> None:
    other = org.user_by_email(email)
    if other is not None and other["id"] != user_id:
        raise ScimError(409, f"A user with userName {email} already exists.", "uniqueness")


def store_scim_fields(u: dict, want: dict) -> None:
    s = dict(scim_of(u))
    for k in (*_SCIM_FIELDS, *_ROUTING):
        if k in want:
            if want[k] in (None, "", []):
                s.pop(k, None)
            else:
                s[k] = want[k]
    if s:
        u["scim"] = s
    else:
        u.pop("scim", None)
    if "managerId" in want:
        if want["managerId"]:
            u["managerId"] = want["managerId"]
        else:
            u.pop("managerId", None)


def move_division(org: Org, u: dict, division_id: str) -> None:
    old = u["divisionId"]
    if old == division_id:
        return
    u["divisionId"] = division_id
    org.record(u["id"], "user.division", fromDivisionId=old, toDivisionId=division_id)
    org.touch(authz=True)
