"""`tenantry explain`: one subject's effective access, division by division, and where each grant comes from.

Pure over a Snapshot (plus tenants.yaml and the people feed when given). Each (role, division)
the subject holds is traced to its source: a group (and the tenants.yaml entry that manages it),
a staff entry, a direct grant, the platform's default role, or an OAuth client's roleDivisions;
with tenants.yaml and a feed, each is also marked as agreeing with the desired state or not, and
what the desired state wants but the org lacks is listed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from tenantry.config.tenants import Config
from tenantry.domain.access import PLATFORM_DEFAULT, effective_access
from tenantry.domain.model import Snapshot
from tenantry.domain.tenancy import resolve
from tenantry.inputs.people import Person
from tenantry.planning.desired import build


class NotFound(LookupError):
    """No user with that email and no OAuth client with that name."""


@dataclass
class Access:
    division: str
    division_tenant: str | None
    role: str
    source: str  # group | staff | direct | platform default | oauth client
    via: str  # the group, the tenants.yaml entry, …
    desired: bool | None = None  # None: no desired state to compare with


@dataclass
class Explanation:
    subject: str  # an email, or an OAuth client's name
    kind: str  # user | oauth_client
    tenant: str | None
    home_division: str
    state: str
    access: list[Access] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    queues: list[str] = field(default_factory=list)
    missing: list[Access] = field(default_factory=list)  # desired, not held: apply would grant
    compared: bool = False

    @property
    def agrees(self) -> bool | None:
        if not self.compared:
            return None
        return not self.missing and all(a.desired is not False for a in self.access)

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"agrees": self.agrees}


def _config_groups(config: Config | None) -> dict[str, str]:
    """Group name (lower) -> its tenants.yaml entry."""
    if config is None:
        return {}
    return {
        t.group_name(g).lower(): f"tenants.{key}.groups.{g}"
        for key, t in config.tenants.items()
        for g in t.groups
    }


def _staff(config: Config | None) -> dict[tuple[str, str, str], str]:
    """(email, role lower, division lower) -> the staff entry granting it."""
    out: dict[tuple[str, str, str], str] = {}
    for key, t in (config.tenants if config else {}).items():
        for i, s in enumerate(t.staff):
            for r in s.roles:
                out[(s.email, r.lower(), t.division.lower())] = f"tenants.{key}.staff.{i}"
    return out


def _desired(
    config: Config | None, people: list[Person] | None, email: str, kind: str
) -> set[tuple[str, str]] | None:
    """(role, division), lower-cased, that the desired state gives the subject; None when unknown."""
    if config is None or (people is None and kind == "user"):
        return None
    state = build(config, people or [])
    if kind == "oauth_client":
        c = next((c for n, c in state.clients.items() if n.lower() == email), None)
        return {(r.lower(), d.lower()) for r, d in c.grants} if c else set()
    wanted = {(r.lower(), d.lower()) for r, d in state.staff_grants.get(email, frozenset())}
    for g in state.groups.values():
        if email in g.members:
            wanted |= {(r.lower(), d.lower()) for r, d in g.grants}
    return wanted


def explain(
    snap: Snapshot, subject: str, config: Config | None = None, people: list[Person] | None = None
) -> Explanation:
    """Raise NotFound when the org has no such user or OAuth client."""
    key = subject.lower()
    tenancy = resolve(snap, config)
    div_name = {d.id: d.name for d in snap.divisions.values()}
    user = snap.user_by_email().get(key)
    client = next((c for c in snap.oauth_clients.values() if c.name.lower() == key), None)
    if user is not None:
        ex = Explanation(
            user.email, "user", tenancy.of_user.get(user.id), div_name.get(user.division_id, "?"), user.state
        )
        sid, stype = user.id, "user"
        group_name = {g.id: g.name for g in snap.groups.values()}
        ex.groups = sorted(group_name[g] for g in snap.groups_of_user().get(user.id, ()))
        mine = set(snap.groups_of_user().get(user.id, ()))
        for q in snap.queues.values():
            if user.id in q.member_ids:
                ex.queues.append(f"{q.name} (direct member)")
            elif mine & set(q.member_group_ids):
                ex.queues.append(
                    f"{q.name} (via group {', '.join(group_name[g] for g in mine & set(q.member_group_ids))})"
                )
    elif client is not None:
        ex = Explanation(client.name, "oauth_client", tenancy.of_client.get(client.id), "", "active")
        sid, stype = client.id, "oauth_client"
    else:
        raise NotFound(f"no user with email {subject!r} and no OAuth client named {subject!r} in the org")
    groups, staff = _config_groups(config), _staff(config)
    for row in effective_access(snap, tenancy):
        if row.subject_type != stype or row.subject_id != sid:
            continue
        if stype == "oauth_client":
            source, via = "oauth client", "roleDivisions"
        elif row.path.startswith("via group "):
            gname = row.path.removeprefix("via group ")
            source, via = (
                "group",
                gname
                + (f" ({groups[gname.lower()]})" if gname.lower() in groups else " (not in tenants.yaml)"),
            )
        elif (ex.subject, row.role_name.lower(), row.division_name.lower()) in staff:
            source, via = "staff", staff[(ex.subject, row.role_name.lower(), row.division_name.lower())]
        elif row.path == PLATFORM_DEFAULT:
            source, via = "platform default", "given to every user by the platform; cannot be removed"
        else:
            source, via = "direct", "direct grant"
        ex.access.append(Access(row.division_name, row.division_tenant, row.role_name, source, via))
    ex.access.sort(key=lambda a: (a.division, a.role, a.source))
    wanted = _desired(config, people, key, stype)
    if wanted is not None:
        ex.compared = True
        held = set()
        for a in ex.access:
            pair = (a.role.lower(), a.division.lower())
            held.add(pair)
            a.desired = None if a.source == "platform default" else pair in wanted
        names = {r.name.lower(): r.name for r in snap.roles.values()}
        for r, d in sorted(wanted - held):
            t = tenancy.of_division.get(next((i for i, n in div_name.items() if n.lower() == d), ""))
            ex.missing.append(Access(d, t, names.get(r, r), "desired", "apply would grant it", True))
    return ex
