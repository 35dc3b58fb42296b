"""SCIM PATCH (RFC 7644 §3.5.2) as Entra and Okta really send it, applied to a stored resource dict.

Both Entra dialects at all times (IDP-SCIM.md §1.2): ops in any case; `Remove` on `members` with
a value list removes exactly those; a path-less `replace` whose keys are dotted (`name.givenName`)
or URN-qualified; a filtered add/replace on a missing entry (`emails[type eq "work"].value`)
creates it; Okta's `{id, displayName}` replace (the read-only id is ignored). The result is
cleaned and validated by the caller like a PUT body. Pure.
"""

from __future__ import annotations

import copy
from typing import Any

from scim2_models import Path
from scim2_models.path import AttrPath, Comparison, LogicalExpr, ValuePath

from tenantry.bridge.filters import matches
from tenantry.bridge.schema import CORE_GROUP, CORE_USER, ENTERPRISE, PATCH_OP, ScimError, canon, canon_sub

OPS = ("add", "replace", "remove")
MULTI_VALUED = frozenset(
    {"emails", "phoneNumbers", "ims", "photos", "addresses", "entitlements", "roles", "x509Certificates"}
)
MULTI_VALUED |= {"members"}


def operations(body: Any) -> list[tuple[str, str | None, Any]]:
    """(op lower-cased, path, value) of a PatchOp body; ScimError when it is not one."""
    if not isinstance(body, dict):
        raise ScimError(400, "the body must be a PatchOp object", "invalidSyntax")
    schemas = [str(s).lower() for s in body.get("schemas") or []]
    if schemas and PATCH_OP.lower() not in schemas:
        raise ScimError(400, f"a PATCH body's schemas must include {PATCH_OP}", "invalidSyntax")
    ops = next((v for k, v in body.items() if k.lower() == "operations"), None)
    if not isinstance(ops, list) or not ops:
        raise ScimError(400, "a PATCH body needs a non-empty Operations list", "invalidSyntax")
    out = []
    for i, op in enumerate(ops):
        if not isinstance(op, dict):
            raise ScimError(400, f"Operations[{i}] must be an object", "invalidSyntax")
        low = {k.lower(): v for k, v in op.items()}
        name = str(low.get("op", "")).lower()
        if name not in OPS:
            raise ScimError(400, f"Operations[{i}].op must be add, replace or remove", "invalidSyntax")
        path = low.get("path")
        if path is not None and (not isinstance(path, str) or not path.strip()):
            path = None
        if name == "remove" and path is None:
            raise ScimError(400, f"Operations[{i}]: remove needs a path", "noTarget")
        if name != "remove" and path is None and not isinstance(low.get("value"), dict):
            raise ScimError(400, f"Operations[{i}]: a path-less {name} needs an object value", "invalidValue")
        out.append((name, path, low.get("value")))
    return out


def apply(resource: dict[str, Any], ops: list[tuple[str, str | None, Any]]) -> dict[str, Any]:
    """A new dict: `resource` with the operations applied in order."""
    res = copy.deepcopy(resource)
    for name, path, value in ops:
        if path is None:
            for key, v in value.items():
                _at(res, name, key, v)
        else:
            _at(res, name, path, value)
    return res


def _at(res: dict[str, Any], op: str, path: str, value: Any) -> None:
    low = path.strip().lower()
    if low == ENTERPRISE.lower():
        _whole_extension(res, op, value)
        return
    if low in (CORE_USER.lower(), CORE_GROUP.lower()):
        if op != "remove" and isinstance(value, dict):
            for k, v in value.items():
                _at(res, op, k, v)
        return
    try:
        node = Path(path).ast
    except Exception:
        raise ScimError(400, f"invalid path {path!r}", "invalidPath") from None
    if isinstance(node, ValuePath):
        _value_path(res, op, node, value)
    elif isinstance(node, AttrPath):
        _attr_path(res, op, node, value)
    else:
        raise ScimError(400, f"invalid path {path!r}", "invalidPath")


def _whole_extension(res: dict[str, Any], op: str, value: Any) -> None:
    if op == "remove":
        res.pop(ENTERPRISE, None)
    elif isinstance(value, dict):
        ext = res.setdefault(ENTERPRISE, {})
        ext.update({canon_sub(k): v for k, v in value.items()})


def _container(res: dict[str, Any], path: AttrPath, create: bool) -> tuple[dict[str, Any] | None, str]:
    if path.uri is None or path.uri.lower() in (CORE_USER.lower(), CORE_GROUP.lower()):
        return res, canon(path.attr)
    if path.uri.lower() == ENTERPRISE.lower():
        ext = res.setdefault(ENTERPRISE, {}) if create else res.get(ENTERPRISE)
        return ext, canon_sub(path.attr)
    return None, path.attr  # an extension the bridge does not keep: ignored


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict) and "value" in a and "value" in b:
        return a["value"] == b["value"]
    return a == b


def _attr_path(res: dict[str, Any], op: str, path: AttrPath, value: Any) -> None:
    where, key = _container(res, path, create=op != "remove")
    if where is None:
        return
    if path.sub_attr:
        sub = canon_sub(path.sub_attr)
        target = where.get(key)
        if op == "remove":
            if isinstance(target, dict):
                target.pop(sub, None)
            return
        if not isinstance(target, dict):
            target = where[key] = {}
        target[sub] = value
        return
    if op == "remove":
        if key in MULTI_VALUED and isinstance(value, list) and value:
            # Entra's legacy member removal: remove exactly the listed values, never all of them
            where[key] = [e for e in where.get(key) or [] if not any(_same(e, v) for v in value)]
        else:
            where.pop(key, None)
        return
    if key in MULTI_VALUED:
        items = value if isinstance(value, list) else [value]
        if op == "replace":
            where[key] = list(items)
            return
        current = list(where.get(key) or [])
        current += [i for i in items if not any(_same(c, i) for c in current)]  # re-adding is a no-op
        where[key] = current
    elif op == "add" or not isinstance(where.get(key), dict) or not isinstance(value, dict):
        if isinstance(where.get(key), dict) and isinstance(value, dict):
            where[key].update(value)
        else:
            where[key] = value
    else:
        where[key].update(value)


def _implied(node: Any) -> dict[str, Any]:
    """The sub-attributes an `eq` filter pins (`type eq "work"` → {type: work}), for a new entry."""
    terms = node.terms if isinstance(node, LogicalExpr) and node.op.value == "and" else (node,)
    return {
        canon_sub(t.attr_path.attr): t.value
        for t in terms
        if isinstance(t, Comparison) and t.op.value == "eq" and not t.attr_path.sub_attr
    }


def _value_path(res: dict[str, Any], op: str, node: ValuePath, value: Any) -> None:
    where, key = _container(res, node.attr_path, create=op != "remove")
    if where is None:
        return
    items = [i for i in where.get(key) or [] if isinstance(i, dict)]
    hit = [i for i in items if matches(node.val_filter, i)]
    sub = canon_sub(node.sub_attr) if node.sub_attr else None
    if op == "remove":
        if sub:
            for i in hit:
                i.pop(sub, None)
        else:
            items = [i for i in items if i not in hit]
        where[key] = items
        return
    if not hit:  # Entra: a filtered add/replace on a missing entry creates it
        entry = _implied(node.val_filter)
        items.append(entry)
        hit = [entry]
    for i in hit:
        if sub:
            i[sub] = value
        elif isinstance(value, dict):
            i.update({canon_sub(k): v for k, v in value.items()})
    where[key] = items


def _member_id(node: Any) -> str | None:
    """The id in `members[value eq "…"]`."""
    if isinstance(node, ValuePath) and node.attr_path.attr.lower() == "members" and not node.sub_attr:
        f = node.val_filter
        if isinstance(f, Comparison) and f.op.value == "eq" and f.attr_path.attr.lower() == "value":
            return str(f.value)
    return None


def member_delta(
    ops: list[tuple[str, str | None, Any]],
) -> tuple[dict[str, str | None], set[str], str | None] | None:
    """(added id → display, removed ids, displayName given or None) when a group PATCH only adds and
    removes members (Entra's Add/Remove, Okta's with its `{id, displayName}` replace), so it can be
    applied without reading every member; None for anything else (the general path)."""
    added: dict[str, str | None] = {}
    removed: set[str] = set()
    name = None
    for op, path, value in ops:
        low = (path or "").strip().lower()
        if op in ("add", "remove") and low == "members" and isinstance(value, list) and value:
            items = [
                v for v in value if isinstance(v, dict) and isinstance(v.get("value"), str) and v["value"]
            ]
            if len(items) != len(value):
                return None
            for v in items:
                if op == "add":
                    removed.discard(v["value"])
                    added[v["value"]] = v.get("display")
                else:
                    added.pop(v["value"], None)
                    removed.add(v["value"])
        elif op == "remove" and low.startswith("members["):
            try:
                uid = _member_id(Path(path).ast)
            except Exception:
                return None
            if uid is None:
                return None
            added.pop(uid, None)
            removed.add(uid)
        elif op == "replace" and path is None and isinstance(value, dict):
            keys = {k.lower() for k in value}
            if not keys <= {"id", "displayname"} or not isinstance(value.get("displayName", ""), str):
                return None
            name = next((v for k, v in value.items() if k.lower() == "displayname"), name)
        elif op == "replace" and low == "displayname" and isinstance(value, str):
            name = value
        else:
            return None
    return added, removed, name
