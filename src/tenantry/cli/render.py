"""Human output for plans and apply results (rich), the way `terraform plan` reads."""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.text import Text

from tenantry.cli.layout import table_or_list
from tenantry.cli.render_plan import print_details, print_warnings
from tenantry.execution.executor import ApplyResult
from tenantry.planning.plan import Plan

OP_VERB = {
    "division.create": "+ create division",
    "group.create": "+ create group",
    "group.update": "~ enable roles on group",
    "group.grants.add": "+ grant to group",
    "group.grants.remove": "- revoke from group",
    "queue.create": "+ create queue",
    "queue.update": "~ bind groups to queue",
    "queue.move": "~ move queue",
    "client.create": "+ create OAuth client",
    "client.update": "~ update OAuth client",
    "sso.put": "~ set SAML identity provider",
    "group.members.remove": "- remove from group",
    "queue.members.remove": "- remove from queue",
    "user.grants.remove": "- revoke grants of",
    "user.deactivate": "- deactivate leaver",
    "user.create": "+ create user",
    "user.update": "~ update user",
    "user.move": "~ move users to",
    "group.members.add": "+ add to group",
    "queue.members.add": "+ add to queue",
    "user.grants.add": "+ grant to",
    "user.delete": "- delete leaver",
}


SUMMARY_COLUMNS = (
    ("joiners", "joiners"),
    ("movers_in", "movers in"),
    ("movers_out", "movers out"),
    ("leavers", "leavers"),
    ("rejoiners", "re-joiners"),
    ("grants_added", "grants +"),
    ("grants_revoked", "grants −"),
    ("memberships_added", "memberships +"),
    ("memberships_removed", "memberships −"),
    ("blast_radius", "blast radius"),
)


def plan_table(console: Console, plan: Plan) -> RenderableType:
    """Today's counts per tenant: a table when it fits, a list when the terminal is narrow."""
    rows = [
        [key, *(str(s.as_dict()[k]) for k, _ in SUMMARY_COLUMNS)] for key, s in sorted(plan.tenants.items())
    ]
    headers = ["tenant", *(h for _, h in SUMMARY_COLUMNS)]
    return table_or_list(
        console, "Plan per tenant", headers, rows, right=range(1, len(headers)), skip_zero=True
    )


def phase_table(console: Console, plan: Plan, detail: int = 2) -> RenderableType:
    rows: list[list[str | Text]] = []
    for phase, batches in plan.phases():
        by: dict[str, list] = {}
        for b in batches:
            by.setdefault(b.op, []).append(b)
        for op, bs in by.items():
            targets = list(dict.fromkeys(b.target for b in bs))
            examples = ", ".join(targets[:detail]) + (
                f" and {len(targets) - detail} more" if len(targets) > detail else ""
            )
            verb = OP_VERB.get(op, op)
            style = "red" if verb.startswith("-") else "green" if verb.startswith("+") else "yellow"
            rows.append([phase, Text(verb, style=style), str(len(bs)), examples])
    headers = ["phase", "change", "batches", "examples"]
    return table_or_list(
        console, "Changes by phase (in the order they run)", headers, rows, wrap=[3], right=[2]
    )


def print_plan(
    console: Console, plan: Plan, *, summary: bool = False, full: bool = False, verbose: bool = False
) -> None:
    """The plan for review: per tenant who and what changes and why (`summary`: counts only)."""
    print_warnings(console, plan, verbose)
    for n in plan.notes:
        console.print(f"note: {escape(n)}")
    if plan.unmatched:
        names = f": {', '.join(plan.unmatched)}" if verbose else " (-v lists them)"
        console.print(
            f"[yellow]{len(plan.unmatched)} people of the feed match no tenant[/yellow] and hold no "
            f"access; nothing is planned for them{escape(names)}"
        )
    if not plan.changes:
        console.print("[green]No changes.[/green] The org matches tenants.yaml and the people feed.")
        return
    if summary:
        console.print(Group(plan_table(console, plan), phase_table(console, plan)))
    else:
        print_details(console, plan, full=full)
    console.print(
        f"Plan: [bold]{plan.changes}[/bold] batches; access removed from "
        f"{plan.revoked_users} of {plan.managed_users} managed users ({plan.revoke_share():.1%})."
    )


def print_result(console: Console, result: ApplyResult) -> None:
    if result.ok:
        console.print(
            f"[green]Apply complete:[/green] {result.done} batches done, {result.skipped} already done, "
            f"in {result.seconds:.1f} s."
        )
    else:
        console.print(
            f"[red]Apply stopped after phase {result.stopped_after}:[/red] {len(result.failed)} "
            f"batch(es) failed; later phases were not started. Rerun `tenantry apply` to converge."
        )
        for b, err in result.failed[:20]:
            console.print(f"  [red]✗[/red] {b.op} {b.target}: {err}")
    for path in result.secret_files:
        console.print(f"new OAuth client secret written to {path} (mode 600; shown nowhere else)")
