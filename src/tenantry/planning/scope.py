"""Restrict a plan to some people: a partial feed, or one IdP change, is not the whole world.

`apply --only EMAIL`, `tenantry reconcile EMAIL` and the SCIM bridge plan against the whole
desired state, then keep only what concerns the people in scope. Structure those people need
(a missing division, group, queue) is kept when it is created; changes to shared objects that
would touch everyone else (group grants, queue bindings, clients, SSO) are left to a full apply.
Pure.
"""

from __future__ import annotations

from dataclasses import replace

from tenantry.planning.plan import Batch, Plan, TenantSummary

# ops whose items are people (emails); the rest name one person as the target, or a shared object
_PEOPLE_ITEMS = frozenset(
    {"group.members.add", "group.members.remove", "queue.members.add", "queue.members.remove", "user.move"}
)
_PERSON_TARGET_PREFIX = "user."
_STRUCTURE_KEPT = frozenset({"division.create", "group.create", "queue.create"})


def restrict(plan: Plan, emails: set[str]) -> Plan:
    """The batches of `plan` that concern `emails` (lower-case), with the summaries recounted."""
    scope = {e.lower() for e in emails}
    kept: list[Batch] = []
    for b in plan.batches:
        if b.op in _PEOPLE_ITEMS:
            items = [e for e in b.items if e.lower() in scope]
            if items:
                kept.append(Batch(b.phase, b.op, b.target, items, b.tenant))
        elif b.op.startswith(_PERSON_TARGET_PREFIX):
            renamed = b.phase == "identity" and str(b.items[0].get("email", "")).lower() in scope
            if b.target.lower() in scope or renamed:  # an identity batch names the org's old email
                kept.append(b)
        elif b.op in _STRUCTURE_KEPT:
            kept.append(b)
    touched = {e for b in kept for e in _people_of(b)}
    tenants = {
        k: TenantSummary(affected=set(v.affected & touched)) if v.affected & touched else TenantSummary()
        for k, v in plan.tenants.items()
    }
    return replace(
        plan,
        batches=kept,
        tenants=tenants,
        warnings=[w for w in plan.warnings if any(e in w.lower() for e in scope)],
        managed_users=plan.managed_users,
        revoked_users=len({e for b in kept if b.phase == "revoke" for e in _people_of(b)}),
        leavers_started=[e for e in plan.leavers_started if e in scope],
        unmatched=[e for e in plan.unmatched if e in scope],
    )


def _people_of(b: Batch) -> list[str]:
    if b.op in _PEOPLE_ITEMS:
        return [str(e).lower() for e in b.items]
    if b.op.startswith(_PERSON_TARGET_PREFIX):
        return [b.target.lower()]
    return []
