"""SCIM filters (RFC 7644 §3.4.2.2) parsed by scim2-models' grammar, evaluated on stored resources.

The parser is the library's; evaluation is on the bridge's canonical dicts, attribute names
case-insensitive, string comparisons case-insensitive (but `id` and `externalId`, which are
case-exact). `index_term` finds an `eq` the store can answer from an indexed column, so Entra's
`userName eq "…"` per user is one indexed lookup, not a scan. Pure.
"""

from __future__ import annotations

from typing import Any

from scim2_models import ScimFilter
from scim2_models.path import AttrPath, Comparison, FilterNode, LogicalExpr, Not, Present, ValuePath

from tenantry.bridge.schema import ENTERPRISE, ScimError, canon, canon_sub

CASE_EXACT = frozenset({"id", "externalId"})
INDEXED = {"username": "user_name", "externalid": "external_id", "displayname": "display_name", "id": "id"}


def parse(expression: str) -> FilterNode:
    try:
        return ScimFilter(expression).ast
    except Exception as exc:  # the library raises its own exception types, all a bad filter to us
        raise ScimError(400, f"invalid filter: {exc}", "invalidFilter") from None


def _container(obj: dict[str, Any], path: AttrPath) -> dict[str, Any] | None:
    if path.uri and path.uri.lower() == ENTERPRISE.lower():
        ext = obj.get(ENTERPRISE)
        return ext if isinstance(ext, dict) else None
    return obj


def values(obj: dict[str, Any], path: AttrPath) -> list[Any]:
    """The leaf values `path` names in `obj` (several for a multi-valued attribute)."""
    where = _container(obj, path)
    if where is None:
        return []
    key = canon_sub(path.attr) if where is not obj else canon(path.attr)
    found = where.get(key)
    if found is None:
        found = next((v for k, v in where.items() if k.lower() == path.attr.lower()), None)
    items = found if isinstance(found, list) else [found]
    out = []
    for item in items:
        if isinstance(item, dict):
            sub = canon_sub(path.sub_attr or "value")
            item = item.get(sub)
        elif path.sub_attr:
            item = None
        if item is not None:
            out.append(item)
    return out


def _norm(value: Any, exact: bool) -> Any:
    if isinstance(value, str) and not exact:
        return value.casefold()
    return value


def _compare(op: str, left: Any, right: Any) -> bool:
    if op == "eq":
        return left == right
    if op == "ne":
        return left != right
    if isinstance(left, str) and isinstance(right, str):
        if op == "co":
            return right in left
        if op == "sw":
            return left.startswith(right)
        if op == "ew":
            return left.endswith(right)
    try:
        return {"gt": left > right, "ge": left >= right, "lt": left < right, "le": left <= right}[op]
    except (TypeError, KeyError):
        return False


def matches(node: FilterNode, obj: dict[str, Any]) -> bool:
    if isinstance(node, LogicalExpr):
        results = (matches(t, obj) for t in node.terms)
        return all(results) if node.op.value == "and" else any(results)
    if isinstance(node, Not):
        return not matches(node.expr, obj)
    if isinstance(node, Present):
        return any(v not in ("", [], {}) for v in values(obj, node.attr_path))
    if isinstance(node, ValuePath):
        where = _container(obj, node.attr_path)
        items = (where or {}).get(canon(node.attr_path.attr)) or []
        return any(isinstance(i, dict) and matches(node.val_filter, i) for i in items)
    if isinstance(node, Comparison):
        exact = canon(node.attr_path.attr) in CASE_EXACT and not node.attr_path.sub_attr
        right = _norm(node.value, exact)
        found = values(obj, node.attr_path)
        if node.op.value == "ne":
            return all(_compare("ne", _norm(v, exact), right) for v in found)
        return any(_compare(node.op.value, _norm(v, exact), right) for v in found)
    raise ScimError(400, f"unsupported filter expression {node}", "invalidFilter")


def index_term(node: FilterNode) -> tuple[str, str] | None:
    """(column, value) of an `eq` on an indexed attribute that must hold for `node` to hold."""
    if isinstance(node, LogicalExpr) and node.op.value == "and":
        return next((t for t in map(index_term, node.terms) if t), None)
    if isinstance(node, Comparison) and node.op.value == "eq" and isinstance(node.value, str):
        p = node.attr_path
        if p.uri is None and p.sub_attr is None and p.attr.lower() in INDEXED:
            return INDEXED[p.attr.lower()], node.value
        if p.uri is None and p.attr.lower() == "emails" and (p.sub_attr or "value").lower() == "value":
            return "email", node.value
    if isinstance(node, ValuePath) and node.attr_path.attr.lower() == "emails":
        inner = node.val_filter
        terms = inner.terms if isinstance(inner, LogicalExpr) and inner.op.value == "and" else (inner,)
        for t in terms:
            if isinstance(t, Comparison) and t.op.value == "eq" and t.attr_path.attr.lower() == "value":
                return "email", str(t.value)
    return None
