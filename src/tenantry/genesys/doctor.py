"""The checks behind `tenantry doctor`: can tenantry work against this org with these clients?

For each configured OAuth client: the target answers, a token can be minted, the client's own
grants (read from GET /api/v2/authorization/subjects/{clientId}, or its roleDivisions) hold
every permission tenantry's operations need in all divisions, and answers carry the rate-limit
headers the budget learns from.

Division-scoped permissions must be held on `*` (all divisions, present and future): tenantry
creates tenant divisions and must manage them the moment they exist.

The platform lets a caller give an OAuth client only roles the caller holds itself (no
escalation): given the roles tenants.yaml names for tenants' clients, doctor checks each is held.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from tenantry.genesys.api import grants as grants_api
from tenantry.genesys.api import oauth_clients as oauth_api
from tenantry.genesys.api import roles as roles_api
from tenantry.genesys.config import Credentials, GenesysSettings
from tenantry.genesys.errors import AuthenticationError, GenesysError
from tenantry.genesys.http import GenesysClient
from tenantry.genesys.models import Role
from tenantry.genesys.retry import RetryPolicy

ALL_DIVISIONS = "*"

REQUIRED_PERMISSIONS: dict[str, str] = {
    "authorization:division:view": "read tenant divisions",
    "authorization:division:add": "create a tenant's division",
    "authorization:division:edit": "rename tenant divisions",
    "authorization:role:view": "read roles",
    "authorization:grant:view": "read who holds which role where",
    "authorization:grant:add": "grant roles scoped to a tenant division",
    "authorization:grant:delete": "revoke roles (movers, leavers)",
    "directory:user:view": "read and search users",
    "directory:user:add": "create joiners",
    "directory:user:edit": "update, move and deactivate users",
    "directory:user:delete": "delete leavers after retention",
    "directory:group:add": "create tenant groups",
    "directory:group:edit": "change tenant groups and their members",
    "routing:queue:view": "read queues",
    "routing:queue:add": "create tenant queues",
    "routing:queue:edit": "bind groups to queues",
    "routing:queueMember:manage": "change queue members",
    "oauth:client:view": "read OAuth clients",
    "oauth:client:add": "create a tenant's reporting client",
    "oauth:client:edit": "change a tenant's OAuth clients",
    "sso:provider:view": "read SAML identity providers",
    "analytics:conversationDetail:view": "prove a tenant sees only its conversations",
}

RATE_HEADERS = ("inin-ratelimit-allowed", "inin-ratelimit-count", "inin-ratelimit-reset")


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    client_id: str = ""


@dataclass
class DoctorReport:
    checks: list[Check] = field(default_factory=list)
    credentials_error: str | None = None
    """One sentence when the credentials are wrong: the CLI prints it and exits 2."""

    @property
    def ok(self) -> bool:
        return self.credentials_error is None and all(c.ok for c in self.checks)


async def run_doctor(
    settings: GenesysSettings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: float = 15.0,
    client_roles: Mapping[str, Sequence[str]] | None = None,
) -> DoctorReport:
    """`client_roles`: tenant OAuth client name → the role names tenants.yaml gives it."""
    report = DoctorReport()
    report.checks.append(
        Check("credentials", True, f"{len(settings.clients)} OAuth client(s) from {settings.source}")
    )
    reached = False
    for creds in settings.clients:
        async with GenesysClient(
            settings.target,
            [creds],
            transport=transport,
            timeout=timeout,
            retry=RetryPolicy(max_attempts=3, max_elapsed=30.0),
        ) as client:
            if not reached:
                check = await _target(client)
                report.checks.insert(0, check)
                reached = True
                if not check.ok:
                    return report
            await _check_client(client, creds, report, client_roles)
    return report


async def _target(client: GenesysClient) -> Check:
    api_base = client.target.api_base
    try:
        status = await client.probe()
    except httpx.HTTPError as exc:
        return Check("target", False, f"cannot reach {api_base}: {type(exc).__name__}")
    return Check("target", True, f"{api_base} answers (HTTP {status} without a token)")


async def _check_client(
    client: GenesysClient,
    creds: Credentials,
    report: DoctorReport,
    client_roles: Mapping[str, Sequence[str]] | None = None,
) -> None:
    cid = creds.client_id
    member = client.pool.members[0]
    try:
        await member.tokens.get()
    except AuthenticationError as exc:
        report.checks.append(Check("token", False, exc.message, cid))
        report.credentials_error = f"{exc.message}: check the client id and secret."
        return
    except GenesysError as exc:
        report.checks.append(Check("token", False, f"no token: {exc}", cid))
        return
    report.checks.append(
        Check("token", True, f"minted; valid for {int(member.tokens.expires_in or 0)} s", cid)
    )

    headers: dict[str, str] = {}
    try:
        held, headers = await _held_grants(client, cid)
    except GenesysError as exc:
        report.checks.append(Check("permissions", False, f"cannot read the client's own grants: {exc}", cid))
    else:
        report.checks.append(await _permissions(client, cid, held))
        if client_roles:
            report.checks.append(await _no_escalation(client, cid, held, client_roles))
    if not headers:
        try:
            headers = dict((await client.request("GET", "/api/v2/authorization/divisions/home")).headers)
        except GenesysError:
            headers = {}
    report.checks.append(_rate_headers(headers, cid))


async def _held_grants(client: GenesysClient, cid: str) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """(roleId, divisionId) pairs the client holds, and the headers of the answer that said so."""
    try:
        response = await client.request("GET", grants_api.SUBJECT, path={"subjectId": cid})
        subject: dict[str, Any] = response.json()
        pairs = [(g["role"]["id"], g["division"]["id"]) for g in subject.get("grants") or []]
    except GenesysError:
        # Without authorization:grant:view, the client's own record may still be readable.
        response = await client.request("GET", oauth_api.ONE, path={"clientId": cid})
        pairs = [(rd["roleId"], rd["divisionId"]) for rd in response.json().get("roleDivisions") or []]
    return pairs, dict(response.headers)


async def _permissions(client: GenesysClient, cid: str, held: list[tuple[str, str]]) -> Check:
    role_ids = sorted({r for r, _ in held})
    try:
        roles: list[Role] = list(await asyncio.gather(*(roles_api.get_role(client, r) for r in role_ids)))
    except GenesysError as exc:
        return Check("permissions", False, f"cannot read the roles it holds: {exc}", cid)
    by_id = {r.id: r for r in roles}
    missing: list[str] = []
    partial: list[str] = []
    for permission in REQUIRED_PERMISSIONS:
        divisions = {d for r, d in held if roles_api.role_permits(by_id[r], permission)}
        if ALL_DIVISIONS in divisions:
            continue
        (partial if divisions else missing).append(permission)
    if not missing and not partial:
        return Check("permissions", True, f"all {len(REQUIRED_PERMISSIONS)} needed, in all divisions", cid)
    parts = []
    if missing:
        parts.append("missing " + ", ".join(f"{p} ({REQUIRED_PERMISSIONS[p]})" for p in missing))
    if partial:
        parts.append("held only in some divisions, not all (*): " + ", ".join(partial))
    return Check("permissions", False, "; ".join(parts), cid)


async def _no_escalation(
    client: GenesysClient,
    cid: str,
    held: list[tuple[str, str]],
    client_roles: Mapping[str, Sequence[str]],
) -> Check:
    """Every role named for a tenant's OAuth client is one this client holds: the platform
    refuses to give a client a role its caller does not hold."""
    try:
        names = {
            r.name.casefold()
            for r in await asyncio.gather(
                *(roles_api.get_role(client, r) for r in sorted({r for r, _ in held}))
            )
        }
    except GenesysError as exc:
        return Check("client roles", False, f"cannot read the roles it holds: {exc}", cid)
    lacking = {
        role: sorted(name for name, roles in client_roles.items() if role in roles)
        for role in sorted({r for roles in client_roles.values() for r in roles})
        if role.casefold() not in names
    }
    if not lacking:
        count = len({r for roles in client_roles.values() for r in roles})
        return Check("client roles", True, f"holds all {count} roles tenants' OAuth clients are given", cid)
    detail = "; ".join(f"{role} (for {', '.join(who)})" for role, who in lacking.items())
    return Check(
        "client roles",
        False,
        f"cannot give tenants' OAuth clients roles it does not hold itself: {detail}. "
        "Grant these roles to tenantry's OAuth client.",
        cid,
    )


def _rate_headers(headers: dict[str, str], cid: str) -> Check:
    lower = {k.lower(): v for k, v in headers.items()}
    absent = [h for h in RATE_HEADERS if h not in lower]
    if absent:
        return Check("rate limit", False, "answers lack " + ", ".join(absent), cid)
    allowed, count, reset = (lower[h] for h in RATE_HEADERS)
    return Check("rate limit", True, f"{allowed} requests per window; {count} used; resets in {reset} s", cid)
