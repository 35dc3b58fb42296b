"""The state every rule shares: the snapshot, the tenancy, indexes, and the facts already reported.

One fact, one finding: a rule that reports a fact adds it to `consumed`, and later rules (see
catalogue.PRECEDENCE) skip it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from tenantry.audit.catalogue import RULES
from tenantry.audit.model import Finding, Ref
from tenantry.config.tenants import Config
from tenantry.domain.model import ALL_DIVISIONS, Grant, Snapshot
from tenantry.domain.tenancy import Tenancy


class AuditContext:
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
            Finding(rule, info.severity, subject, tenant, division, path, why, info.fix, role, via, member)
        )
        self.consumed.update(facts)

    def subjects(self) -> Iterator[tuple[str, str, frozenset[Grant]]]:
        """(type, id, grants) of every active user, group and OAuth client that is not an org admin."""
        admins = self.t.org_admins
        for uid in self.s.user_grants:  # the platform's default role is no tenant's doing
            if uid in self.active and uid not in admins:
                yield "user", uid, self.s.managed_user_grants(uid)
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

    def foreign_group_grant(self, uid: str, gid: str, own: str | None, allow_staff: bool) -> Grant | None:
        """The first grant of the group landing in a tenant division foreign to the user, not yet reported."""
        for role_id, div in sorted(self.s.group_grants.get(gid, ())):
            other = self.t.of_division.get(div)
            if other is None or other == own or ("grant", gid, role_id, div) in self.consumed:
                continue
            if allow_staff and self.staff_allows(uid, other):
                continue
            return Grant(role_id, div)
        return None
