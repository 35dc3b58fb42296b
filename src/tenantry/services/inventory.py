"""What the org holds per tenant (`tenantry tenants`); a draft tenants.yaml from an org (`import`).

Pure over a Snapshot, except `last_applied`, which reads the journal. Most users adopt tenantry
on an org they already run: the draft maps divisions to tenants, role-enabled groups and their
roles, queues and their member groups, OAuth clients and staff grants, and marks with `DECIDE`
every line a person must settle (membership rules above all: the org does not know them).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import asdict, dataclass

from sqlalchemy import func, select

from tenantry.config.tenants import Config
from tenantry.domain.model import ALL_DIVISIONS, Snapshot
from tenantry.domain.tenancy import resolve
from tenantry.execution.journal import Journal, batches


@dataclass
class TenantRow:
    tenant: str
    division: str
    division_exists: bool
    groups: int
    queues: int
    clients: int
    people: int
    inactive: int
    last_apply: float | None = None

    def to_json(self) -> dict:
        return asdict(self)


def tenant_rows(snap: Snapshot, config: Config | None) -> list[TenantRow]:
    """One row per tenant: its division and how many groups, queues, clients and people it has."""
    tenancy = resolve(snap, config)
    groups = Counter(tenancy.of_group.values())
    queues = Counter(tenancy.of_queue.values())
    clients = Counter(tenancy.of_client.values())
    active: Counter[str] = Counter()
    inactive: Counter[str] = Counter()
    for u in snap.users.values():
        key = tenancy.of_division.get(u.division_id)
        if key is not None:
            (active if u.state == "active" else inactive)[key] += 1
    return [
        TenantRow(
            key,
            t.name,
            t.division_id is not None,
            groups[key],
            queues[key],
            clients[key],
            active[key],
            inactive[key],
        )
        for key, t in sorted(tenancy.tenants.items())
    ]


def last_applied(journal: Journal, tenants: list[str]) -> dict[str, float]:
    """When a batch of each tenant last finished, by the journal."""
    q = (
        select(batches.c.tenant, func.max(batches.c.finished_at))
        .where(batches.c.status == "done", batches.c.tenant.in_(tenants))
        .group_by(batches.c.tenant)
    )
    with journal.engine.connect() as c:
        return {t: at for t, at in c.execute(q) if at is not None}


# ---- import -----------------------------------------------------------------------------------
def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "tenant"


def q(text: str) -> str:
    """A YAML scalar that is always read back as this exact string (JSON strings are YAML)."""
    return json.dumps(text, ensure_ascii=False)


def _roles(names: list[str]) -> str:
    return "[" + ", ".join(q(n) for n in sorted(set(names))) + "]"


class _Draft:
    def __init__(self, snap: Snapshot) -> None:
        self.snap = snap
        self.role = {r.id: r.name for r in snap.roles.values()}
        self.div = {d.id: d.name for d in snap.divisions.values()}
        self.lines: list[str] = []

    def put(self, indent: int, text: str) -> None:
        self.lines.append("  " * indent + text)

    def grants_by_division(self, grants) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for g in grants:
            out.setdefault(g.division_id, []).append(self.role.get(g.role_id, g.role_id))
        return out

    def tenant(self, did: str, home: str) -> None:
        s, name = self.snap, self.div[did]
        people = [u for u in s.users.values() if u.division_id == did and u.state == "active"]
        self.put(1, f"{slug(name)}:")
        self.put(2, f"division: {q(name)}")
        self.put(
            2,
            f"# DECIDE: which feed rows belong here? {len(people)} active users are in this division today.",
        )
        self.put(2, "members:")
        self.put(3, f"- client: {q(slug(name).upper())}  # DECIDE: a feed column and value (or idp_group)")
        keys = self.groups(did, name)
        self.queues(did, keys)
        self.clients(did)
        self.staff(did, home)

    def groups(self, did: str, division: str) -> dict[str, str]:
        """Writes the tenant's groups; returns group id -> its key in the draft."""
        keys: dict[str, str] = {}
        self.put(2, "groups:")
        for g in sorted(self.snap.groups.values(), key=lambda g: g.name):
            by_div = self.grants_by_division(self.snap.group_grants.get(g.id, ()))
            if did not in by_div or not g.roles_enabled:
                continue
            key = g.name[len(division) + 1 :] if g.name.startswith(division + " ") else slug(g.name)
            keys[g.id] = key
            self.put(3, f"{q(key)}:")
            if key != g.name[len(division) + 1 :]:
                self.put(4, f"name: {q(g.name)}")
            self.put(4, f"roles: {_roles(by_div[did])}")
            self.put(
                4, f"members: all  # DECIDE: all of the tenant, or rules; {len(g.member_ids)} members today"
            )
            others = sorted(self.div.get(d, d) for d in by_div if d != did)
            if others:
                self.put(
                    4,
                    f"# DECIDE: it also holds roles in {', '.join(others)}; tenantry grants here only",
                )
        if not keys:
            self.put(3, "# DECIDE: no role-enabled group holds roles in this division; a tenant needs one")
            self.put(3, 'Agents: {roles: ["CHANGE-ME"]}')
        return keys

    def queues(self, did: str, keys: dict[str, str]) -> None:
        qs = sorted((x for x in self.snap.queues.values() if x.division_id == did), key=lambda x: x.name)
        if not qs:
            return
        self.put(2, "queues:")
        for x in qs:
            bound = [keys[g] for g in x.member_group_ids if g in keys]
            self.put(3, f"- name: {q(x.name)}")
            self.put(4, f"groups: [{', '.join(q(k) for k in bound)}]")
            if len(bound) < len(x.member_group_ids):
                self.put(4, "# DECIDE: member groups of other tenants or without roles here were left out")
            if x.member_ids:
                self.put(
                    4, f"# DECIDE: {len(x.member_ids)} direct members; tenantry removes them (groups only)"
                )

    def clients(self, did: str) -> None:
        mine = []
        for c in sorted(self.snap.oauth_clients.values(), key=lambda c: c.name):
            by_div = self.grants_by_division(c.role_divisions)
            if did in by_div and c.id != self.snap.self_client_id and ALL_DIVISIONS not in by_div:
                mine.append((c, by_div))
        if not mine:
            return
        self.put(2, "oauth_clients:")
        for c, by_div in mine:
            self.put(3, f"- name: {q(c.name)}")
            self.put(4, f"roles: {_roles(by_div[did])}")
            if len(by_div) > 1:
                self.put(4, "# DECIDE: this client reaches other divisions too; a tenant client must not")

    def staff(self, did: str, home: str) -> None:
        entries = []
        for uid, grants in sorted(self.snap.user_grants.items()):
            u = self.snap.users.get(uid)
            by_div = self.grants_by_division(grants)
            if u is not None and did in by_div and u.division_id != did:
                entries.append((u.email, by_div[did]))
        if entries:
            self.put(
                2, "staff:  # DECIDE: people homed elsewhere with direct grants here; keep only BPO staff"
            )
            for email, roles in entries:
                self.put(3, f"- {{email: {q(email)}, roles: {_roles(roles)}}}")


def draft_yaml(snap: Snapshot, source: str) -> str:
    """A tenants.yaml draft for the org in `snap`; every `DECIDE` comment needs a person."""
    d = _Draft(snap)
    home = snap.home_division_id
    admins = sorted(
        {
            c.name
            for c in snap.oauth_clients.values()
            if any(g.division_id == ALL_DIVISIONS for g in c.role_divisions)
        }
        | {
            snap.users[u].email
            for u, gs in snap.user_grants.items()
            if u in snap.users and any(g.division_id == ALL_DIVISIONS for g in gs)
        }
    )
    d.put(0, f"# Draft tenants.yaml written by `tenantry import` from {source}.")
    d.put(0, "# Review every line marked DECIDE, then run `tenantry validate` and `tenantry plan`.")
    d.put(0, "org:")
    d.put(1, f"home_division: {q(d.div.get(home, 'Home'))}")
    d.put(
        1,
        f"org_admins: [{', '.join(q(a) for a in admins)}]  # DECIDE: who may hold grants on all divisions",
    )
    d.put(0, "tenants:")
    for did in sorted((i for i in d.div if i != home), key=lambda i: d.div[i]):
        d.tenant(did, home)
    return "\n".join(d.lines) + "\n"
