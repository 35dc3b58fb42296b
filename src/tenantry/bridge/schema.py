"""SCIM resources in and out: what IdPs send, cleaned into one canonical dict; scim2-models on the way out.

IdPs send more than RFC 7643 allows (IDP-SCIM.md §4): string booleans, a manager as a bare id,
read-only or write-only attributes (`id`, `meta`, `groups`, `password`), schema URIs nobody
declares, attribute names in any case. `clean_*` keeps what the bridge stores, canonically
spelled; the password is dropped here, so it is never stored nor returned. Pure.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from scim2_models import Context, EnterpriseUser, Group, User

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"

UserModel = User[EnterpriseUser]

USER_ATTRS = [
    "userName",
    "name",
    "displayName",
    "nickName",
    "profileUrl",
    "title",
    "userType",
    "preferredLanguage",
    "locale",
    "timezone",
    "active",
    "emails",
    "phoneNumbers",
    "ims",
    "photos",
    "addresses",
    "entitlements",
    "roles",
    "x509Certificates",
    "externalId",
]
READ_ONLY = frozenset({"id", "meta", "groups", "password", "schemas"})
MULTI = frozenset(
    {"emails", "phoneNumbers", "ims", "photos", "addresses", "entitlements", "roles", "x509Certificates"}
)
NAME_ATTRS = ["formatted", "familyName", "givenName", "middleName", "honorificPrefix", "honorificSuffix"]
ELEMENT_ATTRS = [
    "value",
    "display",
    "type",
    "primary",
    "$ref",
    "formatted",
    "streetAddress",
    "locality",
    "region",
    "postalCode",
    "country",
]
ENTERPRISE_ATTRS = ["employeeNumber", "costCenter", "organization", "division", "department", "manager"]
MANAGER_ATTRS = ["value", "$ref", "displayName"]
GROUP_ATTRS = ["displayName", "externalId", "members"]
MEMBER_ATTRS = ["value", "display", "type", "$ref"]

_CANON = {a.lower(): a for a in [*USER_ATTRS, *READ_ONLY, *GROUP_ATTRS, "id"]}
_SUB = {a.lower(): a for a in [*NAME_ATTRS, *ELEMENT_ATTRS, *ENTERPRISE_ATTRS, *MANAGER_ATTRS]}
_BOOLS = {"true": True, "false": False}


class ScimError(Exception):
    """A SCIM error answer: HTTP status, scimType (or None) and a sentence."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.scim_type = status, detail, scim_type


def canon(name: str) -> str:
    """The canonical spelling of a core attribute name (attribute names are case-insensitive)."""
    return _CANON.get(name.lower(), name)


def canon_sub(name: str) -> str:
    return _SUB.get(name.lower(), name)


def relaxed_bool(value: Any, field: str) -> bool:
    """true/false, or Entra's "True"/"False" strings (any case)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _BOOLS:
        return _BOOLS[value.strip().lower()]
    raise ScimError(400, f"{field} must be a boolean, not {value!r}", "invalidValue")


def _element(item: Any, field: str) -> dict[str, Any] | None:
    if item is None:
        return None
    if not isinstance(item, dict):
        return {"value": item}
    out = {canon_sub(k): v for k, v in item.items() if v is not None}
    if "primary" in out:
        out["primary"] = relaxed_bool(out["primary"], f"{field}.primary")
    return out


def _multi(value: Any, field: str) -> list[dict[str, Any]]:
    items = value if isinstance(value, list) else [value]
    return [e for e in (_element(i, field) for i in items) if e]


def _enterprise(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ScimError(400, f"{ENTERPRISE} must be an object", "invalidValue")
    out: dict[str, Any] = {}
    for k, v in value.items():
        key = canon_sub(k)
        if v is None or key not in ENTERPRISE_ATTRS:
            continue
        if key == "manager":
            v = _manager(v)
            if v is None:
                continue
        out[key] = v
    return out


def _manager(value: Any) -> dict[str, Any] | None:
    """Entra sends the manager as a bare id (or a one-element list); it is read back as `manager.value`."""
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return {"value": value}
    if isinstance(value, dict):
        out = {canon_sub(k): v for k, v in value.items() if v is not None and canon_sub(k) in MANAGER_ATTRS}
        return out if out.get("value") else None
    raise ScimError(400, "manager must be an id or an object with a value", "invalidValue")


def _split_urn(key: str) -> tuple[str, str] | None:
    """`urn:…:enterprise:2.0:User:department` → (ENTERPRISE, department); core URNs likewise."""
    low = key.lower()
    for urn in (ENTERPRISE, CORE_USER, CORE_GROUP):
        if low.startswith(urn.lower() + ":"):
            return urn, key[len(urn) + 1 :]
    return None


def _core_value(key: str, value: Any, out: dict[str, Any]) -> None:
    if key == "active":
        out[key] = relaxed_bool(value, key)
    elif key in MULTI:
        out[key] = _multi(value, key)
    elif key == "name":
        if not isinstance(value, dict):
            raise ScimError(400, "name must be an object", "invalidValue")
        out[key] = {canon_sub(k): v for k, v in value.items() if v is not None}
    else:
        out[key] = value


def clean_user(body: Any) -> dict[str, Any]:
    """The attributes the bridge keeps of a user body, canonically spelled; read-only ones and the
    password dropped, unknown schema extensions ignored."""
    if not isinstance(body, dict):
        raise ScimError(400, "the body must be a JSON object", "invalidSyntax")
    out: dict[str, Any] = {}
    ext: dict[str, Any] = {}
    for raw, value in body.items():
        if value is None:
            continue
        if raw.lower() == ENTERPRISE.lower():
            ext.update(_enterprise(value))
            continue
        split = _split_urn(raw)
        if split is not None:
            urn, attr = split
            if urn == ENTERPRISE:
                ext.update(_enterprise({attr: value}))
            elif canon(attr) in USER_ATTRS:
                _core_value(canon(attr), value, out)
            continue
        key = canon(raw)
        if key in USER_ATTRS:
            _core_value(key, value, out)
    if ext:
        out[ENTERPRISE] = ext
    return out


def clean_group(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ScimError(400, "the body must be a JSON object", "invalidSyntax")
    out: dict[str, Any] = {}
    for raw, value in body.items():
        split = _split_urn(raw)
        key = canon(split[1] if split else raw)
        if value is None or key not in GROUP_ATTRS:
            continue
        if key == "members":
            members = _multi(value, "members")
            bad = [m for m in members if not isinstance(m.get("value"), str) or not m["value"]]
            if bad:
                raise ScimError(400, "every member needs a value (the user's id)", "invalidValue")
            out[key] = [{k: m[k] for k in ("value", "display") if m.get(k)} for m in members]
        else:
            out[key] = value
    return out


def validate_user(data: dict[str, Any]) -> dict[str, Any]:
    """Checked against scim2-models' User with the enterprise extension."""
    if not isinstance(data.get("userName"), str) or not data["userName"].strip():
        raise ScimError(400, "userName is required", "invalidValue")
    try:
        UserModel.model_validate({"schemas": [CORE_USER], **data})
    except ValidationError as exc:
        raise ScimError(400, _first(exc), "invalidValue") from None
    return data


def validate_group(data: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(data.get("displayName"), str) or not data["displayName"].strip():
        raise ScimError(400, "displayName is required", "invalidValue")
    try:
        Group.model_validate({"schemas": [CORE_GROUP], **data})
    except ValidationError as exc:
        raise ScimError(400, _first(exc), "invalidValue") from None
    return data


def _first(exc: ValidationError) -> str:
    e = exc.errors()[0]
    return f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}"


def _select(out: dict[str, Any], attributes: list[str] | None, excluded: list[str] | None) -> dict[str, Any]:
    """`attributes` / `excludedAttributes` on top-level names (and URN-qualified ones)."""
    always = {"id", "schemas", "meta"}
    if attributes:
        wanted = {canon(a.split(".")[0]).lower() for a in attributes} | always
        wanted |= {a.lower() for a in attributes if a.lower().startswith("urn:")}
        out = {k: v for k, v in out.items() if k.lower() in wanted}
    if excluded:
        drop = {canon(a.split(".")[0]).lower() for a in excluded} - always
        out = {k: v for k, v in out.items() if k.lower() not in drop}
    return out


def render_user(
    data: dict[str, Any],
    meta: dict[str, Any],
    groups: list[dict[str, str]],
    attributes: list[str] | None = None,
    excluded: list[str] | None = None,
) -> dict[str, Any]:
    schemas = [CORE_USER, ENTERPRISE] if ENTERPRISE in data else [CORE_USER]
    model = UserModel.model_validate({"schemas": schemas, **data, "id": meta["id"], "meta": meta["meta"]})
    out = model.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    if groups:
        out["groups"] = groups
    return _select(out, attributes, excluded)


def render_group(
    data: dict[str, Any],
    meta: dict[str, Any],
    members: list[dict[str, str]],
    attributes: list[str] | None = None,
    excluded: list[str] | None = None,
) -> dict[str, Any]:
    body = {"schemas": [CORE_GROUP], **data, "id": meta["id"], "meta": meta["meta"]}
    users = meta["meta"]["location"].rsplit("/Groups/", 1)[0] + "/Users/"
    body["members"] = [{**m, "$ref": users + m["value"], "type": "User"} for m in members]
    out = Group.model_validate(body).model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    out.setdefault("members", [])
    return _select(out, attributes, excluded)


def error_body(status: int, detail: str, scim_type: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"schemas": [ERROR], "status": str(status), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    return body
