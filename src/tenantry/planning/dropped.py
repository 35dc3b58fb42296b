"""Tenants that left tenants.yaml: what tenantry made for them stays managed until they are retired.

Two memories find a dropped tenant's objects, so a fresh journal (or another machine's) still
sees them: the journal's (kind, name, tenant) records, and tenantry's own naming — a group called
"<division> <key>" whose grants all lie in that division (how `TenantSpec.group_name` names the
groups it creates), the queues in such a division, and the OAuth clients whose roles name only it.
A tenant known by naming alone has no key: it is called by its division's name.

Naming is a weaker proof than the journal, so while the tenant is only dropped it takes away no
more than isolation demands anyway: the feed's tenant people, leavers and unmatched people leave
its groups and queues; anyone else (BPO staff, people the feed does not name) is left and
reported. An explicit retirement (`org.retired_tenants`, `tenantry retire`) is the operator's
word: everything is revoked and the division emptied — never deleted. Pure.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from tenantry.config.tenants import Config
from tenantry.domain.model import Division, Snapshot
from tenantry.planning.desired import DesiredState


@dataclass
class Dropped:
    """kind → name → tenant of every object of a tenant tenants.yaml no longer lists."""

    objects: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    by_naming: set[tuple[str, str]] = field(default_factory=set)  # (kind, name) the journal does not know

    def tenants(self) -> set[str]:
        return {t for names in self.objects.values() for t in names.values()}


def recognise(
    config: Config, desired: DesiredState, snap: Snapshot, remembered: list[tuple[str, str, str]]
) -> Dropped:
    """A dropped tenant's objects, by the journal's memory and then by tenantry's naming."""
    listed = {"division": set(desired.divisions), "group": set(desired.groups)}
    listed |= {"queue": set(desired.queues), "client": set(desired.clients)}
    out = Dropped()
    for kind, name, tenant in remembered:
        if tenant not in config.tenants and name not in listed.get(kind, ()):
            out.objects[kind][name] = tenant
    home = snap.home_division_id
    taken = {n.casefold() for n in listed["division"]} | {config.org.home_division.casefold()}
    candidates = {
        d.name.casefold(): d
        for d in snap.divisions.values()
        if d.id != home and d.name.casefold() not in taken
    }
    owner = {n.casefold(): t for n, t in out.objects["division"].items()}
    for g in sorted(snap.groups.values(), key=lambda g: g.name):
        if g.name in listed["group"] or g.name in out.objects["group"]:
            continue
        d = _named_after(g.name, candidates)
        grants = snap.group_grants.get(g.id, frozenset())
        if d is None or not grants or any(x.division_id != d.id for x in grants):
            continue
        tenant = owner.setdefault(d.name.casefold(), d.name)
        _add(out, "group", g.name, tenant)
        if d.name not in out.objects["division"]:
            _add(out, "division", d.name, tenant)
    div_name = {d.id: d.name.casefold() for d in snap.divisions.values()}
    for q in snap.queues.values():
        t = owner.get(div_name.get(q.division_id, ""))
        if t is not None and q.name not in listed["queue"] and q.name not in out.objects["queue"]:
            _add(out, "queue", q.name, t)
    for c in snap.oauth_clients.values():
        divs = {div_name.get(x.division_id, "") for x in c.role_divisions}
        t = owner.get(divs.pop()) if len(divs) == 1 else None
        if t is not None and c.name not in listed["client"] and c.name not in out.objects["client"]:
            _add(out, "client", c.name, t)
    return out


def _add(out: Dropped, kind: str, name: str, tenant: str) -> None:
    out.objects[kind][name] = tenant
    out.by_naming.add((kind, name))


def _named_after(group: str, divisions: dict[str, Division]) -> Division | None:
    """The division a group is named after ("<division> <key>"), the longest name first."""
    words = group.casefold().split(" ")
    return next((d for k in range(len(words) - 1, 0, -1) if (d := divisions.get(" ".join(words[:k])))), None)


def still_listed(config: Config, tenant: str) -> str | None:
    """The key of a tenant tenants.yaml still lists, by key or by its division's name."""
    low = tenant.casefold()
    return next((k for k, t in config.tenants.items() if low in (k.casefold(), t.division.casefold())), None)
