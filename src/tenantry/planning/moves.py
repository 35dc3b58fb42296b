"""`tenantry move EMAIL --to TENANT`, and the read-back that proves a move left no double access.

A move is planned like any other change (revoke, then move, then grant) and applied by the same
executor; afterwards the org is read again and each moved person's effective access (domain/access.py) —
direct grants, grants through groups, queue membership — must be what the desired state gives it:
its new tenant's division, and the divisions it is BPO staff of.
"""

from __future__ import annotations

from tenantry.config.tenants import Config, Match, TenantSpec, matches
from tenantry.domain.access import user_divisions
from tenantry.domain.model import Division, Snapshot, User
from tenantry.errors import Problem
from tenantry.inputs.people import Person
from tenantry.planning.plan import GROUP_MEMBERS_PER_CALL, Batch, Plan, TenantSummary, fingerprint


def allowed_divisions(config: Config) -> dict[str, set[str]]:
    """email -> tenant divisions the desired state lets a person reach besides its own: staff grants."""
    out: dict[str, set[str]] = {}
    for t in config.tenants.values():
        for s in t.staff:
            out.setdefault(s.email.lower(), set()).add(t.division)
    return out


def verify(snap: Snapshot, moved: dict[str, str], allowed: dict[str, set[str]] | None = None) -> list[str]:
    """moved: email -> division name; allowed: email -> other division names the desired state grants
    it (BPO staff). Returns one sentence per person whose access differs from the desired state."""
    by_email = snap.user_by_email()
    div_by_name = snap.division_by_name()
    name = {d.id: d.name for d in snap.divisions.values()}
    wrong = []
    for email, division in sorted(moved.items()):
        u = by_email.get(email.lower())
        d = div_by_name.get(division.lower())
        if u is None or d is None:
            wrong.append(f"{email}: not found after the move")
            continue
        if u.division_id != d.id:
            wrong.append(f"{email}: home division is {name.get(u.division_id)}, not {division}")
        also = {x.id for n in (allowed or {}).get(email.lower(), ()) if (x := div_by_name.get(n.lower()))}
        extra = user_divisions(snap, u.id) - {d.id} - also
        if extra:
            wrong.append(f"{email}: still reaches {', '.join(sorted(name.get(x, x) for x in extra))}")
    return wrong


def feed_contradiction(config: Config, person: Person, tenant: str, feed: str) -> str | None:
    """Why the feed would undo moving `person` to `tenant` (the next apply follows the feed), or None."""
    where = f"{feed} line {person.line}"
    if not person.active:
        return f"{where}: {person.email} is a leaver; the next apply deactivates them"
    hits = [k for k, t in config.tenants.items() if matches(t.members, person.attrs(), person.idp_groups)]
    if hits == [tenant]:
        return None
    rules = config.tenants[tenant].members
    tests = "; or ".join(
        ", ".join(
            [f"{k}: {_describe(m)}" for k, m in r.attributes.items()]
            + ([f"idp_group: {r.idp_group}"] if r.idp_group else [])
        )
        for r in rules
    )
    now = f"matches tenant {', '.join(hits)}" if hits else "matches no tenant"
    return (
        f"{where}: {person.email} {now}, so the next apply of the feed would move them back; "
        f"change that row to match tenant {tenant} ({tests}) first, or apply the feed instead"
    )


def _describe(m: Match) -> str:
    if m.equals is not None:
        return m.equals
    if m.one_of is not None:
        return "one of " + ", ".join(m.one_of)
    if m.pattern is not None:
        return f"pattern {m.pattern}"
    return f"contains {m.contains}"


def plan_move(config: Config, snap: Snapshot, email: str, tenant: str, person: Person | None) -> Plan:
    """One person to another tenant: out of every other tenant's groups, queues and divisions first."""
    plan = Plan(fingerprint=fingerprint(snap))
    email = email.lower()
    spec = config.tenants.get(tenant)
    u = snap.user_by_email().get(email)
    target = _check_move(plan, config, snap, email, tenant, spec, u)
    if target is None or spec is None or u is None:
        return plan
    wanted = _wanted_groups(plan, spec, snap, person)
    if plan.errors:
        return plan
    old_tenant = next(
        (
            k
            for k, t in config.tenants.items()
            if t.division.lower() == snap.divisions.get(u.division_id, target).name.lower()
        ),
        None,
    )
    staff = _staff_grants(config, email)
    plan.batches = _move_batches(snap, u, email, tenant, spec.division, target, wanted, old_tenant, staff)
    if plan.batches:
        plan.tenants[tenant] = TenantSummary(movers_in=1, affected={email})
        if old_tenant:
            plan.tenants[old_tenant] = TenantSummary(movers_out=1, affected={email})
    plan.managed_users = 1
    plan.settings = {
        "org_admins": sorted(a.lower() for a in config.org.org_admins),
        "protected": sorted(p.lower() for p in config.org.protected),
        "journal": config.org.journal,
        "mass_revoke_threshold": 1.0,
    }
    return plan


def _check_move(
    plan: Plan,
    config: Config,
    snap: Snapshot,
    email: str,
    tenant: str,
    spec: TenantSpec | None,
    u: User | None,
) -> Division | None:
    """The target division, or None with the reasons in plan.errors."""
    if spec is None:
        plan.errors.append(
            Problem("tenantry move", None, "--to", f"{tenant!r} is not a tenant of the config")
        )
    if u is None:
        plan.errors.append(Problem("tenantry move", None, "EMAIL", f"{email} is not a user of the org"))
    if plan.errors or spec is None or u is None:
        return None
    if email in {p.lower() for p in config.org.protected}:
        plan.errors.append(Problem("tenantry move", None, "EMAIL", f"{email} is protected"))
        return None
    target = snap.division_by_name().get(spec.division.lower())
    if target is None:
        plan.errors.append(
            Problem(
                "tenantry move",
                None,
                "--to",
                f"tenant {tenant}'s division {spec.division!r} does not exist yet; run apply",
            )
        )
    return target


def _wanted_groups(plan: Plan, spec: TenantSpec, snap: Snapshot, person: Person | None) -> list[str]:
    """The groups of the new tenant this person belongs in (rules need the person's record)."""
    names = {g.name for g in snap.groups.values()}
    wanted = []
    for key, g in spec.groups.items():
        gname = spec.group_name(key)
        if gname not in names:
            plan.errors.append(
                Problem("tenantry move", None, "--to", f"group {gname!r} does not exist yet; run apply")
            )
            continue
        if g.members == "all" or (
            person is not None and matches(g.members, person.attrs(), person.idp_groups)
        ):
            wanted.append(gname)
        elif person is None:
            plan.warnings.append(f"group {gname!r} selects members by rules; give --people to evaluate them")
    return wanted


def _staff_grants(config: Config, email: str) -> set[tuple[str, str]]:
    """(role, division) pairs, lower-case, that the person holds as BPO staff: a move keeps them."""
    return {
        (r.lower(), t.division.lower())
        for t in config.tenants.values()
        for s in t.staff
        if s.email == email
        for r in s.roles
    }


def _move_batches(
    snap: Snapshot,
    u: User,
    email: str,
    tenant: str,
    division: str,
    target: Division,
    wanted: list[str],
    old_tenant: str | None,
    staff: set[tuple[str, str]],
) -> list[Batch]:
    current = [g for g in snap.groups.values() if u.id in g.member_ids]
    batches: list[Batch] = []
    for held in sorted(current, key=lambda x: x.name):
        if held.name not in wanted:
            batches.append(Batch("revoke", "group.members.remove", held.name, [email], old_tenant))
    for q in sorted(snap.queues.values(), key=lambda q: q.name):
        if u.id in q.member_ids and q.division_id != target.id:
            batches.append(Batch("revoke", "queue.members.remove", q.name, [email], old_tenant))
    role = {r.id: r.name for r in snap.roles.values()}
    div = {d.id: d.name for d in snap.divisions.values()}
    direct = sorted(
        [role.get(g.role_id, g.role_id), div.get(g.division_id, g.division_id)]
        for g in snap.managed_user_grants(u.id)
        if g.division_id != target.id
        and (role.get(g.role_id, "").lower(), div.get(g.division_id, "").lower()) not in staff
    )
    if direct:
        batches.append(Batch("revoke", "user.grants.remove", email, direct, old_tenant))
    if u.division_id != target.id:
        batches.append(Batch("people", "user.move", division, [email], tenant))
    for gname in wanted:
        if not any(g.name == gname for g in current):
            batches.append(
                Batch("grant", "group.members.add", gname, [email][:GROUP_MEMBERS_PER_CALL], tenant)
            )
    return batches
