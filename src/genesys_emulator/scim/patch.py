"""SCIM PATCH (RFC 7644 §3.5.2): operations applied to a resource document."""

from __future__ import annotations

import json
from typing import Any

from .attributes import IDENT, MULTI, READ_ONLY, resolve, split_urn
from .errors import ScimError, invalid_path, invalid_syntax, invalid_value, mutability
from .filter import element_getter, element_key, eq_pairs, evaluate, get_ci, parse_filter


def _patch_path(
    path: str, attrs: dict[str, tuple[str, ...]]
) -> tuple[str, str | None, tuple | None, str | None]:
    """`[urn:]attr[filter][.sub]` -> (schema, attr or None for a whole extension, filter, sub)."""
    path = path.strip()
    urn, rest = split_urn(path, attrs)
    if urn is not None and rest == "":
        if urn == next(iter(attrs)):
            raise invalid_path(f"{path!r} names a whole schema; name an attribute.")
        return urn, None, None, None
    flt = None
    if "[" in rest:
        start = rest.index("[")
        i, quoted = start + 1, False
        while i < len(rest):
            c = rest[i]
            if quoted and c == "\\":
                i += 2
                continue
            if c == '"':
                quoted = not quoted
            elif c == "]" and not quoted:
                break
            i += 1
        if i >= len(rest):
            raise invalid_path(f"{path!r} has an unclosed filter.")
        flt = parse_filter(rest[start + 1 : i], element_key)
        tail = rest[i + 1 :]
        if tail and not (tail.startswith(".") and IDENT.fullmatch(tail[1:])):
            raise invalid_path(f"{path!r} is not an attribute path.")
        rest = rest[:start] + tail
    schema, attr, sub = resolve(f"{urn}:{rest}" if urn else rest, attrs)
    if flt is not None and attr not in MULTI:
        raise invalid_path(f"{attr} is single-valued; it takes no filter.")
    return schema, attr, flt, sub


def _same(a: Any, b: Any) -> bool:
    """One element of a multi-valued attribute, as `add` dedupes and `remove` with a value matches."""
    if isinstance(a, dict) and isinstance(b, dict):
        ka, kb = get_ci(a, "value"), get_ci(b, "value")
        if ka is not None or kb is not None:
            ta, tb = get_ci(a, "type"), get_ci(b, "type")
            return ka == kb and (ta is None or tb is None or ta == tb)
        return get_ci(a, "name") == get_ci(b, "name")
    return a == b


def _apply(doc: dict, op: str, path: str, value: Any, attrs: dict[str, tuple[str, ...]]) -> None:
    """One operation on the document: a whole extension, a filtered element, a sub-attribute or
    an attribute."""
    core = next(iter(attrs))
    schema, attr, flt, sub = _patch_path(path, attrs)
    if attr is None:
        _apply_extension(doc, op, schema, value, attrs)
        return
    if attr in READ_ONLY:
        raise mutability(f"{attr} is read-only.")
    if attr == "password" and op == "remove":
        raise mutability("password cannot be removed.")
    container = _container(doc, schema, core)
    if flt is not None:
        _apply_filtered(container, op, attr, flt, sub, value, path)
    elif sub:
        _apply_sub(container, op, attr, sub, value)
    else:
        _apply_plain(container, op, attr, value)


def _apply_extension(doc: dict, op: str, schema: str, value: Any, attrs: dict[str, tuple[str, ...]]) -> None:
    if op == "remove":
        doc[schema] = {}
        return
    if not isinstance(value, dict):
        raise invalid_value(f"The value for {schema} must be an object.")
    if op == "replace":
        doc[schema] = {}
    for k, v in value.items():
        _apply(doc, op, f"{schema}:{k}", v, attrs)


def _container(doc: dict, schema: str, core: str) -> dict:
    if schema == core:
        return doc
    container = doc.get(schema)
    if not isinstance(container, dict):
        container = doc[schema] = {}
    return container


def _apply_filtered(
    container: dict, op: str, attr: str, flt: tuple, sub: str | None, value: Any, path: str
) -> None:
    """`attr[filter]` and `attr[filter].sub`: a replace with no match creates the element the
    filter pins (`emails[type eq "work"].value`)."""
    raw = container.get(attr)
    elements: list[Any] = raw if isinstance(raw, list) else []
    hits = [e for e in elements if isinstance(e, dict) and evaluate(flt, element_getter(e))]
    if op == "remove":
        if sub:
            for e in hits:
                for k in [k for k in e if k.lower() == sub.lower()]:
                    del e[k]
        else:
            container[attr] = [e for e in elements if not any(e is h for h in hits)]
        return
    if not hits:
        pinned = eq_pairs(flt)
        if pinned is None:
            raise ScimError(400, f"No element of {attr} matches the filter in {path!r}.", "noTarget")
        hits = [pinned]
        container[attr] = [*elements, pinned]
    for e in hits:
        if sub:
            e[sub] = value
        elif isinstance(value, dict):
            if op == "replace":
                keep = {k: v for k, v in e.items() if k.lower() in ("type",)}
                e.clear()
                e.update(keep)
            e.update(value)
        else:
            raise invalid_value(f"The value for {path!r} must be an object.")


def _apply_sub(container: dict, op: str, attr: str, sub: str, value: Any) -> None:
    if attr in MULTI:
        for e in container.get(attr) or []:
            if isinstance(e, dict):
                if op == "remove":
                    e.pop(sub, None)
                else:
                    e[sub] = value
        return
    target = container.get(attr)
    if not isinstance(target, dict):
        target = {} if target is None else {"value": target}
    if op == "remove":
        target.pop(sub, None)
    else:
        target[sub] = value
    container[attr] = target


def _apply_plain(container: dict, op: str, attr: str, value: Any) -> None:
    multi = attr in MULTI
    if op == "remove":
        if multi and value is not None:
            gone = value if isinstance(value, list) else [value]
            container[attr] = [e for e in container.get(attr) or [] if not any(_same(e, g) for g in gone)]
        else:
            container.pop(attr, None)
        return
    if multi:
        items = value if isinstance(value, list) else [value]
        if op == "add":
            have = list(container.get(attr) or [])
            for item in items:
                if not any(_same(item, h) for h in have):
                    have.append(item)
            container[attr] = have
        else:
            container[attr] = list(items)
        return
    container[attr] = value


def apply_patch(doc: dict, body: Any, attrs: dict[str, tuple[str, ...]]) -> dict:
    """RFC 7644 §3.5.2 over a resource's JSON; returns the patched copy."""
    if not isinstance(body, dict):
        raise invalid_syntax("The request body must be a JSON object.")
    ops = get_ci(body, "Operations")
    if not isinstance(ops, list) or not ops:
        raise invalid_syntax("Operations must be a non-empty array of operations.")
    doc = json.loads(json.dumps(doc))
    for i, raw in enumerate(ops):
        if not isinstance(raw, dict):
            raise invalid_syntax(f"Operations[{i}] must be an object.")
        op = get_ci(raw, "op")
        if not isinstance(op, str) or op.lower() not in ("add", "replace", "remove"):
            raise invalid_syntax(f"Operations[{i}].op must be add, replace or remove.")
        op = op.lower()
        path = get_ci(raw, "path")
        value = get_ci(raw, "value")
        if path is not None and not isinstance(path, str):
            raise invalid_path(f"Operations[{i}].path must be a string.")
        if not path:
            if op == "remove":
                raise ScimError(400, f"Operations[{i}]: remove needs a path.", "noTarget")
            if not isinstance(value, dict):
                raise invalid_value(f"Operations[{i}]: without a path the value must be an object.")
            for k, v in value.items():
                if k.lower() == "schemas":
                    continue
                _apply(doc, op, k, v, attrs)
            continue
        if op != "remove" and "value" not in {k.lower() for k in raw}:
            raise invalid_value(f"Operations[{i}]: {op} needs a value.")
        _apply(doc, op, path, value, attrs)
    return doc
