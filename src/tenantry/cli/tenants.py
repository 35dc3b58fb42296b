"""`tenantry plan | apply | move | worker`: tenants as code from the command line.

Exit codes: plan 0 (no changes, or changes without --detailed-exitcode), 1 error, 2 changes
with --detailed-exitcode; apply and move 0 done, 1 error or refused; worker 0 on a clean stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from tenantry.cli.render import print_plan, print_result
from tenantry.config import tenants as config_mod
from tenantry.errors import InputError
from tenantry.execution.journal import Journal
from tenantry.genesys import ConfigError, GenesysError
from tenantry.inputs import people as people_mod
from tenantry.planning.plan import Plan
from tenantry.services import tenants as svc
from tenantry.services.runtime import client_for, phase_bars, settings_for, snapshot_with_progress

out = Console()
err = Console(stderr=True, soft_wrap=True)

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="tenants.yaml")]
PeopleOpt = Annotated[Path | None, typer.Option("--people", help="People feed: CSV or JSON lines.")]
ProfileOpt = Annotated[str | None, typer.Option("--profile", "-p", help="Named Genesys profile.")]
TargetOpt = Annotated[str | None, typer.Option("--target", help="Region, domain or base URL.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]
JournalOpt = Annotated[str | None, typer.Option("--journal", help="Journal URL (overrides tenants.yaml).")]
AutoApproveOpt = Annotated[bool, typer.Option("--auto-approve", help="Do not ask for confirmation.")]
OnlyOpt = Annotated[
    list[str] | None,
    typer.Option("--only", help="Plan these people alone (repeatable); everyone else is left as is."),
]


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/red] {escape(message)}")
    return typer.Exit(code)


def _inputs(config: Path | None, people: Path | None) -> tuple[config_mod.Config, list]:
    if config is None:
        raise InputError([config_mod.Problem("tenantry", None, "--config", "tenants.yaml is required")])
    cfg = config_mod.load(config)
    if people is None:
        raise InputError([config_mod.Problem("tenantry", None, "--people", "a people feed is required")])
    return cfg, people_mod.load(people)


def plan_command(
    config: ConfigOpt = None,
    people: PeopleOpt = None,
    output: Annotated[Path | None, typer.Option("--out", "-o", help="Save the plan as JSON.")] = None,
    as_json: JsonOpt = False,
    detailed_exitcode: Annotated[
        bool, typer.Option("--detailed-exitcode", help="Exit 2 when there are changes.")
    ] = False,
    only: OnlyOpt = None,
    profile: ProfileOpt = None,
    target: TargetOpt = None,
    journal: JournalOpt = None,
) -> None:
    """Show what apply would change, per tenant, in the order it would run."""
    try:
        cfg, persons = _inputs(config, people)
        jr = svc.journal_for(cfg, journal)

        async def go() -> Plan:
            async with client_for(settings_for(cfg, profile, target)) as client:
                snap = await snapshot_with_progress(client, err)
            return svc.plan_people(cfg, persons, snap, jr, feed=str(people), only=only)

        plan = asyncio.run(go())
    except InputError as exc:
        raise _fail(str(exc)) from None
    except (ConfigError, GenesysError) as exc:
        raise _fail(str(exc)) from None
    if plan.errors:
        for e in plan.errors:
            err.print(f"[red]error:[/red] {escape(str(e))}")
        raise typer.Exit(1)
    if output:  # signed with this machine's key: `apply` trusts only what tenantry itself planned
        output.write_text(json.dumps(svc.signed(plan.to_json()), indent=1))
    if as_json:
        out.print_json(json.dumps(plan.to_json()))
    else:
        print_plan(out, plan)
        if output:
            out.print(f"Plan saved to {output}; apply it with `tenantry apply {output}`.")
    if detailed_exitcode and plan.changes:
        raise typer.Exit(2)


def apply_command(
    plan_file: Annotated[Path | None, typer.Argument(help="A plan saved by `tenantry plan -o`.")] = None,
    config: ConfigOpt = None,
    people: PeopleOpt = None,
    auto_approve: Annotated[
        bool, typer.Option("--auto-approve", help="Do not ask for confirmation.")
    ] = False,
    allow_mass_revoke: Annotated[
        bool, typer.Option("--allow-mass-revoke", help="Apply a plan above the mass-revoke threshold.")
    ] = False,
    as_json: JsonOpt = False,
    concurrency: Annotated[int, typer.Option(help="Batches in flight at once.")] = 8,
    local_worker: Annotated[
        bool, typer.Option(help="With a PostgreSQL journal, also work in this process.")
    ] = True,
    verify_moves: Annotated[bool, typer.Option("--verify/--no-verify", help="Read movers back.")] = True,
    only: OnlyOpt = None,
    profile: ProfileOpt = None,
    target: TargetOpt = None,
    journal: JournalOpt = None,
    wait: Annotated[
        float, typer.Option("--wait", help="Seconds to wait for another run on this org and journal.")
    ] = 0.0,
) -> None:
    """Apply a fresh plan (after confirmation) or a saved one (refused if the org changed since)."""
    opts = ApplyOptions(
        plan_file,
        config,
        people,
        auto_approve,
        allow_mass_revoke,
        as_json,
        concurrency,
        local_worker,
        verify_moves,
        profile,
        target,
        journal,
        only,
        wait,
    )
    try:
        outcome = asyncio.run(_apply(opts))
    except InputError as exc:
        raise _fail(str(exc)) from None
    except (ConfigError, GenesysError, svc.Refused, svc.Busy, ValueError, TimeoutError) as exc:
        raise _fail(str(exc)) from None
    _report(outcome, as_json)


def _report(outcome: svc.Outcome, as_json: bool, verified: str | None = None) -> None:
    result = outcome.result
    if result is None:
        err.print("Nothing applied.")
        return
    if as_json:
        out.print_json(json.dumps(result.to_json() | {"verify": outcome.wrong}))
    else:
        print_result(out, result)
        if verified is not None:
            out.print(verified if not outcome.wrong else "")
        for w in outcome.wrong:
            out.print(f"[red]verify:[/red] {escape(w)}")
    if not outcome.ok:
        raise typer.Exit(1)


@dataclass(frozen=True)
class ApplyOptions:
    plan_file: Path | None
    config: Path | None
    people: Path | None
    auto_approve: bool
    allow_mass_revoke: bool
    as_json: bool
    concurrency: int
    local_worker: bool
    verify_moves: bool
    profile: str | None
    target: str | None
    journal: str | None
    only: list[str] | None = None
    wait: float = 0.0


def _ask(question: str):
    return lambda _plan: typer.confirm(question, default=False)


async def _apply(o: ApplyOptions) -> svc.Outcome:
    run_id = None
    cfg = config_mod.load(o.config) if o.config else None
    persons = people_mod.load(o.people) if o.people else None
    if o.plan_file is None:
        cfg, persons = _inputs(o.config, o.people)
    elif cfg is None:  # the guard rails come from tenants.yaml, never from the plan file
        raise svc.Refused(f"{o.plan_file}: tenants.yaml (-c) is required to apply a saved plan")
    assert cfg is not None
    jr = svc.journal_for(cfg, o.journal)
    saved = svc.load_saved(o.plan_file) if o.plan_file is not None else None
    async with (
        client_for(settings_for(cfg, o.profile, o.target)) as client,
        svc.run_lock(client, jr, "apply", o.wait),  # held from the snapshot on
    ):
        snap = await snapshot_with_progress(client, err)
        if saved is not None:
            plan = saved
            run_id = await svc.resume_saved(plan, client, jr, str(o.plan_file), snap)
            svc.vet_saved(plan, cfg, snap, jr, people=persons, run_id=run_id)
            if run_id:
                err.print(f"resuming run {run_id} of this plan: batches already done are skipped")
            confirm = None
        else:
            assert persons is not None
            plan = svc.plan_people(cfg, persons, snap, jr, feed=str(o.people), only=o.only)
            if plan.errors:
                raise InputError(plan.errors)
            if not o.as_json:
                print_plan(out, plan)
            confirm = (
                None if o.auto_approve else (lambda _p: typer.confirm("Apply these changes?", default=False))
            )
        with phase_bars(err) as bars:
            return await svc.apply_plan(
                plan,
                client,
                snap,
                jr,
                config=cfg,
                allow_mass_revoke=o.allow_mass_revoke,
                confirm=confirm,
                run_id=run_id,
                concurrency=o.concurrency,
                local_worker=o.local_worker,
                verify_movers=o.verify_moves,
                progress=None if o.as_json else bars,
            )


def move_command(
    email: Annotated[str, typer.Argument(help="The person to move.")],
    to: Annotated[str, typer.Option("--to", help="Tenant key from tenants.yaml.")],
    config: ConfigOpt = None,
    people: PeopleOpt = None,
    auto_approve: Annotated[
        bool, typer.Option("--auto-approve", help="Do not ask for confirmation.")
    ] = False,
    as_json: JsonOpt = False,
    profile: ProfileOpt = None,
    target: TargetOpt = None,
    journal: JournalOpt = None,
) -> None:
    """Move one person to another tenant: revoke first, move, then grant; read back and verify."""
    try:
        if config is None:
            raise InputError(
                [config_mod.Problem("tenantry move", None, "--config", "tenants.yaml is required")]
            )
        cfg = config_mod.load(config)
        person = None
        if people is not None:
            person = next((p for p in people_mod.load(people) if p.email == email.lower()), None)

        async def go() -> svc.Outcome:
            async with client_for(settings_for(cfg, profile, target)) as client:
                snap = await snapshot_with_progress(client, err)

                def confirm(plan: Plan) -> bool:
                    if not as_json:
                        print_plan(out, plan)
                    return auto_approve or typer.confirm(f"Move {email} to {to}?", default=False)

                return await svc.move(
                    cfg, client, svc.journal_for(cfg, journal), email, to, person, snap, confirm=confirm
                )

        outcome = asyncio.run(go())
    except InputError as exc:
        raise _fail(str(exc)) from None
    except (ConfigError, GenesysError, svc.Refused, svc.Busy) as exc:
        raise _fail(str(exc)) from None
    _report(outcome, as_json, verified="[green]verified:[/green] no access outside the new tenant")


def worker_command(
    journal: Annotated[str, typer.Option("--journal", help="postgresql://… journal shared with apply.")],
    concurrency: Annotated[int, typer.Option(help="Batches in flight in this worker.")] = 8,
    name: Annotated[str | None, typer.Option(help="Worker name recorded in the journal.")] = None,
    profile: ProfileOpt = None,
    target: TargetOpt = None,
) -> None:
    """Run batches handed out by `tenantry apply` through PostgreSQL (procrastinate)."""
    from tenantry.execution.distributed import run_worker

    jr = Journal(journal)
    if not jr.is_postgres:
        raise _fail("a worker needs a postgresql:// journal; the SQLite journal runs batches in-process", 2)
    try:
        client = client_for(settings_for(None, profile, target))
    except ConfigError as exc:
        raise _fail(str(exc), 2) from None

    async def go() -> None:
        try:
            await run_worker(client, jr, concurrency=concurrency, name=name)
        finally:
            await client.aclose()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(go())
