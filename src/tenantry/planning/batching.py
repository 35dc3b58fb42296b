"""Batches: one API write each, in phase order, sized to the API's bulk limits. Pure.

Phase order is the safety argument: everything that takes access away (revoke) runs before
people are created or moved (people), which runs before anything grants access (grant). A mover
therefore loses tenant A's groups, queues and grants before its user object moves to B's
division, and only then joins B's groups: at no moment does it hold both.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from tenantry.planning.ops import PEOPLE_ITEM_OPS, Op, is_op

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


def batch_id(phase: str, op: str, target: str, items: list[Any]) -> str:
    """A batch's id is its content: the same change planned twice has the same id."""
    raw = json.dumps([phase, str(op), target, items], sort_keys=True, default=list)
    return hashlib.sha256(raw.encode()).hexdigest()[:20]


@dataclass(slots=True)
class Batch:
    phase: str
    op: Op | str  # an Op when known; a plan file naming another is refused when loaded
    target: str
    items: list[Any] = field(default_factory=list)
    tenant: str | None = None
    id: str = ""

    def __post_init__(self) -> None:
        if is_op(self.op):  # typed when known; an unknown op is refused by the guard, and
            self.op = Op(self.op)  # a plan file naming one is refused when it is loaded
        if not self.id:
            self.id = batch_id(self.phase, self.op, self.target, self.items)

    @property
    def locks(self) -> list[str]:
        """Objects this batch changes: two batches sharing one never run at once."""
        own = [f"{str(self.op).split('.', 1)[0]}:{self.target.lower()}"]
        if self.op in PEOPLE_ITEM_OPS:
            own += [f"user:{e}" for e in self.items]
        return own

    def people(self) -> list[str]:
        """The people (emails, lower-case) whose access this batch changes."""
        if self.op in PEOPLE_ITEM_OPS:
            return [str(e).lower() for e in self.items]
        if is_op(self.op) and Op(self.op).spec.person_target:
            return [self.target.lower()]
        return []


def chunks(items: list[str] | set[str], size: int) -> list[list[str]]:
    """Sorted, so the same set always gives the same batches (and batch ids)."""
    ordered = sorted(items)
    return [ordered[i : i + size] for i in range(0, len(ordered), size)]
