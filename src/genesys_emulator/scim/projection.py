"""`attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5)."""

from __future__ import annotations

from collections.abc import Iterable

from .attributes import canon, split_urn
from .errors import ScimError

ALWAYS_USER = ("schemas", "id", "userName", "active", "meta")
ALWAYS_GROUP = ("schemas", "id", "displayName", "meta")


def attribute_list(values: Iterable[str]) -> list[str]:
    return [a.strip() for v in values for a in v.split(",") if a.strip()]


def _projection_keys(names: list[str], resource: dict, attrs: dict[str, tuple[str, ...]]) -> list[tuple]:
    keys = []
    for name in names:
        try:
            urn, rest = split_urn(name, attrs)
        except ScimError:
            continue  # unknown attributes are ignored, as RFC 7644 §3.9 allows
        top = rest.split(".", 1)[0]
        if urn is not None and urn != next(iter(attrs)):
            sub = canon(top, attrs[urn]) if top else None
            if top and sub is None:
                continue
            keys.append((urn, sub))
            continue
        found = canon(top, resource)
        if found is not None:
            keys.append((found, None))
    return keys


def project(
    resource: dict,
    attributes: list[str],
    excluded: list[str],
    attrs: dict[str, tuple[str, ...]],
    always: tuple[str, ...],
) -> dict:
    if attributes:
        out = {k: resource[k] for k in always if k in resource}
        for top, sub in _projection_keys(attributes, resource, attrs):
            if top not in resource:
                continue
            if sub is None:
                out[top] = resource[top]
            elif sub in resource[top]:
                out.setdefault(top, {})[sub] = resource[top][sub]
        return {k: out[k] for k in resource if k in out}
    if excluded:
        out = dict(resource)
        for top, sub in _projection_keys(excluded, resource, attrs):
            if top in always or top not in out:
                continue
            if sub is None:
                del out[top]
            else:
                out[top] = {k: v for k, v in out[top].items() if k != sub}
        return out
    return resource
