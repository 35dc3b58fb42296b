"""Request-side helpers shared by the areas' HTTP modules: the caller, bodies, paging, listings."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .errors import ApiError, bad_request, forbidden
from .permissions import Scope, scope_of

DIRECTORY_VIEW = "directory:user:view"
OPEN = Scope(True, frozenset())

if TYPE_CHECKING:
    from .app import Emulator
    from .org import Org


@dataclass
class Caller:
    """The OAuth client behind a bearer token; its permissions follow its roleDivisions."""

    client_id: str
    emulator: Emulator

    @property
    def client(self) -> dict:
        return self.emulator.org.oauth_clients[self.client_id]

    def scope(self, permission: str) -> Scope:
        org = self.emulator.org
        key = (self.client_id, org.epoch, permission)
        cache = self.emulator.scope_cache
        hit = cache.get(key)
        if hit is None:
            if len(cache) > 50_000:
                cache.clear()
            grants = [(rd["roleId"], rd["divisionId"]) for rd in self.client.get("roleDivisions", [])]
            hit = cache[key] = scope_of(grants, org.roles, permission)
        return hit

    def can(self, permission: str, division_id: str | None = None) -> bool:
        return self.scope(permission).covers(division_id)

    def require(self, permission: str, division_id: str | None = None) -> None:
        if not self.can(permission, division_id):
            raise forbidden(permission, division_id)

    def require_any(self, *permissions: str, division_id: str | None = None) -> None:
        if not any(self.can(p, division_id) for p in permissions):
            raise forbidden(" or ".join(permissions), division_id)

    def require_all(self, *permissions: str, division_id: str | None = None) -> None:
        for p in permissions:
            self.require(p, division_id)

    def directory(self) -> Scope:
        """Where the caller may read people: the whole org on the platform's default (an open
        directory, no permission needed), or where it holds directory:user:view when the org
        restricts directory search by division."""
        if not self.emulator.org.directory_restricted:
            return OPEN
        return self.scope(DIRECTORY_VIEW)


def emulator(req: Request) -> Emulator:
    return req.scope["emulator"]


def org(req: Request) -> Org:
    return req.scope["emulator"].org


def caller(req: Request) -> Caller:
    return req.scope["caller"]


async def json_body(req: Request, kind: type = dict) -> Any:
    raw = await req.body()
    if not raw:
        raise bad_request("The request body is missing.", "bad.request")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request(
            f"The request could not be understood: malformed JSON ({exc}).", "bad.request"
        ) from None
    except RecursionError:
        data = None
    if data is None or too_deep(data):
        raise bad_request(f"The request body is nested deeper than {MAX_DEPTH} levels.", "bad.request")
    if not isinstance(data, kind):
        raise bad_request(f"The request body must be a JSON {'object' if kind is dict else 'array'}.")
    return data


MAX_DEPTH = 32  # no Genesys body nests half as deep


def too_deep(data: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether a parsed JSON value nests deeper than `limit` (iterative: no recursion to exhaust)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > limit:
                return True
            children = value.values() if isinstance(value, dict) else value
            stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False


def want_str(body: dict, key: str, *, required: bool = True, where: str = "") -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise bad_request(f"{where}{key} is required.", "invalid.value")
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise bad_request(f"{where}{key} must be a non-empty string.", "invalid.value")
    return value


def int_param(req: Request, name: str, default: int, *, low: int = 1, high: int | None = None) -> int:
    raw = req.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(
            f"Query parameter {name} must be an integer, got {raw!r}.", "invalid.value"
        ) from None
    if value < low or (high is not None and value > high):
        bound = f" between {low} and {high}" if high is not None else f" at least {low}"
        raise bad_request(f"Query parameter {name} must be{bound}.", "invalid.value")
    return value


def paging(req: Request, *, default: int = 25, max_size: int = 500) -> tuple[int, int]:
    return (
        int_param(req, "pageSize", default, high=max_size),
        int_param(req, "pageNumber", 1),
    )


def id_list(req: Request, name: str) -> list[str]:
    """`id=a&id=b` and `id=a,b` both appear in the platform's clients."""
    out: list[str] = []
    for v in req.query_params.getlist(name):
        out.extend(x for x in v.split(",") if x)
    return out


def listing(req: Request, items: list[Any], size: int, number: int, *, total: int | None = None) -> dict:
    """An entity listing page with the platform's URIs."""
    total = len(items) if total is None else total
    start = (number - 1) * size
    page = items[start : start + size] if total == len(items) else items
    count = max(1, math.ceil(total / size)) if total else 1
    base = req.url.path

    def uri(n: int) -> str:
        return f"{base}?pageSize={size}&pageNumber={n}"

    out = {
        "entities": page,
        "pageSize": size,
        "pageNumber": number,
        "total": total,
        "pageCount": count,
        "firstUri": uri(1),
        "selfUri": uri(number),
        "lastUri": uri(count),
    }
    if number < count:
        out["nextUri"] = uri(number + 1)
    if number > 1:
        out["previousUri"] = uri(number - 1)
    return out


def ok(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(data, status_code=status, headers=headers)


def empty(status: int = 204) -> Response:
    return Response(status_code=status)


def ensure(condition: bool, message: str, code: str = "bad.request") -> None:
    if not condition:
        raise ApiError(400, code, message)


def descending(req: Request) -> bool:
    """`sortOrder`: the SDK documents ascending/descending; ASC/DESC are read too."""
    raw = (req.query_params.get("sortOrder") or "ascending").lower()
    if raw not in ("asc", "ascending", "desc", "descending"):
        raise bad_request("sortOrder must be ascending or descending.", "invalid.value")
    return raw.startswith("desc")
