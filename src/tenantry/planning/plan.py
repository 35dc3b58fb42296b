"""Desired state vs snapshot → a Plan: ordered phases of batches sized to the API's bulk limits.

Pure. Batches name objects by natural key (division, group, queue, client names; emails), so a
saved plan stays meaningful after objects were created, and its ids are resolved at apply time.

Phase order is the safety argument: everything that takes access away (revoke) runs before
people are created or moved (people), which runs before anything grants access (grant). A mover
therefore loses tenant A's groups, queues and grants before its user object moves to B's
division, and only then joins B's groups: at no moment does it hold both.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from tenantry.config.tenants import Config, GroupSpec, OAuthClientSpec, StaffSpec
from tenantry.domain.model import ALL_DIVISIONS, Grant, Role, Snapshot
from tenantry.errors import Problem
from tenantry.planning.desired import DesiredState, RoleGrant
from tenantry.planning.identity import anchor

PHASES = (
    "divisions",  # create tenant divisions
    "groups",  # create groups, enable roles
    "group-grants-revoke",
    "group-grants-add",
    "queues",  # create, move, bind member groups
    "oauth-clients",
    "sso",  # SAML identity providers for people's sign-in
    "identity",  # users anchored to their HR id: email changes, HR ids written on adopted users
    "revoke",  # memberships and grants removed, leavers deactivated
    "people",  # joiners created, movers moved, re-joiners reactivated, profiles updated
    "grant",  # memberships and grants added
    "delete",  # leavers past retention
)
GROUP_MEMBERS_PER_CALL = 50
QUEUE_MEMBERS_PER_CALL = 100
USERS_MOVED_PER_CALL = 50  # one batch, one call: genesys.api.divisions.MOVE_BATCH
FORMAT = 1


@dataclass(slots=True)
class Batch:
    phase: str
    op: str
    target: str
    items: list[Any] = field(default_factory=list)
    tenant: str | None = None
    id: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            raw = json.dumps([self.phase, self.op, self.target, self.items], sort_keys=True, default=list)
            self.id = hashlib.sha256(raw.encode()).hexdigest()[:20]

    @property
    def locks(self) -> list[str]:
        """Objects this batch changes: two batches sharing one never run at once."""
        kind = self.op.split(".", 1)[0]
        own = [f"{kind}:{self.target.lower()}"]
        if self.op in (
            "group.members.add",
            "group.members.remove",
            "queue.members.add",
            "queue.members.remove",
            "user.move",
        ):
            own += [f"user:{e}" for e in self.items]
        return own


@dataclass(slots=True)
class TenantSummary:
    joiners: int = 0
    movers_in: int = 0
    movers_out: int = 0
    leavers: int = 0
    rejoiners: int = 0
    grants_added: int = 0
    grants_revoked: int = 0
    memberships_added: int = 0
    memberships_removed: int = 0
    affected: set[str] = field(default_factory=set)
    saved_radius: int = 0  # a saved plan's blast radius (its `affected` set is not saved)

    def as_dict(self) -> dict[str, int]:
        d = {k: v for k, v in asdict(self).items() if k not in ("affected", "saved_radius")}
        d["blast_radius"] = len(self.affected) or self.saved_radius
        return d


@dataclass(slots=True)
class Plan:
    batches: list[Batch] = field(default_factory=list)
    tenants: dict[str, TenantSummary] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    fingerprint: str = ""
    managed_users: int = 0
    revoked_users: int = 0
    leavers_started: list[str] = field(default_factory=list)  # emails deactivated by this plan
    settings: dict[str, Any] = field(default_factory=dict)  # guard rails and journal, for `apply plan.json`
    notes: list[str] = field(default_factory=list)  # facts to show with the plan (SSO certificates)
    unmatched: list[str] = field(
        default_factory=list
    )  # active people of the feed in no tenant, holding nothing
    reasons: dict[str, str] = field(default_factory=dict)  # email -> why the plan changes it (for review)

    @property
    def changes(self) -> int:
        return len(self.batches)

    def revoke_share(self) -> float:
        return self.revoked_users / self.managed_users if self.managed_users else 0.0

    def phases(self) -> list[tuple[str, list[Batch]]]:
        by: dict[str, list[Batch]] = defaultdict(list)
        for b in self.batches:
            by[b.phase].append(b)
        return [(p, by[p]) for p in PHASES if by.get(p)]

    def to_json(self) -> dict:
        return {
            "format": FORMAT,
            "fingerprint": self.fingerprint,
            "summary": {
                "changes": self.changes,
                "managed_users": self.managed_users,
                "revoked_users": self.revoked_users,
                "tenants": {k: v.as_dict() for k, v in sorted(self.tenants.items())},
            },
            "warnings": self.warnings,
            "notes": self.notes,
            "unmatched": self.unmatched,
            "errors": [str(e) for e in self.errors],
            "leavers_started": self.leavers_started,
            "settings": self.settings,
            "reasons": self.reasons,
            "phases": [
                {
                    "name": name,
                    "batches": [
                        {"id": b.id, "op": b.op, "target": b.target, "items": b.items, "tenant": b.tenant}
                        for b in batches
                    ],
                }
                for name, batches in self.phases()
            ],
        }

    @classmethod
    def from_json(cls, data: dict) -> Plan:
        if data.get("format") != FORMAT:
            raise ValueError(f"plan format {data.get('format')!r} is not {FORMAT}")
        plan = cls(
            fingerprint=data["fingerprint"],
            warnings=list(data.get("warnings", [])),
            managed_users=data["summary"]["managed_users"],
            revoked_users=data["summary"]["revoked_users"],
            leavers_started=list(data.get("leavers_started", [])),
            settings=dict(data.get("settings", {})),
            notes=list(data.get("notes", [])),
            unmatched=list(data.get("unmatched", [])),
            reasons=dict(data.get("reasons", {})),
        )
        for phase in data["phases"]:
            for b in phase["batches"]:
                batch = Batch(phase["name"], b["op"], b["target"], b["items"], b.get("tenant"), b["id"])
                plan.batches.append(batch)
        for k, v in data["summary"]["tenants"].items():
            s = TenantSummary(
                **{f: v[f] for f in v if f != "blast_radius"}, saved_radius=v.get("blast_radius", 0)
            )
            plan.tenants[k] = s
        return plan


def fingerprint(snap: Snapshot) -> str:
    """Changes whenever anything a plan relies on changes in the org."""
    h = hashlib.sha256()

    def put(*parts: object) -> None:
        h.update("\x1f".join(map(str, parts)).encode())
        h.update(b"\x1e")

    for d in sorted(snap.divisions.values(), key=lambda d: d.id):
        put("d", d.id, d.name)
    for r in sorted(snap.roles.values(), key=lambda r: r.id):
        put("r", r.id, r.name)
    for u in sorted(snap.users.values(), key=lambda u: u.id):
        put("u", u.id, u.email, u.division_id, u.state, u.version, *sorted(snap.user_grants.get(u.id, ())))
    for g in sorted(snap.groups.values(), key=lambda g: g.id):
        put(
            "g",
            g.id,
            g.name,
            g.roles_enabled,
            g.version,
            *sorted(g.member_ids),
            *sorted(snap.group_grants.get(g.id, ())),
        )
    for q in sorted(snap.queues.values(), key=lambda q: q.id):
        put("q", q.id, q.name, q.division_id, *q.member_group_ids, *sorted(q.member_ids))
    for c in sorted(snap.oauth_clients.values(), key=lambda c: c.id):
        put("c", c.id, c.name, *sorted(c.role_divisions))
    return h.hexdigest()


def admin_role_problem(config: Config, path: str, index: int, role: Role) -> Problem:
    """A tenant entry naming an admin-level role (domain/permissions.py, shared with audit rule R07)."""
    perms = role.admin_permissions
    shown = ", ".join(perms[:3]) + (f" and {len(perms) - 3} more" if len(perms) > 3 else "")
    return config.problem(
        f"{path}.roles.{index}",
        f"role {role.name!r} carries admin-level permissions ({shown}) and would let the tenant widen "
        f"anyone's access; use another role, or set allow_admin_role: true on this entry",
    )


def _chunks(items: list[str], size: int) -> list[list[str]]:
    items = sorted(items)
    return [items[i : i + size] for i in range(0, len(items), size)]


class _Builder:
    """Collects the changes of one diff; emits batches in phase order at the end."""

    def __init__(self, config: Config, desired: DesiredState, snap: Snapshot) -> None:
        self.config, self.desired, self.snap = config, desired, snap
        self.plan = Plan()
        self.div_name = {d.id: d.name for d in snap.divisions.values()}
        self.div_name[ALL_DIVISIONS] = ALL_DIVISIONS
        self.role_name = {r.id: r.name for r in snap.roles.values()}
        self.users = snap.user_by_email()
        self.email_of = {u.id: u.email.lower() for u in snap.users.values()}
        self.identity: dict[str, tuple[str, dict[str, Any]]] = {}  # email -> (org's email, patch)
        anchor(self, desired)
        self.tenant_div = {name.lower(): key for name, key in desired.divisions.items()}
        protected = {p.lower() for p in config.org.protected}
        if snap.self_client_id:
            protected.add(snap.self_client_id.lower())
        self.protected = protected
        self.batches: dict[str, list[Batch]] = defaultdict(list)
        self.group_removals: dict[str, set[str]] = defaultdict(set)
        self.group_adds: dict[str, set[str]] = defaultdict(set)
        self.queue_removals: dict[str, set[str]] = defaultdict(set)
        self.grant_removals: dict[str, set[RoleGrant]] = defaultdict(set)
        self.grant_adds: dict[str, set[RoleGrant]] = defaultdict(set)
        self.moves: dict[str, set[str]] = defaultdict(set)
        self.movers: set[str] = set()
        self.tenant_of_group = {g.name: g.tenant for g in desired.groups.values()}
        self.tenant_of_queue = {q.name: q.tenant for q in desired.queues.values()}
        # queues the config does not name belong to the tenant of their division
        for q in snap.queues.values():
            self.tenant_of_queue.setdefault(q.name, self.tenant_of_division_id(q.division_id))
        self.org_spelling = (
            {r.name.lower(): r.name for r in snap.roles.values()},
            {d.name.lower(): d.name for d in snap.divisions.values()},
        )

    def emit_identity(self, email: str, tenant: str | None) -> None:
        if email in self.identity:
            org_email, patch = self.identity[email]
            self.add("identity", "user.update", org_email, [patch], tenant)

    # ---- helpers ----------------------------------------------------------------------
    def add(
        self, phase: str, op: str, target: str, items: list | None = None, tenant: str | None = None
    ) -> None:
        self.batches[phase].append(Batch(phase, op, target, items or [], tenant))

    def tenant(self, key: str | None) -> TenantSummary | None:
        if key is None:
            return None
        return self.plan.tenants.setdefault(key, TenantSummary())

    def tenant_of_division_id(self, division_id: str) -> str | None:
        return self.tenant_div.get(self.div_name.get(division_id, "").lower())

    def names(self, grants: frozenset[Grant] | set[Grant]) -> set[RoleGrant]:
        return {
            (self.role_name.get(g.role_id, g.role_id), self.div_name.get(g.division_id, g.division_id))
            for g in grants
        }

    def is_protected(self, *keys: str) -> bool:
        return any(k and k.lower() in self.protected for k in keys)

    # ---- validation -------------------------------------------------------------------
    def check_roles(self) -> None:
        roles = self.snap.role_by_name()
        for key, t in self.config.tenants.items():
            where: list[tuple[str, GroupSpec | OAuthClientSpec | StaffSpec]] = [
                (f"groups.{gkey}", g) for gkey, g in t.groups.items()
            ]
            where += [(f"oauth_clients.{i}", c) for i, c in enumerate(t.oauth_clients)]
            where += [(f"staff.{i}", s) for i, s in enumerate(t.staff)]
            for path, spec in where:
                for i, r in enumerate(spec.roles):
                    role = roles.get(r.lower())
                    if role is None:
                        self.plan.errors.append(
                            self.config.problem(
                                f"tenants.{key}.{path}.roles.{i}", f"role {r!r} does not exist in the org"
                            )
                        )
                    elif role.admin_permissions and not spec.allow_admin_role:
                        self.plan.errors.append(
                            admin_role_problem(self.config, f"tenants.{key}.{path}", i, role)
                        )
            for si, s in enumerate(t.staff):
                if s.email not in self.users and s.email not in self.desired.users:
                    self.plan.errors.append(
                        self.config.problem(
                            f"tenants.{key}.staff.{si}.email",
                            f"{s.email} is neither a user of the org nor in the people feed",
                        )
                    )

    def canonical(self, grants: frozenset[RoleGrant] | set[RoleGrant]) -> set[RoleGrant]:
        """Role and division names as the org spells them, so comparison is exact."""
        roles, divs = self.org_spelling
        return {(roles.get(r.lower(), r), divs.get(d.lower(), d)) for r, d in grants}

    # ---- structure ----------------------------------------------------------------------
    def divisions(self) -> None:
        have = {n.lower() for n in self.div_name.values()}
        for name, key in sorted(self.desired.divisions.items()):
            if name.lower() not in have:
                self.add("divisions", "division.create", name, [], key)

    def groups(self) -> None:
        by_name = {g.name: g for g in self.snap.groups.values()}
        for name, want in sorted(self.desired.groups.items()):
            g = by_name.get(name)
            if g is not None and self.is_protected(g.id, g.name):
                self.plan.warnings.append(f"group {name!r} is protected; left unchanged")
                continue
            ts = self.tenant(want.tenant)
            if g is None:
                self.add("groups", "group.create", name, [{"description": want.description}], want.tenant)
                have_grants: set[RoleGrant] = set()
                have_members: set[str] = set()
            else:
                if not g.roles_enabled:
                    self.add("groups", "group.update", name, [{"rolesEnabled": True}], want.tenant)
                have_grants = self.names(self.snap.group_grants.get(g.id, frozenset()))
                have_members = {self.email_of[m] for m in g.member_ids if m in self.email_of}
            wanted = self.canonical(want.grants)
            gone, new = sorted(have_grants - wanted), sorted(wanted - have_grants)
            if gone:
                self.add(
                    "group-grants-revoke", "group.grants.remove", name, [list(x) for x in gone], want.tenant
                )
            if new:
                self.add("group-grants-add", "group.grants.add", name, [list(x) for x in new], want.tenant)
            if ts is not None and (gone or new):
                ts.grants_added += len(new) * len(want.members)
                ts.grants_revoked += len(gone) * len(have_members)
                ts.affected.update(have_members | want.members)
            for e in have_members - want.members:
                self.group_removals[name].add(e)
            for e in want.members - have_members:
                self.group_adds[name].add(e)

    def queues(self) -> None:
        by_name = {q.name: q for q in self.snap.queues.values()}
        group_name = {g.id: g.name for g in self.snap.groups.values()}
        divs = {d.name.lower(): d for d in self.snap.divisions.values()}
        for name, want in sorted(self.desired.queues.items()):
            q = by_name.get(name)
            if q is None:
                self.add(
                    "queues",
                    "queue.create",
                    name,
                    [
                        {
                            "division": want.division,
                            "groups": list(want.groups),
                            "description": want.description,
                        }
                    ],
                    want.tenant,
                )
                continue
            d = divs.get(want.division.lower())
            if d is None or q.division_id != d.id:
                self.add("queues", "queue.move", want.division, [name], want.tenant)
            have = tuple(sorted(group_name.get(g, g) for g in q.member_group_ids))
            if have != tuple(sorted(want.groups)):
                self.add("queues", "queue.update", name, [{"groups": sorted(want.groups)}], want.tenant)
            for uid in q.member_ids:  # tenant queues take members through groups only
                if uid in self.email_of:
                    self.queue_removals[name].add(self.email_of[uid])

    def clients(self) -> None:
        by_name = {c.name: c for c in self.snap.oauth_clients.values()}
        for name, want in sorted(self.desired.clients.items()):
            c = by_name.get(name)
            payload = {
                "grants": sorted(list(x) for x in self.canonical(want.grants)),
                "ttl": want.ttl,
                "description": want.description,
            }
            if c is None:
                self.add("oauth-clients", "client.create", name, [payload], want.tenant)
            elif self.is_protected(c.id, c.name):
                self.plan.warnings.append(f"OAuth client {name!r} is protected; left unchanged")
            elif self.names(c.role_divisions) != self.canonical(want.grants):
                self.add("oauth-clients", "client.update", name, [payload], want.tenant)

    def sso(self) -> None:
        for kind, spec in sorted(self.config.org.sso.items()):
            want = spec.wire()  # the certificate was read and checked by the config loader
            if spec.cert is not None:
                self.plan.notes.append(f"SSO {kind} certificate: {spec.cert.describe()}")
                if spec.cert.expires_soon:
                    self.plan.warnings.append(
                        f"the SSO {kind} certificate expires in {spec.cert.days_left} days "
                        f"({spec.cert.not_after:%Y-%m-%d}); get the IdP's next certificate into "
                        f"{spec.certificate_file}"
                    )
            have = self.snap.identity_providers.get(kind, {})
            if any(have.get(k) != v for k, v in want.items()):
                self.add("sso", "sso.put", kind, [want])

    # ---- people -------------------------------------------------------------------------
    def people(self, leaver_since: dict[str, float], now: float) -> None:
        d = self.desired
        divs = {n.lower(): i for i, n in self.div_name.items()}
        direct_queues: dict[str, list[str]] = defaultdict(list)
        for q in self.snap.queues.values():
            for uid in q.member_ids:
                direct_queues[uid].append(q.name)
        groups_of = self.snap.groups_of_user()
        group_name = {g.id: g.name for g in self.snap.groups.values()}
        managed_ids: set[str] = set()

        for email, want in sorted(d.users.items()):
            u = self.users.get(email)
            if self.is_protected(email) or (u is not None and self.is_protected(u.id)):
                self.plan.warnings.append(f"user {email} is protected; left unchanged")
                self._forget(email)
                continue
            ts = self.tenant(want.tenant)
            if u is None:
                self.add(
                    "people",
                    "user.create",
                    email,
                    [
                        {
                            "name": want.name,
                            "division": want.division,
                            "title": want.title,
                            "department": want.department,
                            "hr_id": want.hr_id,
                        }
                    ],
                    want.tenant,
                )
                if ts:
                    ts.joiners += 1
                    ts.affected.add(email)
            else:
                managed_ids.add(u.id)
                self.emit_identity(email, want.tenant)
                patch: dict[str, str] = {}
                if u.state != "active":
                    patch["state"] = "active"
                    if ts:
                        ts.rejoiners += 1
                        ts.affected.add(email)
                for f in ("name", "title", "department"):
                    if getattr(want, f) and getattr(want, f) != getattr(u, f):
                        patch[f] = getattr(want, f)
                if patch:
                    self.add("people", "user.update", email, [patch], want.tenant)
                if divs.get(want.division.lower()) != u.division_id:
                    self.moves[want.division].add(email)
                    self.movers.add(email)
                    old = self.tenant(self.tenant_of_division_id(u.division_id))
                    if old is not None:
                        old.movers_out += 1
                        old.affected.add(email)
                    if ts:
                        ts.movers_in += 1
                        ts.affected.add(email)
                have = self.names(self.snap.managed_user_grants(u.id))
                if want.tenant is None:  # BPO staff: only their grants in tenant divisions are ours
                    have = {g for g in have if g[1].lower() in self.tenant_div}
                wanted = self.canonical(d.staff_grants.get(email, frozenset()))
                self.grant_removals[email] |= have - wanted
                self.grant_adds[email] |= wanted - have
                for qname in direct_queues.get(u.id, ()):
                    q_tenant = self.tenant_of_queue.get(qname)
                    if q_tenant is not None and q_tenant != want.tenant:
                        self.queue_removals[qname].add(email)
            if u is None:
                wanted = self.canonical(d.staff_grants.get(email, frozenset()))
                self.grant_adds[email] |= wanted

        # BPO staff outside the feed: only their grants in tenant divisions are ours to manage
        for email, grants in sorted(d.staff_grants.items()):
            if email in d.users or self.is_protected(email):
                continue
            u = self.users.get(email)
            if u is None:
                continue  # reported by check_roles
            have = {
                g for g in self.names(self.snap.managed_user_grants(u.id)) if g[1].lower() in self.tenant_div
            }
            wanted = self.canonical(grants)
            self.grant_removals[email] |= have - wanted
            self.grant_adds[email] |= wanted - have

        # leavers: deactivated, and every grant, group and queue taken away at once
        retention = self.config.org.leaver_retention_days * 86_400
        for email in sorted(d.leavers):
            u = self.users.get(email)
            if u is None or email in d.users:
                continue
            if self.is_protected(email, u.id):
                self.plan.warnings.append(f"leaver {email} is protected; left unchanged")
                continue
            self.emit_identity(email, self.tenant_of_division_id(u.division_id))
            key = self.tenant_of_division_id(u.division_id)
            ts = self.tenant(key)
            if u.state == "active":
                self.add("revoke", "user.deactivate", email, [], key)
                self.plan.leavers_started.append(email)
                if ts:
                    ts.leavers += 1
                    ts.affected.add(email)
            elif email in leaver_since and now - leaver_since[email] >= retention:
                self.add("delete", "user.delete", email, [], key)
            self.grant_removals[email] |= self.names(self.snap.managed_user_grants(u.id))
            for gid in groups_of.get(u.id, ()):
                self.group_removals[group_name[gid]].add(email)
            self._forget_adds(email)
            for qname in direct_queues.get(u.id, ()):
                self.queue_removals[qname].add(email)

        # people of the feed who match no tenant: their tenant access is reported and revoked
        for email in sorted(d.unassigned):
            u = self.users.get(email)
            if u is None:
                self.plan.unmatched.append(email)
                continue
            if self.is_protected(email, u.id):
                continue
            held = {
                g for g in self.names(self.snap.managed_user_grants(u.id)) if g[1].lower() in self.tenant_div
            }
            queues = [qn for qn in direct_queues.get(u.id, ()) if self.tenant_of_queue.get(qn) is not None]
            groups = [group_name[g] for g in groups_of.get(u.id, ()) if group_name[g] in d.groups]
            if not (held or queues or groups):
                self.plan.unmatched.append(email)
            else:
                self.plan.warnings.append(
                    f"{email} matches no tenant but holds tenant access "
                    f"({len(held)} grants, {len(groups)} groups, {len(queues)} queues); revoking it"
                )
                self.grant_removals[email] |= held
                for qn in queues:
                    self.queue_removals[qn].add(email)

        # users in tenant divisions that the feed does not name: reported, not touched
        for u in self.snap.users.values():
            if u.state == "active" and self.email_of[u.id] not in d.feed:
                t = self.tenant_of_division_id(u.division_id)
                if t is not None:
                    self.plan.warnings.append(f"{u.email} is in tenant {t}'s division but not in the feed")

        # the base of the mass-revoke share: every existing user this plan could take access from
        in_groups = {m for g in self.snap.groups.values() if g.name in d.groups for m in g.member_ids}
        in_tenants = {u.id for u in self.snap.users.values() if self.tenant_of_division_id(u.division_id)}
        in_feed = {u.id for e in d.feed if (u := self.users.get(e))}
        self.plan.managed_users = len(managed_ids | in_groups | in_tenants | in_feed)

    def _forget(self, email: str) -> None:
        """A protected person: no membership change of any kind."""
        self._forget_adds(email)
        for members in self.group_removals.values():
            members.discard(email)

    def _forget_adds(self, email: str) -> None:
        for members in self.group_adds.values():
            members.discard(email)

    # ---- emit ---------------------------------------------------------------------------
    def emit(self) -> None:
        revoked: set[str] = set()
        for name, emails in sorted(self.group_removals.items()):
            t = self.tenant_of_group.get(name)
            for chunk in _chunks(list(emails), GROUP_MEMBERS_PER_CALL):
                self.add("revoke", "group.members.remove", name, chunk, t)
            revoked |= emails
            if (ts := self.tenant(t)) is not None:
                ts.memberships_removed += len(emails)
                ts.affected |= emails
        for name, emails in sorted(self.queue_removals.items()):
            t = self.tenant_of_queue.get(name)
            for chunk in _chunks(list(emails), QUEUE_MEMBERS_PER_CALL):
                self.add("revoke", "queue.members.remove", name, chunk, t)
            revoked |= emails
            if (ts := self.tenant(t)) is not None:
                ts.memberships_removed += len(emails)
        for email, grants in sorted(self.grant_removals.items()):
            if grants:
                self.add("revoke", "user.grants.remove", email, sorted(list(g) for g in grants))
                revoked.add(email)
                for _, div in grants:
                    if (ts := self.tenant(self.tenant_div.get(div.lower()))) is not None:
                        ts.grants_revoked += 1
                        ts.affected.add(email)
        for division, emails in sorted(self.moves.items()):
            for chunk in _chunks(list(emails), USERS_MOVED_PER_CALL):
                self.add("people", "user.move", division, chunk, self.desired.divisions.get(division))
        for name, emails in sorted(self.group_adds.items()):
            t = self.tenant_of_group.get(name)
            for chunk in _chunks(list(emails), GROUP_MEMBERS_PER_CALL):
                self.add("grant", "group.members.add", name, chunk, t)
            if (ts := self.tenant(t)) is not None:
                ts.memberships_added += len(emails)
        for email, grants in sorted(self.grant_adds.items()):
            if grants:
                self.add("grant", "user.grants.add", email, sorted(list(g) for g in grants))
                for _, div in grants:
                    if (ts := self.tenant(self.tenant_div.get(div.lower()))) is not None:
                        ts.grants_added += 1
                        ts.affected.add(email)
        self.plan.revoked_users = len(revoked - self.movers)
        for phase in PHASES:
            self.plan.batches.extend(self.batches.get(phase, ()))


def diff(
    config: Config,
    desired: DesiredState,
    snap: Snapshot,
    *,
    leaver_since: dict[str, float] | None = None,
    now: float = 0.0,
) -> Plan:
    """The changes that take the org from `snap` to `desired`, safely ordered and batched."""
    b = _Builder(config, desired, snap)
    b.plan.errors.extend(desired.errors)
    b.check_roles()
    if snap.inactive_unread:
        b.plan.warnings.append(
            f"{snap.inactive_unread} inactive users could not be read (the platform's paging cap); "
            "leavers among them are not seen"
        )
    b.divisions()
    b.groups()
    b.queues()
    b.clients()
    b.sso()
    b.people(leaver_since or {}, now)
    b.emit()
    b.plan.fingerprint = fingerprint(snap)
    b.plan.settings = {
        "org_admins": sorted(a.lower() for a in config.org.org_admins),
        "protected": sorted(b.protected),
        "journal": config.org.journal,
        "mass_revoke_threshold": config.org.mass_revoke_threshold,
        "secrets_dir": str(config.secrets_dir),
    }
    for key in config.tenants:
        b.tenant(key)
    return b.plan
