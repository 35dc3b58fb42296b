"""OAuth clients and the client-credentials grant."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from ..bodies import RoleDivisions, validate
from ..errors import ApiError, bad_request, not_found
from ..org import Org, new_id, now_iso
from ..permissions import ALL_DIVISIONS

MIN_TTL, MAX_TTL, DEFAULT_TTL = 300, 172_800, 86_400


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def validate_role_divisions(org: Org, items: object, held_roles: set[str] | None = None) -> list[dict]:
    """roleDivisions of a client body. A role or division that does not exist (or is not yet
    visible) answers 404, as in every other area; with `held_roles` (the caller's own roles) a
    role the caller does not hold itself is refused: no privilege escalation through a client."""
    if items is None:
        return []
    out = []
    for i, item in enumerate(validate(RoleDivisions, items, where="roleDivisions").root):
        role = org.role(item.role_id, ref=True)
        if item.division_id != ALL_DIVISIONS:
            org.division(item.division_id, ref=True)
        if held_roles is not None and item.role_id not in held_roles:
            raise ApiError(
                403,
                "missing.role",
                f"roleDivisions[{i}]: you can only give a client roles you hold yourself; "
                f"you do not hold {role['name']!r}.",
                params={"roleId": item.role_id},
            )
        out.append({"roleId": item.role_id, "divisionId": item.division_id})
    return out


def create_client(
    org: Org,
    name: str,
    role_divisions: list[dict],
    *,
    ttl: int = DEFAULT_TTL,
    description: str = "",
    grant_type: str = "CLIENT-CREDENTIALS",
    client_id: str | None = None,
    secret: str | None = None,
) -> tuple[dict, str]:
    secret = secret or secrets.token_urlsafe(32)
    cid = client_id or new_id()
    now = now_iso()
    rec = {
        "id": cid,
        "name": name,
        "description": description,
        "accessTokenValiditySeconds": ttl,
        "authorizedGrantType": grant_type,
        "roleDivisions": role_divisions,
        "state": "active",
        "dateCreated": now,
        "dateModified": now,
        "secretHash": _hash(secret),
    }
    org.oauth_clients[cid] = rec
    org.subject_types[cid] = "PC_OAUTH_CLIENT"
    org.mark_indexed_later(cid)
    org.touch(authz=True)
    return rec, secret


def rotate_secret(org: Org, client_id: str) -> str:
    secret = secrets.token_urlsafe(32)
    org.oauth_clients[client_id]["secretHash"] = _hash(secret)
    org.touch()
    return secret


def check_ttl(value: object) -> int:
    if value is None:
        return DEFAULT_TTL
    if not isinstance(value, int) or isinstance(value, bool) or not MIN_TTL <= value <= MAX_TTL:
        raise bad_request(
            f"accessTokenValiditySeconds must be an integer from {MIN_TTL} to {MAX_TTL}.", "invalid.value"
        )
    return value


def render(rec: dict, secret: str | None = None) -> dict:
    out = {k: v for k, v in rec.items() if k != "secretHash"}
    out["roleIds"] = sorted({rd["roleId"] for rd in rec["roleDivisions"]})
    out["scope"] = []
    out["selfUri"] = f"/api/v2/oauth/clients/{rec['id']}"
    if secret is not None:
        out["secret"] = secret
    return out


def get_client(org: Org, client_id: str) -> dict:
    rec = org.oauth_clients.get(client_id)
    if rec is None:
        raise not_found("OAuth client", client_id)
    return rec


class TokenError(ApiError):
    """The login host answers OAuth errors in the OAuth shape, not the API's."""

    def body(self, correlation_id: str | None = None) -> dict:
        return {"error": self.code, "description": self.message, "error_description": self.message}


def mint(org: Org, client_id: str, secret: str) -> tuple[str, int]:
    rec = org.oauth_clients.get(client_id)
    if rec is None or not hmac.compare_digest(rec["secretHash"], _hash(secret)):
        raise TokenError(401, "invalid_client", "client not found or bad client credentials")
    if rec["authorizedGrantType"] != "CLIENT-CREDENTIALS":
        raise TokenError(400, "unauthorized_client", "client is not authorized for client_credentials")
    if rec["state"] != "active":
        raise TokenError(400, "invalid_client", "client is not active")
    token = secrets.token_urlsafe(48)
    ttl = rec["accessTokenValiditySeconds"]
    org.tokens[token] = (client_id, time.time() + ttl)
    return token, ttl
