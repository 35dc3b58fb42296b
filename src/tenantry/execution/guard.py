"""Guard rails checked on every batch just before it runs, whatever produced the plan.

The rails come from tenants.yaml and the org (services.tenants.guard_for), never from a plan
file: a saved plan can be edited, so it cannot be allowed to switch them off.
"""

from __future__ import annotations

from dataclasses import dataclass

from tenantry.domain.model import ALL_DIVISIONS
from tenantry.planning.batching import Batch
from tenantry.planning.ops import Op, is_op

_GRANTING = frozenset({Op.GROUP_GRANTS_ADD, Op.USER_GRANTS_ADD, Op.CLIENT_CREATE, Op.CLIENT_UPDATE})


class GuardError(Exception):
    """A batch that a guard rail forbids; it never reaches the API."""


@dataclass
class Guard:
    """Protected subjects are never changed; a grant on all divisions (*) is for org admins only."""

    org_admins: frozenset[str] = frozenset()
    protected: frozenset[str] = frozenset()

    def check(self, batch: Batch) -> None:
        if batch.op == "division.delete":
            raise GuardError("tenantry never deletes divisions")
        if not is_op(batch.op):
            raise GuardError(f"unknown operation {batch.op!r}")
        op = Op(batch.op)
        target = batch.target.lower()
        if target in self.protected:
            raise GuardError(f"{op} on {batch.target}: protected subjects are never changed")
        if op.spec.people_items:
            hit = sorted(e for e in batch.items if str(e).lower() in self.protected)
            if hit:
                raise GuardError(f"{op} on {batch.target}: protected subjects {', '.join(hit)}")
        if op in _GRANTING:
            pairs = batch.items[0]["grants"] if op.kind == "client" else batch.items
            if any(d == ALL_DIVISIONS for _r, d in pairs) and not (
                op == Op.USER_GRANTS_ADD and target in self.org_admins
            ):
                raise GuardError(
                    f"{op} on {batch.target}: a grant on all divisions (*) is only "
                    "for the configured org admins"
                )
