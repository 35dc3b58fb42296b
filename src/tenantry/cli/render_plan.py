"""A plan a person can approve: per tenant, each object and each person with +/-/~ and the reason.

Grants read `role @ division`, memberships `group NAME` / `queue NAME`; a person's line says why
the plan touches them (rule matched and feed row, mover from → to, leaver). Long lists collapse
to a count unless `--full`. Only plan data is used, so a saved plan renders exactly the same.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from tenantry.planning.plan import Batch, Plan
from tenantry.services.reasons import people_of

NO_TENANT = "(outside every tenant)"
ORG = "(org-wide)"
LIMIT = 10
STYLE = {"+": "green", "-": "red", "~": "yellow"}
COUNTS = (
    ("joiners", "joiners"),
    ("movers_in", "movers in"),
    ("movers_out", "movers out"),
    ("leavers", "leavers"),
    ("rejoiners", "re-joiners"),
    ("grants_added", "grants added"),
    ("grants_revoked", "grants revoked"),
    ("memberships_added", "memberships added"),
    ("memberships_removed", "memberships removed"),
)
# the op that decides which tenant a person is listed under, strongest first
_HOME_OPS = ("user.move", "user.create", "user.update", "user.deactivate", "user.delete")
_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")


@dataclass
class PersonView:
    changes: list[str] = field(default_factory=list)
    ops: set[str] = field(default_factory=set)
    tenant: str | None = None

    @property
    def sign(self) -> str:
        if self.ops & {"user.create"}:
            return "+"
        if self.ops & {"user.deactivate", "user.delete"}:
            return "-"
        signs = {c[0] for c in self.changes}
        return signs.pop() if len(signs) == 1 else "~"


@dataclass
class TenantView:
    objects: list[str] = field(default_factory=list)
    people: dict[str, PersonView] = field(default_factory=dict)


def grant(pair: list | tuple) -> str:
    return f"{pair[0]} @ {pair[1]}"


def object_line(b: Batch) -> str:
    """One line for a change to a shared object (division, group, queue, client, SSO)."""
    payload = b.items[0] if b.items and isinstance(b.items[0], dict) else {}
    if b.op in ("group.grants.add", "group.grants.remove"):
        pairs = ", ".join(grant(g) for g in b.items)
        return (
            f"+ {pairs} to group {b.target}" if b.op.endswith("add") else f"- {pairs} from group {b.target}"
        )
    groups = ", ".join(payload.get("groups", [])) or "none"
    grants = ", ".join(grant(g) for g in payload.get("grants", []))
    text = {
        "division.create": f"+ division {b.target}",
        "group.create": f"+ group {b.target}",
        "group.update": f"~ group {b.target}: enable roles",
        "queue.create": f"+ queue {b.target} (groups: {groups})",
        "queue.update": f"~ queue {b.target}: member groups → {groups}",
        "queue.move": f"~ queue {', '.join(map(str, b.items))} moved to division {b.target}",
        "client.create": f"+ OAuth client {b.target}: {grants}",
        "client.update": f"~ OAuth client {b.target}: roles → {grants}",
        "sso.put": f"~ SAML identity provider {b.target}",
    }.get(b.op)
    return text or f"~ {b.op} {b.target}"


def person_changes(b: Batch) -> list[str]:
    payload = b.items[0] if b.items and isinstance(b.items[0], dict) else {}
    if b.op == "user.create":
        return [f"+ user in {payload.get('division', '?')}"]
    if b.op == "user.update":
        if payload.get("state") == "active":
            return ["+ reactivate"]
        return ["~ " + ", ".join(f"{k} → {v}" for k, v in payload.items())]
    if b.op in ("user.grants.add", "user.grants.remove"):
        sign = "+" if b.op.endswith("add") else "-"
        return [f"{sign} {grant(g)}" for g in b.items]
    return [
        {
            "user.move": f"~ move to division {b.target}",
            "user.deactivate": "- deactivate",
            "user.delete": "- delete",
            "group.members.add": f"+ group {b.target}",
            "group.members.remove": f"- group {b.target}",
            "queue.members.add": f"+ queue {b.target}",
            "queue.members.remove": f"- queue {b.target}",
        }.get(b.op, f"~ {b.op} {b.target}")
    ]


def view(plan: Plan) -> dict[str, TenantView]:
    """The plan regrouped by tenant: objects, then people with their changes."""
    divisions = {k.lower(): v for k, v in plan.settings.get("tenant_divisions", {}).items()}
    tenants: dict[str, TenantView] = defaultdict(TenantView)
    people: dict[str, PersonView] = defaultdict(PersonView)
    homes: dict[str, dict[str, str | None]] = defaultdict(dict)
    for b in plan.batches:
        emails = people_of(b)
        if not emails:
            tenants[b.tenant or ORG].objects.append(object_line(b))
            continue
        tenant = b.tenant
        if tenant is None and b.op.startswith("user.grants"):
            tenant = next(
                (divisions[str(g[1]).lower()] for g in b.items if str(g[1]).lower() in divisions), None
            )
        for e in emails:
            p = people[e]
            p.ops.add(b.op)
            p.changes += person_changes(b)
            homes[e].setdefault(b.op, tenant)
    for e, p in people.items():
        h = homes[e]
        op = next((o for o in _HOME_OPS if o in h), None)
        p.tenant = h[op] if op else next((t for t in h.values() if t), None)
        tenants[p.tenant or NO_TENANT].people[e] = p
    for key in plan.tenants:
        tenants.setdefault(key, TenantView())
    return dict(sorted(tenants.items(), key=lambda kv: (kv[0].startswith("("), kv[0])))


def counts_text(plan: Plan, key: str) -> str:
    s = plan.tenants.get(key)
    if s is None:
        return ""
    d = s.as_dict()
    parts = [f"{d[k]} {label}" for k, label in COUNTS if d.get(k)]
    radius = f"blast radius {d['blast_radius']} people"
    return (", ".join(parts) + "; " + radius) if parts else radius


def summarise_warnings(warnings: list[str], verbose: bool = False, keep: int = 3) -> list[str]:
    """Warnings of one kind (the same sentence about different people) become one line with a count."""
    if verbose:
        return list(warnings)
    kinds: dict[str, list[str]] = {}
    for w in warnings:
        kinds.setdefault(_EMAIL.sub("…", w), []).append(w)
    out = []
    for kind, ws in kinds.items():
        if len(ws) <= keep:
            out += ws
        else:
            out.append(f"{len(ws)} people: {kind.replace('…', '<person>')} (names with -v)")
    return out


def _line(console: Console, text: str, indent: int, style: str | None = None) -> None:
    """`text` at `indent`; wrapped lines hang under the text after a leading +/-/~ sign."""
    sign = text[:2] if text[:2] in ("+ ", "- ", "~ ") else ""
    grid = Table.grid(padding=0)
    grid.add_column(width=indent + len(sign), no_wrap=True)
    grid.add_column(overflow="fold")
    style = style or STYLE.get(text[:1], "")
    grid.add_row(Text(" " * indent + sign, style=style), Text(text[len(sign) :], style=style))
    console.print(grid)


def print_tenant(console: Console, plan: Plan, key: str, tv: TenantView, full: bool) -> None:
    head = Text.assemble(("tenant ", "bold"), (key, "bold cyan"))
    if counts := counts_text(plan, key):
        head.append(f" — {counts}")
    console.print(head)
    if not tv.objects and not tv.people:
        _line(console, "no changes", 2, "dim")
        return
    shown = tv.objects if full else tv.objects[:LIMIT]
    for line in shown:
        _line(console, line, 2)
    if len(tv.objects) > len(shown):
        _line(console, f"… and {len(tv.objects) - len(shown)} more objects (--full lists them)", 2, "dim")
    emails = sorted(tv.people, key=lambda e: ("+-~".index(tv.people[e].sign), e))
    for e in emails if full else emails[:LIMIT]:
        p = tv.people[e]
        reason = plan.reasons.get(e, "")
        _line(console, f"{p.sign} {e}" + (f" — {reason}" if reason else ""), 2, STYLE[p.sign])
        _line(console, "; ".join(dict.fromkeys(p.changes)), 6, "default")
    if not full and len(emails) > LIMIT:
        _line(console, f"… and {len(emails) - LIMIT} more people (--full lists them)", 2, "dim")


def print_details(console: Console, plan: Plan, *, full: bool = False) -> None:
    for key, tv in view(plan).items():
        print_tenant(console, plan, key, tv, full)


def blast_radius(plan: Plan) -> str:
    """One line for the confirmation prompt: who is affected, per tenant."""
    parts = [f"{k} {s.as_dict()['blast_radius']}" for k, s in sorted(plan.tenants.items()) if s.affected]
    return "people affected per tenant: " + (", ".join(parts) if parts else "none")


def print_warnings(console: Console, plan: Plan, verbose: bool = False) -> None:
    for w in summarise_warnings(plan.warnings, verbose):
        console.print(f"[yellow]warning:[/yellow] {escape(w)}", soft_wrap=False)
