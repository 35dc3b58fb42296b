"""Seed orgs: `empty`, `demo` (a small BPO), `scale:users=N,tenants=M,...` (benchmarks), or a state FILE."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .authorization.models import create_role
from .divisions.models import create as create_division
from .groups.models import create as create_group
from .oauth.models import create_client
from .org import HOME_NAME, Org, new_id, now_iso
from .permissions import ALL_DIVISIONS
from .permissions import policy as p
from .queues.models import create as create_queue
from .users.models import create as create_user

ADMIN_CLIENT_NAME = "tenantry-emulator-admin"

# Realistic roles: what an administrator finds in a new org, plus the BPO's own.
ROLES: dict[str, list[dict]] = {
    "Master Admin": [p("*", "*", "*")],
    "employee": [
        p("directory", "user", "view"),
        p("directory", "group", "view"),
        p("authorization", "division", "view"),
    ],
    "Agent": [
        p("routing", "queue", "view", "join"),
        p("conversation", "communication", "accept", "view"),
        p("conversation", "call", "accept"),
        p("analytics", "agentConversationDetail", "view"),
        p("directory", "user", "view"),
    ],
    "Supervisor": [
        p("routing", "queue", "view", "edit"),
        p("routing", "queueMember", "manage"),
        p("analytics", "conversationDetail", "view"),
        p("analytics", "conversationAggregate", "view"),
        p("recording", "recording", "view"),
        p("quality", "evaluation", "add", "view"),
        p("directory", "user", "view"),
    ],
    "Reporting Viewer": [
        p("analytics", "conversationDetail", "view"),
        p("analytics", "conversationAggregate", "view"),
        p("analytics", "userAggregate", "view"),
        p("routing", "queue", "view"),
        p("authorization", "division", "view"),
    ],
    "User Administrator": [
        p("directory", "user", "add", "edit", "delete", "view", "setPassword"),
        p("directory", "group", "add", "edit", "delete", "view"),
        p("authorization", "grant", "add", "delete", "view"),
        p("authorization", "role", "view"),
        p("authorization", "division", "view"),
    ],
    "Security Administrator": [
        p("oauth", "client", "add", "edit", "delete", "view"),
        p("sso", "provider", "add", "edit", "delete", "view"),
    ],
}


def _base(org: Org) -> dict[str, str]:
    home = create_division(org, HOME_NAME, "The organization's home division")
    org.home_division_id = home["id"]
    return {
        name: create_role(org, name, pols, default=(name == "employee"))["id"] for name, pols in ROLES.items()
    }


def _admin(org: Org, roles: dict[str, str], client_id: str | None, secret: str | None) -> tuple[str, str]:
    # the admin holds every role of the org: a client can only be given roles its maker holds
    rec, sec = create_client(
        org,
        ADMIN_CLIENT_NAME,
        [{"roleId": rid, "divisionId": ALL_DIVISIONS} for rid in roles.values()],
        description="Administrator client of the emulated org",
        client_id=client_id,
        secret=secret,
    )
    return rec["id"], sec


def _grant(org: Org, subject: str, role_id: str, division_id: str) -> None:
    org.grants[subject][(role_id, division_id)] = now_iso()


def _conversations(org: Org, divisions: list[str], count: int, rng: random.Random) -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    for i in range(count):
        t = start + timedelta(minutes=37 * i)
        div = divisions[i % len(divisions)]
        org.conversations.append(
            {
                "conversationId": new_id(),
                "conversationStart": t.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "conversationEnd": (t + timedelta(seconds=rng.randint(60, 900))).strftime(
                    "%Y-%m-%dT%H:%M:%S.000Z"
                ),
                "divisionIds": [div],
                "originatingDirection": rng.choice(["inbound", "outbound"]),
                "participants": [],
            }
        )


def empty(client_id: str | None = None, secret: str | None = None) -> tuple[Org, str, str]:
    org = Org()
    roles = _base(org)
    return org, *_admin(org, roles, client_id, secret)


DEMO_TENANTS = ("Acme Insurance", "Globex Telecom")


def demo(client_id: str | None = None, secret: str | None = None) -> tuple[Org, str, str]:
    """A small BPO: Home, two client divisions already in use, staff, agents and 120 conversations."""
    org = Org()
    org.record_timeline = False
    roles = _base(org)
    cid, sec = _admin(org, roles, client_id, secret)
    home = org.home_division_id
    staff = [
        ("Dana Ops", "dana.ops@bpo.example", "Operations Director"),
        ("Lee Workforce", "lee.wfm@bpo.example", "Workforce Manager"),
        ("Sam Quality", "sam.qa@bpo.example", "Quality Analyst"),
    ]
    for name, email, title in staff:
        create_user(org, name=name, email=email, division_id=home, title=title)  # holds employee@Home
    divisions = [home]
    for tenant in DEMO_TENANTS:
        d = create_division(org, tenant, f"Client account {tenant}")
        divisions.append(d["id"])
        slug = tenant.split()[0].lower()
        g = create_group(org, f"{tenant} Agents", description=f"Agents of {tenant}")
        _grant(org, g["id"], roles["Agent"], d["id"])
        _grant(org, g["id"], roles["employee"], d["id"])
        create_queue(org, f"{tenant} Support", d["id"], [g["id"]])
        for i in range(1, 5):
            u = create_user(
                org,
                name=f"{tenant.split()[0]} Agent {i}",
                email=f"agent{i}@{slug}.bpo.example",
                division_id=d["id"],
                title="Agent",
            )
            org.set_group_member(g["id"], u["id"], True)
    _conversations(org, divisions, 120, random.Random(7))
    org.born.clear()
    org.record_timeline = True
    return org, cid, sec


def scale(
    params: dict[str, int], client_id: str | None = None, secret: str | None = None
) -> tuple[Org, str, str]:
    """Large orgs in seconds: users spread over tenant divisions, each with `grants` direct grants,
    one role-enabled group and one queue a tenant. `inactive` adds deactivated users."""
    users = params.get("users", 1000)
    tenants = max(1, params.get("tenants", 10))
    per_user = max(0, min(params.get("grants", 2), 4))
    inactive = params.get("inactive", 0)
    org = Org()
    org.record_timeline = False
    org.division_limit = max(org.division_limit, tenants + 10)
    roles = _base(org)
    cid, sec = _admin(org, roles, client_id, secret)
    user_roles = [roles[n] for n in ("employee", "Agent", "Reporting Viewer", "Supervisor")][:per_user]
    divs, groups = [], []
    for t in range(tenants):
        d = create_division(org, f"Tenant {t + 1:03d}")
        g = create_group(org, f"Tenant {t + 1:03d} Agents")
        g["rolesEnabled"] = True
        _grant(org, g["id"], roles["Agent"], d["id"])
        create_queue(org, f"Tenant {t + 1:03d} Support", d["id"], [g["id"]])
        divs.append(d["id"])
        groups.append(g["id"])
    now = now_iso()
    for i in range(users + inactive):
        t = i % tenants
        uid = new_id()
        u = {
            "id": uid,
            "name": f"User {i:06d}",
            "email": f"user{i:06d}@t{t + 1:03d}.scale.example",
            "divisionId": divs[t],
            "state": "active" if i < users else "inactive",
            "title": "Agent",
            "department": "",
            "version": 1,
            "dateCreated": now,
            "dateModified": now,
        }
        org.users[uid] = u
        org.subject_types[uid] = "PC_USER"
        org.index_user(u)
        held = org.grants[uid]
        held[(roles["employee"], org.home_division_id)] = now  # the platform's default role
        if i < users:
            for r in user_roles:
                held[(r, divs[t])] = now
            org.set_group_member(groups[t], uid, True)
    _conversations(org, [org.home_division_id, *divs], min(2000, users), random.Random(11))
    org.born.clear()
    org.record_timeline = True
    return org, cid, sec


# bounds of a scale seed: large enough for every benchmark, small enough not to exhaust memory
SCALE_BOUNDS = {"users": 200_000, "tenants": 2_000, "grants": 4, "inactive": 200_000}


def parse_scale(spec: str) -> dict[str, int]:
    out: dict[str, int] = {}
    body = spec.split(":", 1)[1] if ":" in spec else ""
    for part in filter(None, body.split(",")):
        key, _, value = part.partition("=")
        if key not in SCALE_BOUNDS or not value.isdigit():
            raise ValueError(f"scale seed part {part!r}: use users=N,tenants=M[,grants=G][,inactive=K]")
        if len(value) > 7 or int(value) > SCALE_BOUNDS[key]:
            raise ValueError(f"scale seed part {part!r}: {key} is at most {SCALE_BOUNDS[key]}")
        out[key] = int(value)
    return out


RESTRICTED = "+restricted-directory"  # a seed suffix: the org setting that restricts the directory


def build(seed: str, client_id: str | None = None, secret: str | None = None) -> tuple[Org, str, str]:
    """Any seed by name; a FILE is an org saved by `--state`, whose admin client gets a new secret.
    Any seed may end with `+restricted-directory` (e.g. `demo+restricted-directory`)."""
    if seed.endswith(RESTRICTED):
        org, cid, sec = build(seed[: -len(RESTRICTED)], client_id, secret)
        org.directory_restricted = True
        return org, cid, sec
    if seed == "empty":
        return empty(client_id, secret)
    if seed == "demo":
        return demo(client_id, secret)
    if seed.startswith("scale"):
        return scale(parse_scale(seed), client_id, secret)
    path = Path(seed)
    if not path.is_file():
        raise ValueError(f"seed {seed!r} is not demo, empty, scale:users=N,tenants=M or a state file")
    try:
        org = Org.load(path)
    except (ValueError, TypeError, KeyError, AttributeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{seed} is not an org saved by --state ({type(exc).__name__}: {exc})") from None
    return adopt(org, client_id, secret)


def adopt(org: Org, client_id: str | None = None, secret: str | None = None) -> tuple[Org, str, str]:
    """Take over a saved org: find its admin client and give it a fresh secret (or the one given)."""
    from .oauth.models import _hash, rotate_secret

    admin = next((c for c in org.oauth_clients.values() if c["name"] == ADMIN_CLIENT_NAME), None)
    if admin is None:
        master = next(r["id"] for r in org.roles.values() if r["name"] == "Master Admin")
        return org, *_admin(org, {"Master Admin": master}, client_id, secret)
    if secret:
        admin["secretHash"] = _hash(secret)
        return org, admin["id"], secret
    return org, admin["id"], rotate_secret(org, admin["id"])
