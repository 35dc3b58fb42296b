"""`tenantry retire TENANT`: revoke what a tenant dropped from tenants.yaml still holds.

Its group grants, queue bindings and OAuth client roles go, its people leave its groups and
queues, and its division is emptied (users move to the org's Home) but never deleted. Exit codes
as apply: 0 done (or shown, with --dry-run), 1 error, refusal or a declined prompt.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.markup import escape

from tenantry.cli.common import (
    AutoApproveOpt,
    ConfigOpt,
    Io,
    JournalOpt,
    JsonOpt,
    ProfileOpt,
    TargetOpt,
    VerboseOpt,
    WideOpt,
    required,
)
from tenantry.cli.render import print_plan, print_result
from tenantry.cli.tenants import NO_PROMPT, confirm_with
from tenantry.config import tenants as config_mod
from tenantry.errors import InputError
from tenantry.events.runtime import for_run
from tenantry.genesys import ConfigError, GenesysError
from tenantry.planning.plan import Plan
from tenantry.services import retire as svc_retire
from tenantry.services import tenants as svc
from tenantry.services.runtime import client_for, settings_for, snapshot_with_progress

TenantArg = Annotated[
    str,
    typer.Argument(help="The tenant's key (with a fresh journal: its division's name).", show_default=False),
]
ApplyOpt = Annotated[
    bool, typer.Option("--apply/--dry-run", help="Apply the retirement; by default only show its plan.")
]
MassOpt = Annotated[
    bool, typer.Option("--allow-mass-revoke", help="Apply a plan above the mass-revoke threshold.")
]
WaitOpt = Annotated[
    float, typer.Option("--wait", help="Seconds to wait for another run on this org and journal.")
]


def retire_command(
    tenant: TenantArg,
    config: ConfigOpt = None,
    apply: ApplyOpt = False,
    auto_approve: AutoApproveOpt = False,
    allow_mass_revoke: MassOpt = False,
    as_json: JsonOpt = False,
    wide: WideOpt = False,
    verbose: VerboseOpt = False,
    profile: ProfileOpt = None,
    target: TargetOpt = None,
    journal: JournalOpt = None,
    wait: WaitOpt = 0.0,
) -> None:
    """Retire a tenant no longer in tenants.yaml: revoke its access, empty its division (never deleted)."""
    io = Io(wide, as_json)
    if apply and as_json and not auto_approve:
        raise io.fail(NO_PROMPT)

    async def go(cfg: config_mod.Config) -> tuple[str, svc.Outcome]:
        jr = svc.journal_for(cfg, journal)
        async with (
            client_for(settings_for(cfg, profile, target)) as client,
            svc.run_lock(client, jr, "retire", wait),  # held from the snapshot on
        ):
            snap = await snapshot_with_progress(client, io.err)
            if not apply:
                key, _, plan = svc_retire.plan_retirement(cfg, snap, jr, tenant)
                return key, svc.Outcome(plan, None)
            async with for_run(cfg, jr, persons=[], feed="retire") as sink:
                return await svc_retire.retire(
                    cfg,
                    client,
                    jr,
                    tenant,
                    snap,
                    allow_mass_revoke=allow_mass_revoke,
                    confirm=_confirm(io, tenant, auto_approve, verbose),
                    events=sink,
                )

    try:
        cfg = config_mod.load(required(config, "--config", "tenants.yaml", "tenantry retire"))
        key, outcome = asyncio.run(go(cfg))
    except InputError as exc:
        raise io.input_error(exc) from None
    except (ConfigError, GenesysError, svc.Refused, svc.Busy, ValueError, TimeoutError) as exc:
        raise io.fail(str(exc)) from None
    _report(io, key, outcome, apply=apply, verbose=verbose, source=cfg.where("org")[0])


def _confirm(io: Io, key: str, auto_approve: bool, verbose: bool):
    ask = confirm_with(io, f"Retire tenant {key}?", (False, False, verbose))

    def confirm(plan: Plan) -> bool:
        if auto_approve:
            if not io.as_json:
                print_plan(io.out, plan, verbose=verbose)
            return True
        return ask(plan)

    return confirm


def _report(io: Io, key: str, outcome: svc.Outcome, *, apply: bool, verbose: bool, source: str) -> None:
    plan, result = outcome.plan, outcome.result
    advice = f"add {key} to org.retired_tenants in {source} so later plans agree"
    if not apply:
        if io.as_json:
            io.emit(plan.to_json() | {"tenant": key})
        else:
            print_plan(io.out, plan, verbose=verbose)
            if plan.changes:
                io.out.print(f"Dry run: nothing applied; rerun with --apply to retire {escape(key)}.")
        return
    if result is None:
        raise io.fail("declined: nothing applied")
    if io.as_json:
        io.emit(result.to_json() | {"tenant": key, "verify": outcome.wrong, "next": advice})
    else:
        print_result(io.out, result)
        for w in outcome.wrong:
            io.out.print(f"[red]verify:[/red] {escape(w)}")
        if outcome.ok:
            io.out.print(
                f"Tenant {escape(key)} is retired; its division is kept, empty. Now {escape(advice)}."
            )
    if not outcome.ok:
        raise typer.Exit(1)
