"""What the auditing client can see, proven from its own grants before anything is judged.

The platform hides objects in divisions a caller holds no view permission in. An audit run by a
client that cannot see every division would miss leaks there and call the people it cannot place
"outside every tenant". So the audit first reads its own client's roleDivisions: every permission
it reads the org with must be granted on all divisions (`*`) — or, short of that, it names the
divisions and permissions it lacks, and the report is refused or marked INCOMPLETE.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from tenantry.domain.model import ALL_DIVISIONS, Snapshot

# The permissions the snapshot reads the org with.
AUDIT_PERMISSIONS = (
    "authorization:division:view",
    "authorization:role:view",
    "authorization:grant:view",
    "directory:user:view",
    "directory:group:view",
    "routing:queue:view",
    "oauth:client:view",
    "sso:provider:view",
)
UNLISTED = "any division it cannot list"


@dataclass(frozen=True, slots=True)
class Visibility:
    complete: bool
    missing: dict[str, list[str]] = field(default_factory=dict)  # permission -> divisions it lacks it in

    def sentence(self) -> str:
        if self.complete:
            return "complete: the auditing client holds every view permission on all divisions"
        parts = [f"{perm} in {', '.join(divs)}" for perm, divs in sorted(self.missing.items())]
        return "INCOMPLETE: the auditing client lacks " + "; ".join(parts)

    def to_json(self) -> dict:
        return {"complete": self.complete, "missing": {k: list(v) for k, v in sorted(self.missing.items())}}


def prove(snap: Snapshot, expected: Iterable[str] = ()) -> Visibility | None:
    """From the auditing client's own grants; None when the snapshot does not say who read it.

    `expected`: division names the audit should find (tenants.yaml's); those the client cannot
    list are named as missing, so a refusal says which tenants the audit would have been blind to."""
    if not snap.self_client_id:
        return None
    me = snap.oauth_clients.get(snap.self_client_id)
    if me is None:
        return Visibility(False, {"oauth:client:view": ["its own OAuth client (its grants cannot be read)"]})

    def held(perm: str) -> set[str]:
        return {d for role_id, d in me.role_divisions if (r := snap.roles.get(role_id)) and r.allows(perm)}

    listed = {d.name.casefold() for d in snap.divisions.values()}
    unseen = sorted({n for n in expected if n.casefold() not in listed}, key=str.casefold)
    listed_all = ALL_DIVISIONS in held("authorization:division:view")
    missing: dict[str, list[str]] = {}
    for perm in AUDIT_PERMISSIONS:
        divs = held(perm)
        if ALL_DIVISIONS in divs:
            continue
        lacking = sorted((d.name for d in snap.divisions.values() if d.id not in divs), key=str.casefold)
        lacking += unseen + ([] if listed_all else [UNLISTED])
        if lacking:
            missing[perm] = lacking
    return Visibility(not missing, missing)
