"""The isolation audit: every subject's effective access, and every way one tenant can reach another.

Pure functions over a Snapshot (and tenants.yaml when given): no I/O, so the same audit runs on
a live org, on the emulator and on a snapshot built by hand in a test.

One fact, one finding. A fact is a grant, a group or queue membership, or where an object lives.
Rules run worst first and each fact is reported by the first rule it breaks only: a `*` grant is
not also "drift", an OAuth client reaching two tenants is not also two cross-tenant grants, and a
group's cross-tenant grant is reported once on the group, not once per member. Inactive users are
judged by rule 9 alone (they cannot sign in; what they still hold is the risk), and org admins
(see tenancy.py) by none but rule 9.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from tenantry.config.tenants import Config
from tenantry.domain.model import ALL_DIVISIONS, DEFAULT_ROLE_NAMES, Grant, Role, Snapshot
from tenantry.domain.tenancy import Tenancy, resolve

SEVERITIES = ("critical", "high", "medium", "low")
RANK = {s: i for i, s in enumerate(SEVERITIES)}
VIEW_ACTIONS = frozenset({"view", "*"})
CHANGE_ACTIONS = frozenset({"add", "edit", "delete", "manage", "*"})
NO_TENANT = "(no tenant)"
# Granted by the platform in a new user's home division: the roles flagged `default`, and by name
# for snapshots that do not carry the flag.
DEFAULT_ROLES = DEFAULT_ROLE_NAMES
PLATFORM_DEFAULT = "platform default"  # the access path of the default role every user is given


@dataclass(frozen=True, slots=True)
class RuleInfo:
    id: str
    name: str
    severity: str
    title: str
    why: str
    needs_config: bool = False


RULES: dict[str, RuleInfo] = {
    r.id: r
    for r in (
        RuleInfo(
            "R01",
            "all-divisions-grant",
            "critical",
            "A `*` (all divisions) grant outside the org admins",
            "`*` covers every division, present and future: this subject reaches every tenant's data.",
        ),
        RuleInfo(
            "R02",
            "cross-tenant-direct-grant",
            "critical",
            "A tenant's subject holds a grant in another tenant's division",
            "The role's permissions apply to the other tenant's objects: one client sees another's data.",
        ),
        RuleInfo(
            "R03",
            "cross-tenant-group-grant",
            "critical",
            "A tenant's user reaches another tenant's division through a group",
            "Group members inherit the group's grants, so the membership opens another tenant's division.",
        ),
        RuleInfo(
            "R04",
            "oauth-client-multi-tenant",
            "critical",
            "An OAuth client whose roleDivisions reach more than one tenant or `*`",
            "Whoever holds the client's secret reads several tenants' data with one token.",
        ),
        RuleInfo(
            "R05",
            "queue-foreign-member",
            "high",
            "A tenant's queue has a member of another tenant",
            "A foreign agent answers, and sees, this tenant's conversations.",
        ),
        RuleInfo(
            "R06",
            "home-division-mismatch",
            "high",
            "A tenant's user whose home division is not the tenant's division",
            "Whoever administers the user's division can change this person; the tenant's own admins cannot.",
            needs_config=True,
        ),
        RuleInfo(
            "R07",
            "admin-role",
            "high",
            "A tenant's subject holds a role with admin-level permissions",
            "Grant, user, OAuth client or SSO administration lets its holder widen anyone's access.",
        ),
        RuleInfo(
            "R08",
            "unassigned-user-grant",
            "high",
            "A user of no tenant holds grants in a tenant's division",
            "Nobody answers for this person's access to the tenant; it is outside every membership rule.",
        ),
        RuleInfo(
            "R09",
            "inactive-user-access",
            "medium",
            "An inactive user still holds grants or queue membership",
            "A reactivation would silently restore access the person should no longer have.",
        ),
        RuleInfo(
            "R10",
            "tenant-object-outside-tenant",
            "medium",
            "A tenant's queue, group or OAuth client lives or holds grants outside its tenant's division",
            "Objects outside the tenant's division are governed by whoever administers that division.",
        ),
        RuleInfo(
            "R11",
            "drift",
            "low",
            "A grant or membership that tenants.yaml does not explain",
            "Access nobody declared is access nobody reviews; the next apply would remove or repeat it.",
            needs_config=True,
        ),
    )
}


class Ref(NamedTuple):
    type: str  # user | group | queue | oauth_client | role | division
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    severity: str
    subject: Ref
    tenant: str | None  # the subject's tenant key
    division: Ref | None  # where the reach lands (None: several, see `why`)
    path: str  # direct | via group <name> | via OAuth client roleDivisions | direct member | home division …
    why: str
    fix: str
    role: Ref | None = None
    via: Ref | None = None  # the group of a `via group` path
    member: Ref | None = None  # a queue finding's member: a user or a member group

    @property
    def rule_info(self) -> RuleInfo:
        return RULES[self.rule]


class AccessRow(NamedTuple):
    """One (role, division) a subject holds, and how. A NamedTuple: 250,000 of them must be cheap."""

    subject_type: str  # user | group | oauth_client
    subject_id: str
    subject_name: str  # a user's email (its natural key), a group's or client's name
    tenant: str | None  # the subject's tenant
    role_id: str
    role_name: str
    division_id: str  # or "*"
    division_name: str
    division_tenant: str | None  # the tenant whose division this is
    path: str  # direct | via group <name> | via OAuth client roleDivisions
    via_id: str | None  # the group's id on a group path
    view: bool
    change: bool


@dataclass(slots=True)
class AuditResult:
    findings: list[Finding]
    access: list[AccessRow]
    tenancy: Tenancy
    snapshot: Snapshot
    skipped: dict[str, str] = field(default_factory=dict)  # rule id -> why it did not run

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(SEVERITIES, 0)
        for f in self.findings:
            out[f.severity] += 1
        return out

    def at_or_above(self, severity: str) -> list[Finding]:
        limit = RANK[severity]
        return [f for f in self.findings if RANK[f.severity] <= limit]


# ---- effective access ---------------------------------------------------------------------------
def capabilities(role: Role | None) -> tuple[bool, bool]:
    """(view, change): does any policy of the role read, or write, something in its division."""
    if role is None:
        return False, False
    actions = {a for p in role.policies for a in p.actions}
    return bool(actions & VIEW_ACTIONS), bool(actions & CHANGE_ACTIONS)


def effective_access(snapshot: Snapshot, tenants: Tenancy) -> list[AccessRow]:
    """Every (subject, role, division, path). Linear in grants × memberships: groups are walked once."""
    caps = {rid: capabilities(r) for rid, r in snapshot.roles.items()}
    role_name = {rid: r.name for rid, r in snapshot.roles.items()}
    div_name = {d.id: d.name for d in snapshot.divisions.values()}
    div_name[ALL_DIVISIONS] = ALL_DIVISIONS
    of_div = tenants.of_division
    of_user = tenants.of_user
    users = snapshot.users
    rows: list[AccessRow] = []
    add = rows.append

    def expand(grants: Iterable[Grant]) -> list[tuple[str, str, str, str, str | None, bool, bool]]:
        out = []
        for role_id, div in grants:
            view, change = caps.get(role_id, (False, False))
            out.append(
                (
                    role_id,
                    role_name.get(role_id, role_id),
                    div,
                    div_name.get(div, div),
                    of_div.get(div),
                    view,
                    change,
                )
            )
        return out

    for uid, grants in snapshot.user_grants.items():
        if uid in snapshot.oauth_clients:
            continue  # a client's subject grants are its roleDivisions, listed below
        u = users.get(uid)
        name, tenant = (u.email, of_user.get(uid)) if u else (uid, None)
        for r, rn, d, dn, dt, v, c in expand(grants):
            path = PLATFORM_DEFAULT if snapshot.is_platform_default(Grant(r, d)) else "direct"
            add(AccessRow("user", uid, name, tenant, r, rn, d, dn, dt, path, None, v, c))
    for gid, g in snapshot.groups.items():
        grants = expand(snapshot.group_grants.get(gid, ()))
        if not grants:
            continue
        gt = tenants.of_group.get(gid)
        for r, rn, d, dn, dt, v, c in grants:
            add(AccessRow("group", gid, g.name, gt, r, rn, d, dn, dt, "direct", None, v, c))
        path = f"via group {g.name}"
        for uid in g.member_ids:
            u = users.get(uid)
            name, tenant = (u.email, of_user.get(uid)) if u else (uid, None)
            for r, rn, d, dn, dt, v, c in grants:
                add(AccessRow("user", uid, name, tenant, r, rn, d, dn, dt, path, gid, v, c))
    oauth_path = "via OAuth client roleDivisions"
    for cid, cl in snapshot.oauth_clients.items():
        ct = tenants.of_client.get(cid)
        for r, rn, d, dn, dt, v, c in expand(sorted(cl.role_divisions)):
            add(AccessRow("oauth_client", cid, cl.name, ct, r, rn, d, dn, dt, oauth_path, None, v, c))
    return rows


def reach(rows: Iterable[AccessRow]) -> dict[tuple[str, str], tuple[set[str], set[str]]]:
    """(subject type, id) -> (divisions it can view, divisions it can change); `*` stays `*`."""
    out: dict[tuple[str, str], tuple[set[str], set[str]]] = {}
    for row in rows:
        view, change = out.setdefault((row.subject_type, row.subject_id), (set(), set()))
        if row.view:
            view.add(row.division_id)
        if row.change:
            change.add(row.division_id)
    return out


@dataclass(frozen=True, slots=True)
class Cell:
    view: int  # distinct subjects of the row's tenant that can view in the column's division
    change: int  # … that can change there
    kind: str  # own | foreign | home | other


@dataclass(frozen=True, slots=True)
class Matrix:
    """The tenant × division heat map: rows are subjects' tenants (and NO_TENANT), columns divisions."""

    rows: list[str]
    columns: list[Ref]
    cells: dict[tuple[str, str], Cell]


def access_matrix(result: AuditResult) -> Matrix:
    """Count distinct users, groups and clients per (tenant, division); `*` counts in every division."""
    t = result.tenancy
    divisions = sorted(
        result.snapshot.divisions.values(),
        key=lambda d: (d.id not in t.of_division, not d.home, d.name.casefold()),
    )
    columns = [Ref("division", d.id, d.name) for d in divisions]
    all_ids = [c.id for c in columns]
    seen: dict[tuple[str, str], tuple[set[tuple[str, str]], set[tuple[str, str]]]] = {}
    for row in result.access:
        key = row.tenant or NO_TENANT
        subject = (row.subject_type, row.subject_id)
        for div in all_ids if row.division_id == ALL_DIVISIONS else (row.division_id,):
            view, change = seen.setdefault((key, div), (set(), set()))
            if row.view:
                view.add(subject)
            if row.change:
                change.add(subject)
    rows = [*t.tenants, NO_TENANT]
    cells = {}
    for key in rows:
        own = t.division_of(key) if key != NO_TENANT else None
        for div in all_ids:
            view, change = seen.get((key, div), ((), ()))
            if div == own:
                kind = "own"
            elif div in t.of_division:
                kind = "foreign" if key != NO_TENANT else "other"
            else:
                kind = "home" if div == t.home_division_id else "other"
            cells[(key, div)] = Cell(len(view), len(change), kind)
    return Matrix(rows, columns, cells)


# ---- the rules ----------------------------------------------------------------------------------
FIXES = {
    "R01": (
        "Replace the `*` grant with grants in the divisions this subject needs, "
        "or list the subject in org.org_admins."
    ),
    "R02": "Remove the grant; if the access is meant, give it through the other tenant's own groups.",
    "R03": "Remove the user from the group, or remove the group's grant in the other tenant's division.",
    "R04": "Split the client: one OAuth client per tenant, each with roleDivisions in its own division only.",
    "R05": "Remove the member from the queue (or the group from memberGroups); bind own groups only.",
    "R06": "Move the user to its tenant's division (POST /api/v2/authorization/divisions/{id}/objects/USER).",
    "R07": "Give the admin-level role to BPO staff or org admins only; use a role without those permissions.",
    "R08": "Assign the user to a tenant (membership rules) or list it as staff; else revoke the grant.",
    "R09": "Revoke the inactive user's grants and remove it from groups and queues (the leaver procedure).",
    "R10": "Move the object into its tenant's division, or grant its roles in the tenant's division only.",
    "R11": "Declare it in tenants.yaml, or let `tenantry apply` remove it.",
}


class _Audit:
    """Holds the indexes the rules share and the facts already reported."""

    def __init__(self, snapshot: Snapshot, tenancy: Tenancy, config: Config | None) -> None:
        self.s = snapshot
        self.t = tenancy
        self.config = config
        self.findings: list[Finding] = []
        self.consumed: set[tuple[str, ...]] = set()
        self.active = {uid for uid, u in snapshot.users.items() if u.state == "active"}
        self.groups_of = snapshot.groups_of_user()
        self.admin_perms = {rid: r.admin_permissions for rid, r in snapshot.roles.items()}
        # the platform's default role (employee, in the home division) is no tenant's doing and
        # cannot be removed: no rule reports it; effective access lists it as "platform default"
        self.user_grants = {uid: snapshot.managed_user_grants(uid) for uid in snapshot.user_grants}

    # -- references: (snapshot store, the attribute that names the object)
    _STORES = {
        "user": ("users", "email"),
        "group": ("groups", "name"),
        "queue": ("queues", "name"),
        "oauth_client": ("oauth_clients", "name"),
        "role": ("roles", "name"),
        "division": ("divisions", "name"),
    }

    def ref(self, kind: str, sid: str) -> Ref:
        if kind == "division" and sid == ALL_DIVISIONS:
            return Ref("division", ALL_DIVISIONS, ALL_DIVISIONS)
        store, attr = self._STORES[kind]
        obj = getattr(self.s, store).get(sid)
        return Ref(kind, sid, getattr(obj, attr) if obj else sid)

    def user(self, uid: str) -> Ref:
        return self.ref("user", uid)

    def group(self, gid: str) -> Ref:
        return self.ref("group", gid)

    def queue(self, qid: str) -> Ref:
        return self.ref("queue", qid)

    def client(self, cid: str) -> Ref:
        return self.ref("oauth_client", cid)

    def role(self, rid: str) -> Ref:
        return self.ref("role", rid)

    def division(self, did: str) -> Ref:
        return self.ref("division", did)

    def tenant_label(self, key: str | None) -> str:
        if key is None:
            return "no tenant"
        t = self.t.tenants.get(key)
        return f"tenant {t.name}" if t and t.name != key else f"tenant {key}"

    def report(
        self,
        rule: str,
        subject: Ref,
        tenant: str | None,
        division: Ref | None,
        path: str,
        why: str,
        *,
        role: Ref | None = None,
        via: Ref | None = None,
        member: Ref | None = None,
        facts: Iterable[tuple[str, ...]] = (),
    ) -> None:
        info = RULES[rule]
        self.findings.append(
            Finding(rule, info.severity, subject, tenant, division, path, why, FIXES[rule], role, via, member)
        )
        self.consumed.update(facts)

    def subjects(self) -> Iterator[tuple[str, str, frozenset[Grant]]]:
        """(type, id, grants) of every active user, group and OAuth client that is not an org admin."""
        admins = self.t.org_admins
        for uid, grants in self.user_grants.items():
            if uid in self.active and uid not in admins:
                yield "user", uid, grants
        for gid in self.s.groups:
            if gid not in admins:
                yield "group", gid, self.s.group_grants.get(gid, frozenset())
        for cid, c in self.s.oauth_clients.items():
            if cid not in admins:
                yield "oauth_client", cid, c.role_divisions

    def tenant_of_subject(self, kind: str, sid: str) -> str | None:
        if kind == "user":
            return self.t.of_user.get(sid)
        if kind == "group":
            return self.t.of_group.get(sid)
        return self.t.of_client.get(sid)

    @staticmethod
    def grant_path(kind: str) -> str:
        return "via OAuth client roleDivisions" if kind == "oauth_client" else "direct"

    @staticmethod
    def perms_text(perms: tuple[str, ...]) -> str:
        return ", ".join(perms[:3]) + (f" and {len(perms) - 3} more" if len(perms) > 3 else "")

    def report_grant(
        self, rule: str, kind: str, sid: str, own: str | None, role_id: str, div: str, why: str
    ) -> None:
        """A finding about one grant a subject holds itself (directly, or as a client's roleDivisions)."""
        self.report(
            rule,
            self.ref(kind, sid),
            own,
            self.division(div),
            self.grant_path(kind),
            why,
            role=self.role(role_id),
            facts=[("grant", sid, role_id, div)],
        )

    def staff_allows(self, uid: str, tenant: str | None) -> bool:
        return tenant is not None and tenant in self.t.staff.get(uid, {})

    # -- rules
    def r01_all_divisions(self) -> None:
        for kind, sid, grants in self.subjects():
            if kind == "oauth_client":
                continue  # R04 owns OAuth clients
            for role_id, div in sorted(grants):
                if div == ALL_DIVISIONS:
                    self.report(
                        "R01",
                        self.ref(kind, sid),
                        self.tenant_of_subject(kind, sid),
                        self.division(div),
                        "direct",
                        f"{self.role(role_id).name} is granted on `*`: every division, present and future.",
                        role=self.role(role_id),
                        facts=[("grant", sid, role_id, div)],
                    )

    def r04_oauth_clients(self) -> None:
        for cid, c in self.s.oauth_clients.items():
            if cid in self.t.org_admins:
                continue
            star = any(d == ALL_DIVISIONS for _, d in c.role_divisions)
            reached = {self.t.of_division[d] for _, d in c.role_divisions if d in self.t.of_division}
            if not star and len(reached) < 2:
                continue
            own = self.t.of_client.get(cid)
            if star:
                division = self.division(ALL_DIVISIONS)
                why = "its roleDivisions include `*` (all divisions)"
            else:
                names = ", ".join(sorted(self.t.tenants[k].name for k in reached))
                why = f"its roleDivisions reach {len(reached)} tenants: {names}"
                foreign = sorted(
                    (self.division(d) for _, d in c.role_divisions if self.t.of_division.get(d, own) != own),
                    key=lambda r: r.name.casefold(),
                )
                division = foreign[0] if own is not None and foreign else None
            facts = [
                ("grant", cid, r, d)
                for r, d in c.role_divisions
                if d == ALL_DIVISIONS or d in self.t.of_division
            ]
            self.report(
                "R04",
                self.client(cid),
                own,
                division,
                "via OAuth client roleDivisions",
                f"OAuth client {c.name!r}: {why}.",
                facts=facts,
            )

    def r02_direct_cross_tenant(self) -> None:
        for kind, sid, grants in self.subjects():
            own = self.tenant_of_subject(kind, sid)
            if own is None:
                continue
            for role_id, div in sorted(grants):
                other = self.t.of_division.get(div)
                fact = ("grant", sid, role_id, div)
                if other is None or other == own or fact in self.consumed:
                    continue
                if kind == "user" and self.staff_allows(sid, other):
                    continue
                self.report_grant(
                    "R02",
                    kind,
                    sid,
                    own,
                    role_id,
                    div,
                    f"A subject of {self.tenant_label(own)} holds {self.role(role_id).name} "
                    f"in the division of {self.tenant_label(other)}.",
                )

    def _foreign_group_grant(self, uid: str, gid: str, own: str | None, allow_staff: bool) -> Grant | None:
        """The first grant of the group landing in a tenant division foreign to the user, not yet reported."""
        for role_id, div in sorted(self.s.group_grants.get(gid, ())):
            other = self.t.of_division.get(div)
            if other is None or other == own or ("grant", gid, role_id, div) in self.consumed:
                continue
            if allow_staff and self.staff_allows(uid, other):
                continue
            return Grant(role_id, div)
        return None

    def r03_group_cross_tenant(self) -> None:
        for uid, gids in self.groups_of.items():
            own = self.t.of_user.get(uid)
            if own is None or uid not in self.active or uid in self.t.org_admins:
                continue
            for gid in sorted(gids):
                hit = self._foreign_group_grant(uid, gid, own, allow_staff=True)
                if hit is None:
                    continue
                other = self.t.of_division[hit.division_id]
                self.report(
                    "R03",
                    self.user(uid),
                    own,
                    self.division(hit.division_id),
                    f"via group {self.group(gid).name}",
                    f"A user of {self.tenant_label(own)} inherits {self.role(hit.role_id).name} in the "
                    f"division of {self.tenant_label(other)} from group {self.group(gid).name!r}.",
                    role=self.role(hit.role_id),
                    via=self.group(gid),
                    facts=[("member", uid, gid)],
                )

    def r05_queues(self) -> None:
        of_user, of_group = self.t.of_user, self.t.of_group
        for qid, q in self.s.queues.items():
            own = self.t.of_queue.get(qid)
            if own is None:
                continue
            div = self.division(q.division_id)
            for uid in sorted(q.member_ids):
                other = of_user.get(uid)
                if other is None or other == own or uid not in self.active or uid in self.t.org_admins:
                    continue
                self.report(
                    "R05",
                    self.queue(qid),
                    own,
                    div,
                    "direct member",
                    f"Queue {q.name!r} of {self.tenant_label(own)} has {self.user(uid).name}, a user of "
                    f"{self.tenant_label(other)}, as a member.",
                    member=self.user(uid),
                    facts=[("qmember", qid, uid)],
                )
            for gid in q.member_group_ids:
                other = of_group.get(gid)
                if other is not None and other != own:
                    self.report(
                        "R05",
                        self.queue(qid),
                        own,
                        div,
                        "member group",
                        f"Queue {q.name!r} of {self.tenant_label(own)} takes its members from group "
                        f"{self.group(gid).name!r} of {self.tenant_label(other)}.",
                        member=self.group(gid),
                        facts=[("qgroup", qid, gid)],
                    )
                    continue
                g = self.s.groups.get(gid)
                for uid in sorted(g.member_ids if g else ()):
                    other = of_user.get(uid)
                    if (
                        other is None
                        or other == own
                        or uid not in self.active
                        or uid in self.t.org_admins
                        or ("member", uid, gid) in self.consumed
                    ):
                        continue
                    self.report(
                        "R05",
                        self.queue(qid),
                        own,
                        div,
                        f"via group {g.name}",
                        f"Queue {q.name!r} of {self.tenant_label(own)} reaches {self.user(uid).name}, "
                        f"a user of {self.tenant_label(other)}, through member group {g.name!r}.",
                        member=self.user(uid),
                        via=self.group(gid),
                        facts=[("member", uid, gid)],
                    )

    def r06_home_division(self) -> None:
        for uid, key in self.t.of_user.items():
            if self.t.user_basis.get(uid) == "home division" or uid not in self.active:
                continue
            u = self.s.users[uid]
            want = self.t.tenants[key].name
            self.report(
                "R06",
                self.user(uid),
                key,
                self.division(u.division_id),
                "home division",
                f"The user belongs to {self.tenant_label(key)} (by {self.t.user_basis[uid]}) but its home "
                f"division is {self.division(u.division_id).name!r}, not {want!r}.",
            )

    def r07_admin_roles(self) -> None:
        for kind, sid, grants in self.subjects():
            own = self.tenant_of_subject(kind, sid)
            if own is None:
                continue
            for role_id, div in sorted(grants):
                perms = self.admin_perms.get(role_id)
                fact = ("grant", sid, role_id, div)
                if not perms or fact in self.consumed:
                    continue
                self.report_grant(
                    "R07",
                    kind,
                    sid,
                    own,
                    role_id,
                    div,
                    f"{self.role(role_id).name} carries {self.perms_text(perms)}; a subject of "
                    f"{self.tenant_label(own)} should not administer access.",
                )
        # Tenant users given an admin role by a group of no tenant (a tenant group is reported above).
        for uid, gids in self.groups_of.items():
            own = self.t.of_user.get(uid)
            if own is None or uid not in self.active or uid in self.t.org_admins:
                continue
            for gid in sorted(gids):
                if gid in self.t.of_group or ("member", uid, gid) in self.consumed:
                    continue
                for role_id, div in sorted(self.s.group_grants.get(gid, ())):
                    perms = self.admin_perms.get(role_id)
                    if perms and ("grant", gid, role_id, div) not in self.consumed:
                        self.report(
                            "R07",
                            self.user(uid),
                            own,
                            self.division(div),
                            f"via group {self.group(gid).name}",
                            f"{self.role(role_id).name} carries {self.perms_text(perms)}; a user of "
                            f"{self.tenant_label(own)} should not administer access.",
                            role=self.role(role_id),
                            via=self.group(gid),
                            facts=[("member", uid, gid)],
                        )
                        break

    def r08_unassigned(self) -> None:
        of_user, of_div = self.t.of_user, self.t.of_division
        for uid in sorted(self.active):
            if uid in of_user or uid in self.t.org_admins:
                continue
            for role_id, div in sorted(self.user_grants.get(uid, ())):
                other = of_div.get(div)
                fact = ("grant", uid, role_id, div)
                if other is None or fact in self.consumed or self.staff_allows(uid, other):
                    continue
                self.report(
                    "R08",
                    self.user(uid),
                    None,
                    self.division(div),
                    "direct",
                    f"The user matches no tenant yet holds {self.role(role_id).name} in the division of "
                    f"{self.tenant_label(other)}.",
                    role=self.role(role_id),
                    facts=[fact],
                )
            for gid in sorted(self.groups_of.get(uid, ())):
                hit = self._foreign_group_grant(uid, gid, None, allow_staff=True)
                if hit is None or ("member", uid, gid) in self.consumed:
                    continue
                self.report(
                    "R08",
                    self.user(uid),
                    None,
                    self.division(hit.division_id),
                    f"via group {self.group(gid).name}",
                    f"The user matches no tenant yet inherits {self.role(hit.role_id).name} in the "
                    f"division of {self.tenant_label(of_div[hit.division_id])} from group "
                    f"{self.group(gid).name!r}.",
                    role=self.role(hit.role_id),
                    via=self.group(gid),
                    facts=[("member", uid, gid)],
                )

    def r09_inactive(self) -> None:
        queues_of: dict[str, list[str]] = {}
        for qid, q in self.s.queues.items():
            for uid in q.member_ids:
                queues_of.setdefault(uid, []).append(qid)
        bound = {gid for q in self.s.queues.values() for gid in q.member_group_ids}
        for uid in sorted(self.s.users):
            if uid in self.active:
                continue
            direct = sorted(self.user_grants.get(uid, ()))
            groups = sorted(
                (
                    self.group(g).name
                    for g in self.groups_of.get(uid, ())
                    if self.s.group_grants.get(g) or g in bound
                ),
                key=str.casefold,
            )
            queues = sorted((self.queue(q).name for q in queues_of.get(uid, ())), key=str.casefold)
            if not (direct or groups or queues):
                continue
            parts = (["direct"] if direct else []) + [f"via group {g}" for g in groups]
            parts += [f"queue member of {q}" for q in queues]
            held = [f"{len(direct)} direct grant(s)"] if direct else []
            held += [f"{len(groups)} group(s)"] if groups else []
            held += [f"{len(queues)} queue(s)"] if queues else []
            u = self.s.users[uid]
            self.report(
                "R09",
                self.user(uid),
                self.t.of_user.get(uid),
                self.division(u.division_id),
                "; ".join(parts),
                f"The user is {u.state} but still holds {', '.join(held)}.",
                role=self.role(direct[0].role_id) if direct else None,
            )

    def r10_outside(self) -> None:
        for qid, q in self.s.queues.items():
            own = self.t.of_queue.get(qid)
            want = self.t.division_of(own) if own else None
            if own is None or want is None or q.division_id == want:
                continue
            where = self.t.of_division.get(q.division_id)
            kind = f"the division of {self.tenant_label(where)}" if where else "a division of no tenant"
            self.report(
                "R10",
                self.queue(qid),
                own,
                self.division(q.division_id),
                "object division",
                f"Queue {q.name!r} of {self.tenant_label(own)} lives in "
                f"{self.division(q.division_id).name!r}, {kind}.",
                facts=[("queue", qid)],
            )
        for kind, sid, grants in self.subjects():
            if kind == "user":
                continue
            own = self.tenant_of_subject(kind, sid)
            if own is None:
                continue
            for role_id, div in sorted(grants):
                fact = ("grant", sid, role_id, div)
                if div == ALL_DIVISIONS or div in self.t.of_division or fact in self.consumed:
                    continue
                noun = "Group" if kind == "group" else "OAuth client"
                self.report_grant(
                    "R10",
                    kind,
                    sid,
                    own,
                    role_id,
                    div,
                    f"{noun} {self.ref(kind, sid).name!r} of {self.tenant_label(own)} holds "
                    f"{self.role(role_id).name} in {self.division(div).name!r}, outside every tenant.",
                )

    def r11_drift(self) -> None:
        assert self.config is not None
        cfg, t = self.config, self.t
        roles = self.s.role_by_name()

        def role_ids(names: Iterable[str]) -> frozenset[str]:
            return frozenset(roles[n.casefold()].id for n in names if n.casefold() in roles)

        default_roles = role_ids(DEFAULT_ROLES) | {r.id for r in self.s.roles.values() if r.default}

        group_allowed: dict[str, frozenset[str]] = {}
        for gid, key in t.configured_groups.items():
            spec = cfg.tenants[key]
            gkey = next(
                k for k in spec.groups if spec.group_name(k).casefold() == self.s.groups[gid].name.casefold()
            )
            group_allowed[gid] = role_ids(spec.groups[gkey].roles)
        client_allowed: dict[str, frozenset[str]] = {}
        for cid, key in t.configured_clients.items():
            spec = cfg.tenants[key]
            name = self.s.oauth_clients[cid].name.casefold()
            client_allowed[cid] = role_ids(
                next(c.roles for c in spec.oauth_clients if c.name.casefold() == name)
            )

        def drift(subject: Ref, tenant: str | None, div: str, path: str, why: str, fact: tuple, **kw) -> None:
            if fact not in self.consumed:
                self.report("R11", subject, tenant, self.division(div), path, why, facts=[fact], **kw)

        for kind, sid, grants in self.subjects():
            own = self.tenant_of_subject(kind, sid)
            for role_id, div in sorted(grants):
                fact = ("grant", sid, role_id, div)
                in_tenant = div in t.of_division
                if kind == "group" and sid in group_allowed:
                    ok = div == t.division_of(own) and role_id in group_allowed[sid]
                elif kind == "oauth_client" and sid in client_allowed:
                    ok = div == t.division_of(own) and role_id in client_allowed[sid]
                elif kind == "user" and own is None:
                    other = t.of_division.get(div)
                    ok = not in_tenant or role_id in t.staff.get(sid, {}).get(other, frozenset())
                elif kind == "user":
                    # A tenant's people get roles through groups, never directly; the platform's own
                    # default role, granted in the home division when a user is created, is the exception.
                    ok = role_id in default_roles and div == self.s.users[sid].division_id
                else:
                    ok = not in_tenant and own is None  # org-level groups and clients outside tenants
                if not ok:
                    drift(
                        self.ref(kind, sid),
                        own,
                        div,
                        self.grant_path(kind),
                        f"tenants.yaml does not declare {self.role(role_id).name} in "
                        f"{self.division(div).name!r} for this {kind.replace('_', ' ')}.",
                        fact,
                        role=self.role(role_id),
                    )
        for uid, gids in self.groups_of.items():
            if uid not in self.active or uid in t.org_admins:
                continue
            own = t.of_user.get(uid)
            for gid in sorted(gids):
                gt = t.configured_groups.get(gid)
                if gt == own or (gt is None and not self.s.group_grants.get(gid)):
                    continue  # its own tenant's group, an org-level group of org-level people, or no access
                g = self.group(gid)
                where = (t.division_of(gt) if gt else None) or self.s.users[uid].division_id
                drift(
                    self.user(uid),
                    own,
                    where,
                    f"via group {g.name}",
                    f"tenants.yaml does not put a user of {self.tenant_label(own)} in group {g.name!r}.",
                    ("member", uid, gid),
                    via=g,
                )
        for qid, key in t.configured_queues.items():
            q = self.s.queues[qid]
            spec = cfg.tenants[key]
            want = {
                spec.group_name(g).casefold()
                for qs in spec.queues
                if qs.name.casefold() == q.name.casefold()
                for g in qs.groups
            }
            for gid in q.member_group_ids:
                if self.group(gid).name.casefold() not in want:
                    drift(
                        self.queue(qid),
                        key,
                        q.division_id,
                        "member group",
                        f"tenants.yaml does not bind group {self.group(gid).name!r} to queue {q.name!r}.",
                        ("qgroup", qid, gid),
                        member=self.group(gid),
                    )
            for uid in sorted(q.member_ids):
                if uid in self.active and t.of_user.get(uid) != key and uid not in t.org_admins:
                    drift(
                        self.queue(qid),
                        key,
                        q.division_id,
                        "direct member",
                        f"tenants.yaml does not explain {self.user(uid).name} as a member of queue "
                        f"{q.name!r}.",
                        ("qmember", qid, uid),
                        member=self.user(uid),
                    )


def audit(snapshot: Snapshot, config: Config | None = None) -> AuditResult:
    """Run every rule, worst first; the findings come sorted by severity, tenant, rule and subject."""
    tenancy = resolve(snapshot, config)
    a = _Audit(snapshot, tenancy, config)
    skipped: dict[str, str] = {}
    steps = [
        ("R01", a.r01_all_divisions),
        ("R04", a.r04_oauth_clients),
        ("R02", a.r02_direct_cross_tenant),
        ("R03", a.r03_group_cross_tenant),
        ("R05", a.r05_queues),
        ("R06", a.r06_home_division),
        ("R07", a.r07_admin_roles),
        ("R08", a.r08_unassigned),
        ("R09", a.r09_inactive),
        ("R10", a.r10_outside),
        ("R11", a.r11_drift),
    ]
    for rule, step in steps:
        if RULES[rule].needs_config and config is None:
            skipped[rule] = "needs tenants.yaml (-c): without it a user's tenant is its home division"
            if rule == "R11":
                skipped[rule] = "needs tenants.yaml (-c): drift is measured against the declared tenants"
            continue
        step()
    findings = sorted(
        a.findings,
        key=lambda f: (RANK[f.severity], f.tenant or "~", f.rule, f.subject.name.casefold(), f.path),
    )
    return AuditResult(findings, effective_access(snapshot, tenancy), tenancy, snapshot, skipped)
