"""Findings → a remediation Plan in the format of `tenantry plan` (plan.py), for `tenantry apply fix.json`.

Pure. The plan only takes access away (revoke grants and memberships, unbind member groups) or
puts objects where they belong (move a user or queue into its tenant's division); it never adds a
grant. What cannot be fixed without a human choice becomes a plan warning instead of a batch:
splitting an OAuth client (its token lifetime and secret are its owner's business), and replacing
an admin-level role (which role instead is a decision, and tenants.yaml may declare it).
"""

from __future__ import annotations

from collections import defaultdict

from tenantry.audit.engine import AuditResult, Finding
from tenantry.config.tenants import Config
from tenantry.planning.plan import (
    GROUP_MEMBERS_PER_CALL,
    PHASES,
    QUEUE_MEMBERS_PER_CALL,
    USERS_MOVED_PER_CALL,
    Batch,
    Plan,
    TenantSummary,
)
from tenantry.planning.plan import fingerprint as snapshot_fingerprint

_CHUNK = {
    "group.members.remove": GROUP_MEMBERS_PER_CALL,
    "queue.members.remove": QUEUE_MEMBERS_PER_CALL,
    "user.move": USERS_MOVED_PER_CALL,
}


class _Fixes:
    def __init__(self, result: AuditResult, config: Config | None) -> None:
        self.r = result
        self.s = result.snapshot
        self.items: dict[tuple[str, str, str], list] = defaultdict(list)
        self.tenant: dict[tuple[str, str, str], str | None] = {}
        self.unbind: dict[str, set[str]] = defaultdict(set)  # queue name -> member groups to drop
        self.queue_tenant: dict[str, str | None] = {}
        self.warnings: list[str] = []
        self.revoked: set[str] = set()
        self.summaries: dict[str, TenantSummary] = {}
        protected = {p.casefold() for p in (config.org.protected if config else ())}
        if self.s.self_client_id:
            protected.add(self.s.self_client_id.casefold())
        self.protected = protected
        self.active = {u.email.casefold() for u in self.s.users.values() if u.state == "active"}

    def add(self, phase: str, op: str, target: str, item: object, tenant: str | None) -> None:
        key = (phase, op, target)
        if target.casefold() in self.protected or (
            isinstance(item, str) and item.casefold() in self.protected
        ):
            self.warnings.append(f"{op} on {target}: protected, left unchanged")
            return
        if item not in self.items[key]:
            self.items[key].append(item)
        self.tenant.setdefault(key, tenant)
        ts = self.summaries.setdefault(tenant, TenantSummary()) if tenant else None
        if op in ("user.grants.remove", "group.members.remove", "queue.members.remove"):
            who = target if op == "user.grants.remove" else str(item)
            if who.casefold() in self.active:
                self.revoked.add(who)
            if ts is not None:
                ts.affected.add(who)
                if op == "user.grants.remove":
                    ts.grants_revoked += 1
                else:
                    ts.memberships_removed += 1

    def revoke_grant(self, f: Finding) -> None:
        assert f.role is not None and f.division is not None
        pair = [f.role.name, f.division.name]
        if f.subject.type == "user":
            self.add("revoke", "user.grants.remove", f.subject.name, pair, f.tenant)
        elif f.subject.type == "group":
            self.add("group-grants-revoke", "group.grants.remove", f.subject.name, pair, f.tenant)
        else:
            self.manual(
                f, "change the OAuth client's roleDivisions by hand (its token lifetime is not known here)"
            )

    def leave_group(self, f: Finding, email: str) -> None:
        assert f.via is not None
        self.add("revoke", "group.members.remove", f.via.name, email, f.tenant)

    def manual(self, f: Finding, what: str) -> None:
        self.warnings.append(f"{f.rule} {f.subject.type} {f.subject.name}: {what}")

    def finding(self, f: Finding) -> None:
        rule, path = f.rule, f.path
        if rule == "R04":
            self.manual(f, "split it into one OAuth client per tenant, then delete it")
        elif rule == "R07":
            self.manual(
                f, f"replace {f.role.name if f.role else 'the role'} with a role without admin permissions"
            )
        elif rule == "R06":
            t = self.r.tenancy.tenants.get(f.tenant or "")
            if t is not None:
                self.add("people", "user.move", t.name, f.subject.name, f.tenant)
        elif rule == "R09":
            self.inactive(f)
        elif f.subject.type == "queue":
            self.queue(f)
        elif path.startswith("via group "):
            self.leave_group(f, f.subject.name)
        elif f.role is not None and f.division is not None:
            self.revoke_grant(f)

    def queue(self, f: Finding) -> None:
        q = f.subject.name
        if f.rule == "R10":
            t = self.r.tenancy.tenants.get(f.tenant or "")
            if t is not None:
                self.add("queues", "queue.move", t.name, q, f.tenant)
        elif f.path == "member group" and f.member is not None:
            self.unbind[q].add(f.member.name)
            self.queue_tenant[q] = f.tenant
        elif f.path == "direct member" and f.member is not None:
            self.add("revoke", "queue.members.remove", q, f.member.name, f.tenant)
        elif f.path.startswith("via group ") and f.member is not None:
            self.leave_group(f, f.member.name)

    def inactive(self, f: Finding) -> None:
        uid, email = f.subject.id, f.subject.name
        div_name = {d.id: d.name for d in self.s.divisions.values()}
        role_name = {r.id: r.name for r in self.s.roles.values()}
        for g in sorted(self.s.managed_user_grants(uid)):
            pair = [role_name.get(g.role_id, g.role_id), div_name.get(g.division_id, g.division_id)]
            self.add("revoke", "user.grants.remove", email, pair, f.tenant)
        for grp in self.s.groups.values():
            if uid in grp.member_ids:
                self.add("revoke", "group.members.remove", grp.name, email, f.tenant)
        for q in self.s.queues.values():
            if uid in q.member_ids:
                self.add("revoke", "queue.members.remove", q.name, email, f.tenant)

    def batches(self) -> list[Batch]:
        by_name = {g.id: g.name for g in self.s.groups.values()}
        for q in self.s.queues.values():
            if q.name in self.unbind:
                keep = sorted(
                    n for n in (by_name.get(g, g) for g in q.member_group_ids) if n not in self.unbind[q.name]
                )
                self.items[("queues", "queue.update", q.name)] = [{"groups": keep}]
                self.tenant[("queues", "queue.update", q.name)] = self.queue_tenant.get(q.name)
        out = []
        for (phase, op, target), items in sorted(
            self.items.items(), key=lambda kv: (PHASES.index(kv[0][0]), kv[0])
        ):
            size = _CHUNK.get(op)
            chunks = [sorted(items)[i : i + size] for i in range(0, len(items), size)] if size else [items]
            out += [Batch(phase, op, target, chunk, self.tenant[(phase, op, target)]) for chunk in chunks]
        return out


def remediation_plan(result: AuditResult, config: Config | None = None) -> Plan:
    """A Plan that `tenantry apply` carries out; its fingerprint pins it to the audited snapshot."""
    fixes = _Fixes(result, config)
    for f in result.findings:
        fixes.finding(f)
    plan = Plan(batches=fixes.batches(), warnings=sorted(set(fixes.warnings)))
    plan.tenants = fixes.summaries
    plan.fingerprint = snapshot_fingerprint(result.snapshot)
    plan.managed_users = sum(u.state == "active" for u in result.snapshot.users.values())
    plan.revoked_users = len(fixes.revoked)
    org = config.org if config else None
    plan.settings = {
        "org_admins": sorted(a.lower() for a in (org.org_admins if org else ())),
        "protected": sorted(fixes.protected),
        "journal": org.journal if org else "sqlite:///tenantry.db",
        "mass_revoke_threshold": org.mass_revoke_threshold if org else 0.10,
    }
    return plan
