"""One clean multi-tenant org and one injected violation per audit rule, written once as plain data.

The same `OrgSpec` becomes a Snapshot built by hand (pure tests) and an emulator org created over
real HTTP (integration test), so both prove the same thing: each violation is found exactly once,
with the right subject and path, and the clean org yields nothing.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from genesys_emulator.seeds import ADMIN_CLIENT_NAME, ROLES
from tenantry.config.tenants import Config, load
from tenantry.domain.model import (
    ALL_DIVISIONS,
    Division,
    Grant,
    Group,
    OAuthClient,
    Policy,
    Queue,
    Role,
    Snapshot,
    User,
)

HOME = "Home"
ACME = "Acme Insurance"
GLOBEX = "Globex Telecom"
ACME_AGENTS = "Acme Insurance Agents"
ACME_SUPERVISORS = "Acme Insurance Supervisors"
GLOBEX_AGENTS = "Globex Telecom Agents"
GLOBEX_SUPERVISORS = "Globex Telecom Supervisors"
ROOT = "root@bpo.example"
DANA = "dana.ops@bpo.example"

TENANTS_YAML = """\
org:
  org_admins: [root@bpo.example]
tenants:
  acme:
    division: Acme Insurance
    members: [{client: ACME}]
    groups:
      agents: {name: Acme Insurance Agents, roles: [Agent, employee]}
      supervisors: {name: Acme Insurance Supervisors, roles: [Supervisor]}
    queues: [{name: Acme Support, groups: [agents]}]
    oauth_clients: [{name: Acme Reporting, roles: [Reporting Viewer]}]
    staff: [{email: dana.ops@bpo.example, roles: [Supervisor]}]
  globex:
    division: Globex Telecom
    members: [{client: GLOBEX}]
    groups:
      agents: {name: Globex Telecom Agents, roles: [Agent, employee]}
      supervisors: {name: Globex Telecom Supervisors, roles: [Supervisor]}
    queues: [{name: Globex Support, groups: [agents]}]
    oauth_clients: [{name: Globex Reporting, roles: [Reporting Viewer]}]
    staff: [{email: dana.ops@bpo.example, roles: [Supervisor]}]
"""

RoleAt = tuple[str, str]  # (role name, division name or "*")


@dataclass
class UserSpec:
    name: str
    division: str
    state: str = "active"


@dataclass
class GroupSpec:
    grants: list[RoleAt] = field(default_factory=list)
    members: list[str] = field(default_factory=list)  # emails


@dataclass
class QueueSpec:
    division: str
    groups: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)  # emails of direct members


@dataclass
class OrgSpec:
    divisions: list[str]  # besides Home
    users: dict[str, UserSpec]
    user_grants: dict[str, list[RoleAt]]
    groups: dict[str, GroupSpec]
    queues: dict[str, QueueSpec]
    clients: dict[str, list[RoleAt]]

    def grant(self, email: str, role: str, division: str) -> None:
        self.user_grants.setdefault(email, []).append((role, division))


def clean_org(org_level: bool = True) -> OrgSpec:
    """Two tenants, each with agents and supervisors in groups, a queue and a reporting client.

    `org_level` adds what only tenants.yaml can explain: an org admin holding `*` and a BPO staff
    member with direct grants in both tenants. Without a config both would be findings.
    """
    users = {ROOT: UserSpec("Root Admin", HOME), DANA: UserSpec("Dana Ops", HOME)}
    grants: dict[str, list[RoleAt]] = {ROOT: [("employee", HOME)], DANA: [("employee", HOME)]}
    if org_level:
        grants[ROOT].append(("Master Admin", ALL_DIVISIONS))
        grants[DANA] += [("Supervisor", ACME), ("Supervisor", GLOBEX)]
    groups = {"BPO Staff": GroupSpec([("employee", HOME)], [DANA])}
    queues = {}
    clients = {ADMIN_CLIENT_NAME: [("Master Admin", ALL_DIVISIONS)]}
    for division, slug in ((ACME, "acme"), (GLOBEX, "globex")):
        agents = [f"agent{i}@{slug}.bpo.example" for i in range(1, 5)]
        sup = f"sup1@{slug}.bpo.example"
        for email in [*agents, sup]:
            users[email] = UserSpec(email.split("@")[0].title(), division)
            grants[email] = [("employee", division)]  # the platform's default role, in the home division
        users[f"old@{slug}.bpo.example"] = UserSpec("Old Leaver", division, state="inactive")
        groups[f"{division} Agents"] = GroupSpec([("Agent", division), ("employee", division)], agents)
        groups[f"{division} Supervisors"] = GroupSpec([("Supervisor", division)], [sup])
        queues[f"{division.split()[0]} Support"] = QueueSpec(division, [f"{division} Agents"], [sup])
        clients[f"{division.split()[0]} Reporting"] = [("Reporting Viewer", division)]
    return OrgSpec([ACME, GLOBEX], users, grants, groups, queues, clients)


# ---- one violation per rule ------------------------------------------------------------------------
@dataclass(frozen=True)
class Violation:
    rule: str
    subject_type: str
    subject_name: str
    path: str
    inject: Callable[[OrgSpec], None]
    needs_config: bool = False


def _r03(o: OrgSpec) -> None:
    o.groups[GLOBEX_AGENTS].members.append("agent3@acme.bpo.example")


def _r04(o: OrgSpec) -> None:
    o.clients["Shared Reporting"] = [("Reporting Viewer", ACME), ("Reporting Viewer", GLOBEX)]


def _r05(o: OrgSpec) -> None:
    o.queues["Acme Support"].members.append("agent1@globex.bpo.example")


def _r06(o: OrgSpec) -> None:
    o.users["misplaced@acme.bpo.example"] = UserSpec("Misplaced Agent", HOME)
    o.groups[ACME_AGENTS].members.append("misplaced@acme.bpo.example")


def _r07(o: OrgSpec) -> None:
    o.groups[ACME_SUPERVISORS].grants.append(("User Administrator", ACME))


def _r08(o: OrgSpec) -> None:
    o.users["contractor@outside.example"] = UserSpec("Outside Contractor", HOME)
    o.grant("contractor@outside.example", "Reporting Viewer", ACME)


def _r09(o: OrgSpec) -> None:
    o.users["gone@acme.bpo.example"] = UserSpec("Gone Agent", ACME, state="inactive")
    o.groups[ACME_AGENTS].members.append("gone@acme.bpo.example")


def _r10(o: OrgSpec) -> None:
    o.queues["Acme Billing"] = QueueSpec(HOME, [ACME_AGENTS])


VIOLATIONS = [
    Violation("R01", "user", "agent1@acme.bpo.example", "direct",
              lambda o: o.grant("agent1@acme.bpo.example", "Reporting Viewer", ALL_DIVISIONS)),
    Violation("R02", "user", "agent2@acme.bpo.example", "direct",
              lambda o: o.grant("agent2@acme.bpo.example", "Agent", GLOBEX)),
    Violation("R03", "user", "agent3@acme.bpo.example", f"via group {GLOBEX_AGENTS}", _r03),
    Violation("R04", "oauth_client", "Shared Reporting", "via OAuth client roleDivisions", _r04),
    Violation("R05", "queue", "Acme Support", "direct member", _r05),
    Violation("R06", "user", "misplaced@acme.bpo.example", "home division", _r06, needs_config=True),
    Violation("R07", "group", ACME_SUPERVISORS, "direct", _r07),
    Violation("R08", "user", "contractor@outside.example", "direct", _r08),
    Violation("R09", "user", "gone@acme.bpo.example", f"via group {ACME_AGENTS}", _r09),
    Violation("R10", "queue", "Acme Billing", "object division", _r10),
    Violation("R11", "user", "agent4@acme.bpo.example", "direct",
              lambda o: o.grant("agent4@acme.bpo.example", "Agent", ACME), needs_config=True),
]  # fmt: skip


def with_violations(spec: OrgSpec, violations: list[Violation]) -> OrgSpec:
    out = copy.deepcopy(spec)
    for v in violations:
        v.inject(out)
    return out


def config(tmp_path: Path) -> Config:
    """Through the real loader, so the audit sees exactly what `tenantry audit -c` would."""
    path = tmp_path / "tenants.yaml"
    path.write_text(TENANTS_YAML)
    return load(path)


# ---- a Snapshot built by hand ----------------------------------------------------------------------
def _role(name: str, policies: list[dict]) -> Role:
    return Role(
        f"role:{name}",
        name,
        tuple(Policy(p["domain"], p["entityName"], tuple(p["actionSet"])) for p in policies),
    )


def to_snapshot(spec: OrgSpec) -> Snapshot:
    """Ids are readable (`user:<email>`, `division:<name>`), so failures read well."""
    div = {HOME: "division:Home", ALL_DIVISIONS: ALL_DIVISIONS} | {d: f"division:{d}" for d in spec.divisions}

    def grants(rows: list[RoleAt]) -> frozenset[Grant]:
        return frozenset(Grant(f"role:{r}", div[d]) for r, d in rows)

    s = Snapshot()
    s.divisions = {div[HOME]: Division(div[HOME], HOME, home=True)} | {
        div[d]: Division(div[d], d) for d in spec.divisions
    }
    s.roles = {r.id: r for r in (_role(n, p) for n, p in ROLES.items())}
    s.users = {
        f"user:{e}": User(f"user:{e}", u.name, e, div[u.division], state=u.state)
        for e, u in spec.users.items()
    }
    s.user_grants = {f"user:{e}": grants(g) for e, g in spec.user_grants.items()}
    s.groups = {
        f"group:{n}": Group(f"group:{n}", n, True, 1, frozenset(f"user:{m}" for m in g.members))
        for n, g in spec.groups.items()
    }
    s.group_grants = {f"group:{n}": grants(g.grants) for n, g in spec.groups.items()}
    s.queues = {
        f"queue:{n}": Queue(
            f"queue:{n}",
            n,
            div[q.division],
            tuple(f"group:{g}" for g in q.groups),
            frozenset(f"user:{m}" for m in q.members),
        )
        for n, q in spec.queues.items()
    }
    s.oauth_clients = {
        f"client:{n}": OAuthClient(f"client:{n}", n, grants(g)) for n, g in spec.clients.items()
    }
    s.self_client_id = f"client:{ADMIN_CLIENT_NAME}"
    return s


# ---- the same org in the emulator, over real HTTP ------------------------------------------------
def _ok(r: httpx.Response) -> dict:
    assert r.status_code < 300, f"{r.request.method} {r.request.url.path}: {r.status_code} {r.text}"
    return r.json() if r.content else {}


def seed_emulator(spec: OrgSpec, api: httpx.Client) -> None:
    """Create the spec in an emulator reset to the `empty` seed (Home, the roles, the admin client)."""
    roles = {
        r["name"]: r["id"]
        for r in _ok(api.get("/api/v2/authorization/roles", params={"pageSize": 100}))["entities"]
    }
    div = {d["name"]: d["id"] for d in _ok(api.get("/api/v2/authorization/divisions"))["entities"]}
    for name in spec.divisions:
        div[name] = _ok(api.post("/api/v2/authorization/divisions", json={"name": name}))["id"]
    div[ALL_DIVISIONS] = ALL_DIVISIONS

    def body(rows: list[RoleAt]) -> dict:
        return {"grants": [{"roleId": roles[r], "divisionId": div[d]} for r, d in rows]}

    user = {}
    for email, u in spec.users.items():
        created = {"name": u.name, "email": email, "divisionId": div[u.division], "state": u.state}
        user[email] = _ok(api.post("/api/v2/users", json=created))["id"]
    for email, rows in spec.user_grants.items():
        url = f"/api/v2/authorization/subjects/{user[email]}/bulkadd"
        _ok(api.post(url, params={"subjectType": "PC_USER"}, json=body(rows)))
    group = {}
    for name, g in spec.groups.items():
        made = _ok(api.post("/api/v2/groups", json={"name": name, "type": "official", "rolesEnabled": True,
                                                   "visibility": "public"}))  # fmt: skip
        group[name] = made["id"]
        if g.grants:
            url = f"/api/v2/authorization/subjects/{made['id']}/bulkadd"
            _ok(api.post(url, params={"subjectType": "PC_GROUP"}, json=body(g.grants)))
        if g.members:
            version = _ok(api.get(f"/api/v2/groups/{made['id']}"))["version"]
            members = {"memberIds": [user[m] for m in g.members], "version": version}
            _ok(api.post(f"/api/v2/groups/{made['id']}/members", json=members))
    for name, q in spec.queues.items():
        made = _ok(
            api.post(
                "/api/v2/routing/queues",
                json={
                    "name": name,
                    "division": {"id": div[q.division]},
                    "memberGroups": [{"id": group[g], "type": "GROUP"} for g in q.groups],
                },
            )
        )
        if q.members:
            _ok(
                api.post(
                    f"/api/v2/routing/queues/{made['id']}/members", json=[{"id": user[m]} for m in q.members]
                )
            )
    for name, rows in spec.clients.items():
        if name == ADMIN_CLIENT_NAME:
            continue  # the emulator's own admin client: already there, with `*`
        client = {
            "name": name,
            "authorizedGrantType": "CLIENT-CREDENTIALS",
            "roleDivisions": [{"roleId": roles[r], "divisionId": div[d]} for r, d in rows],
        }
        _ok(api.post("/api/v2/oauth/clients", json=client))


async def read_org(emu) -> Snapshot:
    """The real snapshot reader over the real client, against the emulator."""
    from tenantry.genesys import Credentials, GenesysClient, resolve_target
    from tenantry.genesys.snapshot import read_snapshot

    client = GenesysClient(resolve_target(emu.base_url), [Credentials.of(emu.client_id, emu.client_secret)])
    try:
        return await read_snapshot(client)
    finally:
        await client.aclose()


def point_env_at(monkeypatch, emu) -> None:
    """What a user of `tenantry audit` sets: the conventional Genesys variables."""
    monkeypatch.setenv("GENESYSCLOUD_OAUTHCLIENT_ID", emu.client_id)
    monkeypatch.setenv("GENESYSCLOUD_OAUTHCLIENT_SECRET", emu.client_secret)
    monkeypatch.setenv("GENESYSCLOUD_API_REGION", emu.base_url)
    monkeypatch.delenv("GENESYSCLOUD_REGION", raising=False)
