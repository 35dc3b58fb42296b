"""HTTP for /oauth/token and /api/v2/oauth/clients."""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import limits
from ..app import basic_credentials
from ..bodies import OAuthClientBody, validate
from ..web import caller, empty, emulator, json_body, listing, ok, org, paging
from . import models as m


async def token(req: Request) -> Response:
    emu = emulator(req)
    form = {k: v[0] for k, v in parse_qs((await req.body()).decode("utf-8", "replace")).items()}
    creds = basic_credentials(req) or (form.get("client_id") or "", form.get("client_secret") or "")
    if form.get("grant_type") != "client_credentials":
        raise m.TokenError(400, "unsupported_grant_type", "grant_type must be client_credentials")
    verdict = emu.token_limiter.check(str(creds[0]))
    if not verdict.allowed:
        raise m.TokenError(
            400,
            "invalid_request",
            "rate limit exceeded",
            headers={"Retry-After": limits.retry_after(verdict)},
        )
    access, ttl = m.mint(emu.org, str(creds[0]), str(creds[1]))
    return ok({"access_token": access, "token_type": "bearer", "expires_in": ttl})


def held_roles(req: Request) -> set[str]:
    """The roles the calling client holds itself, in any division."""
    return {rd["roleId"] for rd in caller(req).client.get("roleDivisions", [])}


async def list_clients(req: Request) -> Response:
    """The SDK's get_oauth_clients sends no paging: the platform answers every client at once."""
    caller(req).require("oauth:client:view")
    o = org(req)
    items = [m.render(c) for cid, c in o.oauth_clients.items() if o.indexed(cid)]
    size, number = paging(req, default=max(25, len(items)), max_size=max(500, len(items)))
    return ok(listing(req, items, size, number))


async def create_client(req: Request) -> Response:
    caller(req).require("oauth:client:add")
    raw = await json_body(req)
    body = validate(OAuthClientBody, raw)
    o = org(req)
    rec, secret = m.create_client(
        o,
        body.name,
        m.validate_role_divisions(o, raw.get("roleDivisions"), held_roles(req)),
        ttl=m.check_ttl(raw.get("accessTokenValiditySeconds")),
        description=body.description or "",
        grant_type=body.authorized_grant_type,
    )
    return ok(m.render(rec, secret))


async def get_client(req: Request) -> Response:
    caller(req).require("oauth:client:view")
    return ok(m.render(m.get_client(org(req), req.path_params["clientId"])))


async def update_client(req: Request) -> Response:
    caller(req).require("oauth:client:edit")
    o = org(req)
    rec = m.get_client(o, req.path_params["clientId"])
    raw = await json_body(req)
    body = validate(OAuthClientBody, raw)
    # validate everything first: a refused update changes nothing
    changes: dict = {"name": body.name}
    if "roleDivisions" in raw:
        changes["roleDivisions"] = m.validate_role_divisions(o, raw["roleDivisions"], held_roles(req))
    if "accessTokenValiditySeconds" in raw:
        changes["accessTokenValiditySeconds"] = m.check_ttl(raw["accessTokenValiditySeconds"])
    if "description" in raw:
        changes["description"] = body.description or ""
    if body.state is not None:
        changes["state"] = body.state
    rec.update(changes)
    rec["dateModified"] = m.now_iso()
    o.touch(authz=True)
    return ok(m.render(rec))


async def delete_client(req: Request) -> Response:
    caller(req).require("oauth:client:delete")
    o = org(req)
    rec = m.get_client(o, req.path_params["clientId"])
    if rec["state"] == "active":
        raise m.bad_request(
            "An active OAuth client cannot be deleted; set its state to inactive first.", "client.active"
        )
    del o.oauth_clients[rec["id"]]
    o.unindexed.pop(rec["id"], None)
    o.subject_types.pop(rec["id"], None)
    for t in [t for t, (cid, _) in o.tokens.items() if cid == rec["id"]]:
        del o.tokens[t]
    o.touch(authz=True)
    return empty()


async def new_secret(req: Request) -> Response:
    caller(req).require("oauth:client:edit")
    o = org(req)
    rec = m.get_client(o, req.path_params["clientId"])
    return ok(m.render(rec, m.rotate_secret(o, rec["id"])))


routes = [
    Route("/oauth/token", token, methods=["POST"]),
    Route("/api/v2/oauth/clients", list_clients, methods=["GET"]),
    Route("/api/v2/oauth/clients", create_client, methods=["POST"]),
    Route("/api/v2/oauth/clients/{clientId}", get_client, methods=["GET"]),
    Route("/api/v2/oauth/clients/{clientId}", update_client, methods=["PUT"]),
    Route("/api/v2/oauth/clients/{clientId}", delete_client, methods=["DELETE"]),
    Route("/api/v2/oauth/clients/{clientId}/secret", new_secret, methods=["POST"]),
]
