"""Why a plan changes each person: the rule matched, the feed row, mover from → to, leaver.

Pure. Filled into `Plan.reasons` (email → one sentence) after planning, so that a reviewer, and
`tenantry show plan.json` later, can tell why each person is on the list. `tenant_divisions`
(division → tenant) goes into the plan's settings so a saved plan can file grants by tenant.
"""

from __future__ import annotations

from pathlib import Path

from tenantry.config.tenants import Config, Match, Rule
from tenantry.domain.model import Snapshot
from tenantry.inputs.people import Person
from tenantry.planning.plan import Batch, Plan

PEOPLE_ITEMS = frozenset(
    {"group.members.add", "group.members.remove", "queue.members.add", "queue.members.remove", "user.move"}
)


def people_of(b: Batch) -> list[str]:
    """The people (emails) a batch changes."""
    if b.op in PEOPLE_ITEMS:
        return [str(e).lower() for e in b.items]
    if b.op.startswith("user."):
        return [b.target.lower()]
    return []


def _match_text(m: Match) -> str:
    if m.equals is not None:
        return m.equals
    if m.one_of is not None:
        return "[" + ", ".join(m.one_of) + "]"
    if m.pattern is not None:
        return f"/{m.pattern}/"
    return f"contains {m.contains}"


def rule_text(rule: Rule) -> str:
    """A membership rule in one line: `client=ACME, site in [MNL, CEB]`, `title=/(?i)lead/`."""
    parts = [f"idp_group={rule.idp_group}"] if rule.idp_group else []
    parts += [
        f"{k} in {_match_text(m)}" if m.one_of else f"{k}={_match_text(m)}"
        for k, m in rule.attributes.items()
    ]
    return ", ".join(parts)


def matched_rule(config: Config, p: Person) -> tuple[str, str] | None:
    """(tenant key, the first of its rules that selects `p`)."""
    attrs = p.attrs()
    for key, t in config.tenants.items():
        for rule in t.members:
            if rule.test(attrs, p.idp_groups):
                return key, rule_text(rule)
    return None


def _why(email: str, ops: set[str], p: Person | None, ctx: _Ctx) -> str:
    row = f"{ctx.feed}:{p.line}" if p is not None else ""
    hit = matched_rule(ctx.config, p) if p is not None and p.active else None
    basis = ", ".join(x for x in (row, f"rule {hit[1]}" if hit else "") if x)
    if "user.deactivate" in ops or (p is not None and not p.active):
        return f"leaver: {row} says status {p.status}" if p is not None else "leaver"
    if "user.delete" in ops:
        return f"leaver past the {ctx.config.org.leaver_retention_days}-day retention"
    if "user.create" in ops:
        return f"joiner: {basis}"
    if "user.move" in ops:
        return f"mover {ctx.division_of.get(email, '?')} → {ctx.moved_to.get(email, '?')}: {basis}"
    if ctx.rejoined.get(email):
        return f"re-joiner: {basis}"
    if email in ctx.staff and not hit:
        return f"staff entry of {', '.join(sorted(ctx.staff[email]))}"
    if p is None:
        return "not in the people feed"
    if hit is None:
        return f"matches no tenant's rules: {row}"
    return basis


class _Ctx:
    def __init__(self, config: Config, snap: Snapshot, feed: str, plan: Plan) -> None:
        self.config, self.feed = config, feed
        div_name = {d.id: d.name for d in snap.divisions.values()}
        self.division_of = {u.email.lower(): div_name.get(u.division_id, "?") for u in snap.users.values()}
        self.moved_to = {e: b.target for b in plan.batches if b.op == "user.move" for e in b.items}
        self.rejoined = {
            b.target: True
            for b in plan.batches
            if b.op == "user.update"
            and any(isinstance(i, dict) and i.get("state") == "active" for i in b.items)
        }
        self.staff: dict[str, set[str]] = {}
        for key, t in config.tenants.items():
            for s in t.staff:
                self.staff.setdefault(s.email, set()).add(key)


def annotate(plan: Plan, config: Config, people: list[Person], snap: Snapshot, feed: str) -> Plan:
    """Fill `plan.reasons` and `plan.settings["tenant_divisions"]`; returns the same plan."""
    ctx = _Ctx(config, snap, Path(feed).name, plan)
    by_email = {p.email: p for p in people}
    ops: dict[str, set[str]] = {}
    for b in plan.batches:
        for e in people_of(b):
            ops.setdefault(e, set()).add(b.op)
    plan.reasons = {e: _why(e, o, by_email.get(e), ctx) for e, o in sorted(ops.items())}
    plan.settings["tenant_divisions"] = {t.division: key for key, t in config.tenants.items()}
    return plan
