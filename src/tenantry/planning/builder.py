"""The diff's working state: what the org has, what is wanted, and the changes collected so far.

`diff` (planning.plan) runs the per-kind diffs of planning.structure and planning.people over one
`Builder`, then `emit` turns the collected membership and grant changes into batches, in phase
order. Pure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from tenantry.config.tenants import Config, GroupSpec, OAuthClientSpec, StaffSpec
from tenantry.domain.model import ALL_DIVISIONS, Grant, Role, Snapshot
from tenantry.errors import Problem
from tenantry.planning.batching import (
    GROUP_MEMBERS_PER_CALL,
    PHASES,
    QUEUE_MEMBERS_PER_CALL,
    USERS_MOVED_PER_CALL,
    Batch,
    chunks,
)
from tenantry.planning.desired import DesiredState, RoleGrant
from tenantry.planning.dropped import recognise
from tenantry.planning.identity import anchor
from tenantry.planning.ops import Op
from tenantry.planning.plan import Plan, TenantSummary


class Builder:
    """Collects the changes of one diff; emits batches in phase order at the end."""

    def __init__(
        self,
        config: Config,
        desired: DesiredState,
        snap: Snapshot,
        remembered: Iterable[tuple[str, str, str]] = (),
    ) -> None:
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
        # objects tenantry made for a tenant that tenants.yaml no longer has: still managed,
        # known from the journal or by tenantry's naming (planning.dropped)
        dropped = recognise(config, desired, snap, list(remembered))
        self.orphans, self.named = dropped.objects, dropped.by_naming
        self.retired = {r.casefold() for r in config.org.retired_tenants}
        for name, tenant in self.orphans["division"].items():
            self.tenant_div.setdefault(name.lower(), tenant)
            if name.casefold() in self.retired:  # a tenant may be retired by its division's name
                self.retired.add(tenant.casefold())
        self.by_group = {g.name: g for g in snap.groups.values()}
        self.by_queue = {q.name: q for q in snap.queues.values()}
        self.by_client = {c.name: c for c in snap.oauth_clients.values()}
        self.protected = protected_keys(config, snap)
        self.batches: dict[str, list[Batch]] = defaultdict(list)
        self.group_removals: dict[str, set[str]] = defaultdict(set)
        self.group_adds: dict[str, set[str]] = defaultdict(set)
        self.queue_removals: dict[str, set[str]] = defaultdict(set)
        self.grant_removals: dict[str, set[RoleGrant]] = defaultdict(set)
        self.grant_adds: dict[str, set[RoleGrant]] = defaultdict(set)
        self.moves: dict[str, set[str]] = defaultdict(set)
        self.movers: set[str] = set()
        self.leaving_tenant: set[str] = set()  # movers out of a tenant: they lose its access
        self.tenant_of_group = dict(self.orphans["group"]) | {
            g.name: g.tenant for g in desired.groups.values()
        }
        self.tenant_of_queue: dict[str, str | None] = {q.name: q.tenant for q in desired.queues.values()}
        # queues the config does not name belong to the tenant of their division
        for q in snap.queues.values():
            self.tenant_of_queue.setdefault(q.name, self.tenant_of_division_id(q.division_id))
        self.org_spelling = (
            {r.name.lower(): r.name for r in snap.roles.values()},
            {d.name.lower(): d.name for d in snap.divisions.values()},
        )
        self.group_name = {g.id: g.name for g in snap.groups.values()}
        self.groups_of = snap.groups_of_user()
        # the org's Home is the division the platform flags, whatever tenants.yaml calls it
        self.home_name = self.div_name.get(snap.home_division_id, "") or config.org.home_division
        self.direct_queues: dict[str, list[str]] = defaultdict(list)
        for q in snap.queues.values():
            for uid in q.member_ids:
                self.direct_queues[uid].append(q.name)

    def emit_identity(self, email: str, tenant: str | None) -> None:
        """The identity batch of a person anchored to their HR id (planning.identity), if any."""
        if email in self.identity:
            org_email, patch = self.identity[email]
            self.add("identity", Op.USER_UPDATE, org_email, [patch], tenant)

    # ---- helpers ----------------------------------------------------------------------
    def add(
        self, phase: str, op: Op, target: str, items: list[Any] | None = None, tenant: str | None = None
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

    def user_grant_names(self, user_id: str, *, tenant_only: bool = False) -> set[RoleGrant]:
        """A user's direct grants by name; with tenant_only, those in tenant divisions alone.
        The platform's default role is never among them: it is never revoked."""
        have = self.names(self.snap.managed_user_grants(user_id))
        return {g for g in have if g[1].lower() in self.tenant_div} if tenant_only else have

    def is_retired(self, tenant: str) -> bool:
        return tenant.casefold() in self.retired

    def is_protected(self, *keys: str) -> bool:
        return any(k and k.lower() in self.protected for k in keys)

    def canonical(self, grants: frozenset[RoleGrant] | set[RoleGrant]) -> set[RoleGrant]:
        """Role and division names as the org spells them, so comparison is exact."""
        roles, divs = self.org_spelling
        return {(roles.get(r.lower(), r), divs.get(d.lower(), d)) for r, d in grants}

    def division_for(self, tenant: str | None, division: str) -> str:
        """BPO staff (no tenant) live in the org's Home, by the platform's flag."""
        return self.home_name if tenant is None else division

    def forget(self, email: str) -> None:
        """A protected person: no membership change of any kind."""
        self.forget_adds(email)
        for members in self.group_removals.values():
            members.discard(email)

    def forget_adds(self, email: str) -> None:
        for members in self.group_adds.values():
            members.discard(email)

    # ---- validation -------------------------------------------------------------------
    def check_home(self) -> None:
        """A tenant can never use the org's Home division (the one the platform flags)."""
        for key, t in self.config.tenants.items():
            if t.division.casefold() == self.home_name.casefold():
                self.plan.errors.append(
                    self.config.problem(
                        f"tenants.{key}.division",
                        f"{t.division!r} is the org's home division; a tenant can never use it",
                    )
                )

    def check_roles(self) -> None:
        roles = self.snap.role_by_name()
        for key, t in self.config.tenants.items():
            where: list[tuple[str, GroupSpec | OAuthClientSpec | StaffSpec]] = [
                (f"groups.{gkey}", g) for gkey, g in t.groups.items()
            ]
            where += [(f"oauth_clients.{i}", c) for i, c in enumerate(t.oauth_clients)]
            where += [(f"staff.{i}", s) for i, s in enumerate(t.staff)]
            for path, spec in where:
                self._check_entry_roles(f"tenants.{key}.{path}", spec, roles)
            for si, s in enumerate(t.staff):
                if s.email not in self.users and s.email not in self.desired.users:
                    self.plan.errors.append(
                        self.config.problem(
                            f"tenants.{key}.staff.{si}.email",
                            f"{s.email} is neither a user of the org nor in the people feed",
                        )
                    )

    def _check_entry_roles(
        self, path: str, spec: GroupSpec | OAuthClientSpec | StaffSpec, roles: dict[str, Role]
    ) -> None:
        """Each role of one tenant entry exists, and is not admin-level unless the entry allows it."""
        for i, r in enumerate(spec.roles):
            role = roles.get(r.lower())
            if role is None:
                self.plan.errors.append(
                    self.config.problem(f"{path}.roles.{i}", f"role {r!r} does not exist in the org")
                )
            elif role.admin_permissions and not spec.allow_admin_role:
                self.plan.errors.append(admin_role_problem(self.config, path, i, role))

    # ---- emit ---------------------------------------------------------------------------
    def emit(self) -> None:
        self._spare_protected()
        revoked = self._emit_revocations()
        for division, emails in sorted(self.moves.items()):
            for chunk in chunks(emails, USERS_MOVED_PER_CALL):
                self.add("people", Op.USER_MOVE, division, chunk, self.desired.divisions.get(division))
        self._emit_grants()
        # every person who loses any tenant access counts, movers included (issue 11 #3)
        self.plan.revoked_users = len(revoked | self.leaving_tenant)
        for phase in PHASES:
            self.plan.batches.extend(self.batches.get(phase, ()))

    def _spare_protected(self) -> None:
        """A protected member of a managed group or queue is skipped and reported; everyone else's
        change in the same batch still happens (issue 11 #6)."""
        for kind, changes in (("group", self.group_removals), ("queue", self.queue_removals)):
            for name, emails in changes.items():
                for e in sorted(e for e in emails if self.is_protected(e)):
                    self.plan.warnings.append(f"{e} in {kind} {name!r} is protected; left in place")
                    emails.discard(e)
        for members in self.group_adds.values():
            members -= {e for e in members if self.is_protected(e)}
        for email in [e for e in self.grant_removals if self.is_protected(e)]:
            del self.grant_removals[email]
        for email in [e for e in self.grant_adds if self.is_protected(e)]:
            del self.grant_adds[email]

    def _emit_revocations(self) -> set[str]:
        """Membership and grant removals; returns everyone who loses something."""
        revoked: set[str] = set()
        for name, emails in sorted(self.group_removals.items()):
            t = self.tenant_of_group.get(name)
            for chunk in chunks(emails, GROUP_MEMBERS_PER_CALL):
                self.add("revoke", Op.GROUP_MEMBERS_REMOVE, name, chunk, t)
            revoked |= emails
            if (ts := self.tenant(t)) is not None:
                ts.memberships_removed += len(emails)
                ts.affected |= emails
        for name, emails in sorted(self.queue_removals.items()):
            t = self.tenant_of_queue.get(name)
            for chunk in chunks(emails, QUEUE_MEMBERS_PER_CALL):
                self.add("revoke", Op.QUEUE_MEMBERS_REMOVE, name, chunk, t)
            revoked |= emails
            if (ts := self.tenant(t)) is not None:
                ts.memberships_removed += len(emails)
        for email, grants in sorted(self.grant_removals.items()):
            if grants:
                self.add("revoke", Op.USER_GRANTS_REMOVE, email, sorted(list(g) for g in grants))
                revoked.add(email)
                self._count_grants(email, grants, added=False)
        return revoked

    def _emit_grants(self) -> None:
        for name, emails in sorted(self.group_adds.items()):
            t = self.tenant_of_group.get(name)
            for chunk in chunks(emails, GROUP_MEMBERS_PER_CALL):
                self.add("grant", Op.GROUP_MEMBERS_ADD, name, chunk, t)
            if (ts := self.tenant(t)) is not None:
                ts.memberships_added += len(emails)
        for email, grants in sorted(self.grant_adds.items()):
            if grants:
                self.add("grant", Op.USER_GRANTS_ADD, email, sorted(list(g) for g in grants))
                self._count_grants(email, grants, added=True)

    def _count_grants(self, email: str, grants: set[RoleGrant], *, added: bool) -> None:
        for _, div in grants:
            if (ts := self.tenant(self.tenant_div.get(div.lower()))) is not None:
                if added:
                    ts.grants_added += 1
                else:
                    ts.grants_revoked += 1
                ts.affected.add(email)


def admin_role_problem(config: Config, path: str, index: int, role: Role) -> Problem:
    """A tenant entry naming an admin-level role (domain/permissions.py, shared with audit rule R07)."""
    perms = role.admin_permissions
    shown = ", ".join(perms[:3]) + (f" and {len(perms) - 3} more" if len(perms) > 3 else "")
    return config.problem(
        f"{path}.roles.{index}",
        f"role {role.name!r} carries admin-level permissions ({shown}) and would let the tenant widen "
        f"anyone's access; use another role, or set allow_admin_role: true on this entry",
    )


def protected_keys(config: Config, snap: Snapshot) -> frozenset[str]:
    """Never changed: the configured subjects and every OAuth client of tenantry's own pool (by id
    and by name, since the desired state names clients)."""
    protected = {p.lower() for p in config.org.protected}
    own = {i for i in (snap.self_client_id, *snap.pool_client_ids) if i}
    protected |= {i.lower() for i in own}
    protected |= {c.name.lower() for c in snap.oauth_clients.values() if c.id in own}
    return frozenset(protected)
