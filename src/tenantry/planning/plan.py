"""Desired state vs snapshot → a Plan: ordered phases of batches sized to the API's bulk limits.

Pure. Batches name objects by natural key (division, group, queue, client names; emails), so a
saved plan stays meaningful after objects were created, and its ids are resolved at apply time.
The diff itself is split by resource kind: planning.structure (divisions, groups, queues, clients,
SSO) and planning.people (joiners, movers, leavers, staff), over one planning.builder.Builder;
batches and the phase order live in planning.batching, the ops in planning.ops.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from tenantry.config.tenants import Config
from tenantry.domain.model import Snapshot
from tenantry.errors import Problem
from tenantry.planning.batching import (
    GROUP_MEMBERS_PER_CALL,
    PHASES,
    QUEUE_MEMBERS_PER_CALL,
    USERS_MOVED_PER_CALL,
    Batch,
)
from tenantry.planning.desired import DesiredState
from tenantry.planning.ops import Op
from tenantry.planning.planfile import FORMAT, PlanFile

__all__ = [
    "FORMAT",
    "GROUP_MEMBERS_PER_CALL",
    "PHASES",
    "QUEUE_MEMBERS_PER_CALL",
    "USERS_MOVED_PER_CALL",
    "Batch",
    "Op",
    "Plan",
    "TenantSummary",
    "diff",
    "fingerprint",
]


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
    # informative (shown, saved); guard rails always come from tenants.yaml and the org, never from here
    settings: dict[str, Any] = field(default_factory=dict)
    signature: str | None = None  # a saved plan's valid local signature (services.saved)
    source: str = ""  # the file a saved plan came from; "" for a plan made in this process
    tampered: bool = False  # a saved plan whose signature does not match its content
    notes: list[str] = field(default_factory=list)  # facts to show with the plan (SSO certificates)
    # active people of the feed in no tenant, holding nothing
    unmatched: list[str] = field(default_factory=list)
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
                        {
                            "id": b.id,
                            "op": str(b.op),
                            "target": b.target,
                            "items": b.items,
                            "tenant": b.tenant,
                        }
                        for b in batches
                    ],
                }
                for name, batches in self.phases()
            ],
        }

    @classmethod
    def from_json(cls, data: dict) -> Plan:
        """A plan from its JSON; pydantic's ValidationError (a ValueError) when it is not one."""
        return cls.from_file(PlanFile.model_validate(data))

    @classmethod
    def from_file(cls, f: PlanFile) -> Plan:
        plan = cls(
            fingerprint=f.fingerprint,
            warnings=list(f.warnings),
            managed_users=f.summary.managed_users,
            revoked_users=f.summary.revoked_users,
            leavers_started=list(f.leavers_started),
            settings=dict(f.settings),
            notes=list(f.notes),
            unmatched=list(f.unmatched),
            reasons=dict(f.reasons),
            signature=f.signature,
        )
        for phase in f.phases:
            for b in phase.batches:
                plan.batches.append(Batch(phase.name, b.op, b.target, b.items, b.tenant, b.id))
        for k, v in f.summary.tenants.items():
            fields: dict[str, Any] = {n: v[n] for n in v if n != "blast_radius"}
            plan.tenants[k] = TenantSummary(**fields, saved_radius=v.get("blast_radius", 0))
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


def diff(
    config: Config,
    desired: DesiredState,
    snap: Snapshot,
    *,
    leaver_since: dict[str, float] | None = None,
    now: float = 0.0,
    remembered: Iterable[tuple[str, str, str]] = (),
) -> Plan:
    """The changes that take the org from `snap` to `desired`, safely ordered and batched.
    `remembered`: (kind, name, tenant) of objects tenantry manages (the journal's memory)."""
    from tenantry.planning import people, structure  # they build on Plan: imported when used
    from tenantry.planning.builder import Builder

    b = Builder(config, desired, snap, remembered)
    b.plan.errors.extend(desired.errors)
    b.check_home()
    b.check_roles()
    if snap.inactive_unread:
        b.plan.warnings.append(
            f"{snap.inactive_unread} inactive users could not be read (the platform's paging cap); "
            "leavers among them are not seen"
        )
    structure.divisions(b)
    structure.groups(b)
    structure.queues(b)
    structure.clients(b)
    structure.sso(b)
    structure.orphans(b)
    people.people(b, leaver_since or {}, now)
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
