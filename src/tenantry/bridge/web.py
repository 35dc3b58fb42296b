"""What every SCIM endpoint shares: the guard at the door, SCIM responses and errors, meta, paging."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from tenantry.bridge import metrics
from tenantry.bridge.schema import LIST_RESPONSE, ScimError, error_body
from tenantry.bridge.security import read_body, retry_after
from tenantry.bridge.service import REQUEST, Bridge
from tenantry.bridge.store import Row, StaleWrite

log = logging.getLogger("tenantry.bridge")
SCIM_JSON = "application/scim+json"
MAX_COUNT = 500

Handler = Callable[[Request, Bridge, str], Awaitable[Response]]


def scim(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status, headers=headers, media_type=SCIM_JSON)


def error(exc: ScimError, headers: dict[str, str] | None = None) -> Response:
    return scim(error_body(exc.status, exc.detail, exc.scim_type), exc.status, headers)


def bridge_of(request: Request) -> Bridge:
    return request.app.state.bridge


def _bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def _guarded(
    request: Request, bridge: Bridge, source: Any, name: str, resource: str, fn: Handler
) -> Response:
    if not source.accepts(_bearer(request)):
        metrics.AUTH_FAILURES.labels(name).inc()
        log.info("source %s: request with a missing or wrong bearer token refused", name)
        return error(
            ScimError(401, "missing or wrong bearer token for this source"),
            {"WWW-Authenticate": 'Bearer realm="tenantry"'},
        )
    wait = source.limiter.take()
    if wait is not None:
        metrics.RATE_LIMITED.labels(name).inc()
        return error(
            ScimError(429, f"more than {source.spec.rate_limit} requests for source {name!r}; retry later"),
            {"Retry-After": retry_after(wait)},
        )
    source.requests += 1
    request.state.op = f"{request.method} {resource}"
    request.state.source = name
    request.state.touched = []
    token = REQUEST.set(request.state)
    try:
        response = await fn(request, bridge, name)
    except ScimError as exc:
        response = error(exc)
    finally:
        REQUEST.reset(token)
        await bridge.flush(request.state)  # stored, then queued (durably with replicas), then answered
    if request.method != "GET" and not request.url.path.endswith("/.search"):
        outcome = "ok" if response.status_code < 400 else json.loads(bytes(response.body)).get("detail", "")
        bridge.store.record(
            name,
            request.method,
            resource,
            getattr(request.state, "rid", None) or request.path_params.get("id"),
            request.state.op,
            response.status_code,
            outcome,
        )
    return response


def endpoint(resource: str, fn: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Source known, bearer token right, within the source's rate; changing requests recorded."""

    async def handle(request: Request) -> Response:
        bridge = bridge_of(request)
        name = request.path_params["source"]
        source = bridge.sources.get(name)
        if source is None:
            return error(ScimError(404, f"no SCIM source named {name!r} (see sources: in tenants.yaml)"))
        response = await _guarded(request, bridge, source, name, resource, fn)
        metrics.SCIM_REQUESTS.labels(name, request.method, str(response.status_code)).inc()
        return response

    return handle


async def json_body(request: Request) -> Any:
    raw = await read_body(request, request.app.state.body_limit)
    try:
        return json.loads(raw or b"null")
    except ValueError:
        raise ScimError(400, "the body is not valid JSON", "invalidSyntax") from None


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def etag(row: Row) -> str:
    return f'W/"{row.version}"'


def meta(request: Request, source: str, kind: str, row: Row) -> dict[str, Any]:
    base = str(request.base_url).rstrip("/")
    return {
        "id": row.id,
        "meta": {
            "resourceType": kind,
            "created": iso(row.created),
            "lastModified": iso(row.modified),
            "location": f"{base}/scim/v2/{source}/{kind}s/{row.id}",
            "version": etag(row),
        },
    }


def check_if_match(request: Request, row: Row) -> None:
    wanted = request.headers.get("if-match")
    if wanted and wanted.strip() != "*" and etag(row) not in [w.strip() for w in wanted.split(",")]:
        raise ScimError(412, f"the resource is at version {etag(row)}, not {wanted}")


def query(request: Request) -> Mapping[str, str]:
    """The query parameters, or a POST /.search body's (RFC 7644 §3.4.3) when there is one."""
    return getattr(request.state, "search", None) or request.query_params


async def search_body(request: Request) -> dict[str, str]:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise ScimError(400, "a search body is a SearchRequest object", "invalidSyntax")
    out = {}
    for key in ("filter", "startIndex", "count", "attributes", "excludedAttributes"):
        value = next((v for k, v in body.items() if k.lower() == key.lower()), None)
        if isinstance(value, list):
            value = ",".join(map(str, value))
        if value is not None:
            out[key] = str(value)
    return out


def rewrite(request: Request, read: Callable[[], Row], write: Callable[[Row], Row]) -> Row:
    """Read, check If-Match, modify, write. Without If-Match, a write that lost a race with another
    request (two PATCHes on one group at once) is redone on a fresh read instead of failing."""
    for _ in range(8):
        row = read()
        check_if_match(request, row)
        try:
            return write(row)
        except StaleWrite:
            if request.headers.get("if-match"):
                raise
    raise ScimError(409, "the resource keeps changing under this request; retry", "mutability")


def attr_params(request: Request) -> tuple[list[str] | None, list[str] | None]:
    def split(name: str) -> list[str] | None:
        raw = query(request).get(name)
        return [a.strip() for a in raw.split(",") if a.strip()] if raw else None

    return split("attributes"), split("excludedAttributes")


def paging(request: Request) -> tuple[int, int]:
    """(startIndex ≥ 1, count within 0..MAX_COUNT); integers as RFC 7644 §3.4.2.4 says."""
    try:
        start = int(query(request).get("startIndex", "1"))
        count = int(query(request).get("count", "100"))
    except ValueError:
        raise ScimError(400, "startIndex and count must be integers", "invalidValue") from None
    return max(start, 1), min(max(count, 0), MAX_COUNT)


def list_response(resources: list[dict[str, Any]], total: int, start: int) -> Response:
    return scim(
        {
            "schemas": [LIST_RESPONSE],
            "totalResults": total,
            "startIndex": start,
            "itemsPerPage": len(resources),
            "Resources": resources,
        }
    )
