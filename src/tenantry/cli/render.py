"""Human output for plans and apply results (rich), the way `terraform plan` reads."""

from __future__ import annotations

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

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


def plan_table(plan: Plan) -> Table:
    t = Table(title="Plan per tenant", title_justify="left")
    for col in (
        "tenant",
        "joiners",
        "movers in",
        "movers out",
        "leavers",
        "re-joiners",
        "grants +",
        "grants −",
        "memberships +",
        "memberships −",
        "blast radius",
    ):
        t.add_column(col, justify="left" if col == "tenant" else "right")
    for key, s in sorted(plan.tenants.items()):
        d = s.as_dict()
        t.add_row(
            key,
            *(
                str(d[k])
                for k in (
                    "joiners",
                    "movers_in",
                    "movers_out",
                    "leavers",
                    "rejoiners",
                    "grants_added",
                    "grants_revoked",
                    "memberships_added",
                    "memberships_removed",
                    "blast_radius",
                )
            ),
        )
    return t


def phase_table(plan: Plan, detail: int = 2) -> Table:
    t = Table(title="Changes by phase (in the order they run)", title_justify="left")
    t.add_column("phase")
    t.add_column("change")
    t.add_column("batches", justify="right")
    t.add_column("examples")
    for phase, batches in plan.phases():
        by: dict[str, list] = {}
        for b in batches:
            by.setdefault(b.op, []).append(b)
        for op, bs in by.items():
            targets = list(dict.fromkeys(b.target for b in bs))
            examples = ", ".join(targets[:detail]) + (" …" if len(targets) > detail else "")
            style = (
                "red"
                if OP_VERB.get(op, "").startswith("-")
                else "green"
                if OP_VERB.get(op, "").startswith("+")
                else "yellow"
            )
            t.add_row(phase, Text(OP_VERB.get(op, op), style=style), str(len(bs)), examples)
    return t


def print_plan(console: Console, plan: Plan, verbose: bool = False) -> None:
    for w in plan.warnings:
        console.print(f"[yellow]warning:[/yellow] {w}")
    for n in plan.notes:
        console.print(f"note: {n}")
    if plan.unmatched:
        names = f": {', '.join(plan.unmatched)}" if verbose else " (-v lists them)"
        console.print(
            f"[yellow]{len(plan.unmatched)} people of the feed match no tenant[/yellow] and hold no "
            f"access; nothing is planned for them{names}"
        )
    if not plan.changes:
        console.print("[green]No changes.[/green] The org matches tenants.yaml and the people feed.")
        return
    console.print(Group(plan_table(plan), phase_table(plan)))
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
