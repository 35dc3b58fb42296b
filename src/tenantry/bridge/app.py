"""The ASGI app: one SCIM 2.0 service provider per source at /scim/v2/<source>/, /healthz, /metrics.

TLS is a reverse proxy's job (README); run behind one with uvicorn's proxy headers on.
"""

from __future__ import annotations

import contextlib
import hmac
from collections.abc import AsyncIterator
from typing import Any

from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    EnterpriseUser,
    ETag,
    Filter,
    Group,
    Patch,
    ResourceType,
    ServiceProviderConfig,
    Sort,
    User,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from tenantry.bridge import groups, users
from tenantry.bridge.schema import ScimError
from tenantry.bridge.security import DEFAULT_BODY_LIMIT
from tenantry.bridge.service import Bridge, token_hash
from tenantry.bridge.web import MAX_COUNT, endpoint, error, list_response, scim
from tenantry.events.metrics import CONTENT_TYPE, render_metrics

SCHEMAS = {m.to_schema().id: m for m in (User, EnterpriseUser, Group)}


def _resource_types(request: Request, source: str) -> list[dict[str, Any]]:
    base = str(request.base_url).rstrip("/") + f"/scim/v2/{source}"
    out = []
    for kind, model in (("User", User[EnterpriseUser]), ("Group", Group)):
        body = ResourceType.from_resource(model).model_dump()
        body["meta"] = {"resourceType": "ResourceType", "location": f"{base}/ResourceTypes/{kind}"}
        out.append(body)
    return out


async def search_all(_request: Request, _bridge: Bridge, _source: str) -> Response:
    raise ScimError(501, "searching several resource types at once is not supported; use /Users/.search")


async def service_provider_config(request: Request, _bridge: Bridge, _source: str) -> Response:
    config = ServiceProviderConfig(
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_COUNT),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=True),
        authentication_schemes=[
            AuthenticationScheme(
                type="oauthbearertoken",
                name="Bearer token",
                description="The source's secret token, sent as Authorization: Bearer <token>",
                primary=True,
            )
        ],
    )
    return scim(config.model_dump())


async def resource_types(request: Request, _bridge: Bridge, source: str) -> Response:
    found = _resource_types(request, source)
    if "id" in request.path_params:
        hit = [r for r in found if r["id"] == request.path_params["id"]]
        if not hit:
            raise ScimError(404, f"no resource type {request.path_params['id']!r}")
        return scim(hit[0])
    return list_response(found, len(found), 1)


def _schema(request: Request, source: str, model: Any) -> dict[str, Any]:
    body = model.to_schema().model_dump()
    base = str(request.base_url).rstrip("/") + f"/scim/v2/{source}"
    body["meta"] = {"resourceType": "Schema", "location": f"{base}/Schemas/{body['id']}"}
    return body


async def schemas(request: Request, _bridge: Bridge, source: str) -> Response:
    if "id" in request.path_params:
        model = SCHEMAS.get(request.path_params["id"])
        if model is None:
            raise ScimError(404, f"no schema {request.path_params['id']!r}")
        return scim(_schema(request, source, model))
    found = [_schema(request, source, m) for m in SCHEMAS.values()]
    return list_response(found, len(found), 1)


async def healthz(request: Request) -> Response:
    bridge: Bridge = request.app.state.bridge
    return JSONResponse(
        {
            "status": "ok",
            "sources": {
                n: {
                    "requests": s.requests,
                    "auth_failures": s.auth_failures,
                    "rate_limited": s.limiter.refused,
                }
                for n, s in bridge.sources.items()
            },
            "queue": await bridge.queue_state(),
            "index": {
                "age_seconds": round(min(bridge.index.age, 1e9), 1),
                "full_reads": bridge.index.full_reads,
            },
            "waiting": len(bridge.waiting),
        }
    )


def _admin_allowed(request: Request) -> bool:
    digest = request.app.state.admin_digest
    auth = request.headers.get("authorization", "")
    token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
    return digest is not None and bool(token) and hmac.compare_digest(token_hash(token), digest)


async def admin(request: Request) -> Response:
    """POST /admin/refresh (the whole org index now) and /admin/reconcile ({"emails": [...]} or
    {"all": true}): on demand, with the admin token given to `tenantry serve`."""
    if not _admin_allowed(request):
        return error(ScimError(401, "missing or wrong admin token"))
    bridge: Bridge = request.app.state.bridge
    if request.path_params["action"] == "refresh":
        await bridge.refresh_index()
        return JSONResponse({"refreshed": True})
    body = await request.json()
    emails = {str(e).lower() for e in body.get("emails") or []}
    if bridge.jobs is not None:  # a replica: the workers reconcile, now
        if body.get("all"):
            await bridge.full_reconcile()
        else:
            await bridge.jobs.touch(emails, urgent=True, reason="on demand (POST /admin/reconcile)")
        return JSONResponse({"queued": True})
    outcome = await (bridge.full_reconcile() if body.get("all") else bridge.reconcile(emails))
    assert outcome is not None
    result = outcome.result
    return JSONResponse({"ok": outcome.ok, "done": result.done if result else 0, "wrong": outcome.wrong})


async def metrics_endpoint(request: Request) -> Response:
    """Every tenantry metric (the bridge's, the Genesys clients', events'); the queue depth fresh."""
    await request.app.state.bridge.queue_state()
    return Response(render_metrics(), media_type=CONTENT_TYPE)


async def _not_found(_request: Request, _exc: Exception) -> Response:
    return error(ScimError(404, "no such endpoint (SCIM lives at /scim/v2/<source>/Users and /Groups)"))


async def _not_allowed(request: Request, _exc: Exception) -> Response:
    return error(ScimError(405, f"{request.method} is not supported here"))


def _scim_routes() -> list[Route]:
    r = "/scim/v2/{source}"
    u, g = users, groups
    table = [
        ("/Users", "GET", "User", u.list_users),
        ("/Users", "POST", "User", u.create_user),
        ("/Users/.search", "POST", "User", u.search_users),
        ("/Users/{id}", "GET", "User", u.get_user),
        ("/Users/{id}", "PUT", "User", u.replace_user),
        ("/Users/{id}", "PATCH", "User", u.patch_user),
        ("/Users/{id}", "DELETE", "User", u.delete_user),
        ("/Groups", "GET", "Group", g.list_groups),
        ("/Groups", "POST", "Group", g.create_group),
        ("/Groups/.search", "POST", "Group", g.search_groups),
        ("/Groups/{id}", "GET", "Group", g.get_group),
        ("/Groups/{id}", "PUT", "Group", g.replace_group),
        ("/Groups/{id}", "PATCH", "Group", g.patch_group),
        ("/Groups/{id}", "DELETE", "Group", g.delete_group),
        ("/.search", "POST", "Config", search_all),
        ("/ServiceProviderConfig", "GET", "Config", service_provider_config),
        ("/ResourceTypes", "GET", "Config", resource_types),
        ("/ResourceTypes/{id}", "GET", "Config", resource_types),
        ("/Schemas", "GET", "Config", schemas),
        ("/Schemas/{id}", "GET", "Config", schemas),
    ]
    return [Route(r + path, endpoint(kind, fn), methods=[method]) for path, method, kind, fn in table]


def make_app(
    bridge: Bridge,
    *,
    body_limit: int = DEFAULT_BODY_LIMIT,
    full_every: float | None = None,
    admin_token: str | None = None,
) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await bridge.start(full_every=full_every)
        try:
            yield
        finally:
            await bridge.stop()

    routes: list[Route | Mount] = [
        *_scim_routes(),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/admin/{action:str}", admin, methods=["POST"]),
    ]
    routes.append(Route("/metrics", metrics_endpoint, methods=["GET"]))
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={404: _not_found, 405: _not_allowed},
    )
    app.state.bridge = bridge
    app.state.body_limit = body_limit
    app.state.admin_digest = token_hash(admin_token) if admin_token else None
    return app
