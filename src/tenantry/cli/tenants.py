"""`tenantry plan | apply | move | worker`: tenants as code from the command line.

Exit codes: plan 0 (no changes, or changes without --detailed-exitcode), 1 error, 2 changes
with --detailed-exitcode; apply and move 0 done, 1 error or refused; worker 0 on a clean stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from tenantry.cli.events import LogFormatOpt, MetricsFileOpt, observed
from tenantry.cli.render import print_plan, print_result
from tenantry.config import tenants as config_mod
from tenantry.errors import InputError
from tenantry.events import metrics
from tenantry.execution.executor import ApplyResult, Context, Guard, Resolver, execute, plan_id
from tenantry.execution.journal import Journal
from tenantry.genesys import ConfigError, GenesysError
from tenantry.inputs import people as people_mod
from tenantry.planning.desired import build
from tenantry.planning.moves import plan_move, verify
from tenantry.planning.plan import Plan, diff, fingerprint
from tenantry.services.runtime import client_for, phase_bars, settings_for, snapshot_with_progress

out = Console()
err = Console(stderr=True, soft_wrap=True)

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="tenants.yaml")]
PeopleOpt = Annotated[Path | None, typer.Option("--people", help="People feed: CSV or JSON lines.")]
ProfileOpt = Annotated[str | None, typer.Option("--profile", "-p", help="Named Genesys profile.")]
TargetOpt = Annotated[str | None, typer.Option("--target", help="Region, domain or base URL.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]
JournalOpt = Annotated[str | None, typer.Option("--journal", help="Journal URL (overrides tenants.yaml).")]


class Refused(Exception):
    """Nothing was done: the sentence says why."""


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


async def _plan(cfg, persons, feed: str, journal: Journal, profile, target) -> tuple[Plan, object, object]:
    settings = settings_for(cfg, profile, target)
    client = client_for(settings)
    snap = await snapshot_with_progress(client, err)
    desired = build(cfg, persons, feed)
    from tenantry.events.runtime import observe_desired

    observe_desired(desired)
    metrics.track_client(client)
    plan = diff(cfg, desired, snap, leaver_since=journal.leaver_since(), now=time.time())
    return plan, client, snap


def plan_command(
    config: ConfigOpt = None,
    people: PeopleOpt = None,
    output: Annotated[Path | None, typer.Option("--out", "-o", help="Save the plan as JSON.")] = None,
    as_json: JsonOpt = False,
    detailed_exitcode: Annotated[
        bool, typer.Option("--detailed-exitcode", help="Exit 2 when there are changes.")
    ] = False,
    profile: ProfileOpt = None,
    target: TargetOpt = None,
    journal: JournalOpt = None,
    metrics_file: MetricsFileOpt = None,
    log_format: LogFormatOpt = None,
) -> None:
    """Show what apply would change, per tenant, in the order it would run."""
    try:
        cfg, persons = _inputs(config, people)
        jr = Journal(journal or cfg.org.journal)

        async def go() -> Plan:
            plan, client, _ = await _plan(cfg, persons, str(people), jr, profile, target)
            await client.aclose()
            return plan

        with observed(metrics_file, log_format):
            plan = asyncio.run(go())
    except InputError as exc:
        raise _fail(str(exc)) from None
    except (ConfigError, GenesysError) as exc:
        raise _fail(str(exc)) from None
    if plan.errors:
        for e in plan.errors:
            err.print(f"[red]error:[/red] {escape(str(e))}")
        raise typer.Exit(1)
    if output:
        output.write_text(json.dumps(plan.to_json(), indent=1))
    if as_json:
        out.print_json(json.dumps(plan.to_json()))
    else:
        print_plan(out, plan)
        if output:
            out.print(f"Plan saved to {output}; apply it with `tenantry apply {output}`.")
    if detailed_exitcode and plan.changes:
        raise typer.Exit(2)


def _guard(plan: Plan) -> Guard:
    s = plan.settings
    return Guard(frozenset(s.get("org_admins", ())), frozenset(s.get("protected", ())))


async def _execute(
    plan: Plan,
    client,
    snap,
    jr: Journal,
    *,
    run_id=None,
    concurrency: int,
    local_worker: bool,
    quiet: bool,
    events=None,
) -> ApplyResult:
    guard = _guard(plan)
    metrics.track_client(client)
    with phase_bars(err) as bars:
        if jr.is_postgres:
            from tenantry.execution.distributed import execute_distributed

            since = time.time()
            result = await execute_distributed(
                plan,
                jr,
                guard,
                run_id=run_id,
                progress=None if quiet else bars,
                local=(client, concurrency) if local_worker else None,
            )
            if events is not None:  # workers ran the batches: their events come from the journal
                events.applied_from_journal(plan, jr.batch_rows(result.run_id), Resolver(client, snap), since)
            return result
        ctx = Context(client, Resolver(client, snap), jr, guard, Path("tenantry-secrets"), events=events)
        return await execute(
            plan, ctx, run_id=run_id, concurrency=concurrency, progress=None if quiet else bars
        )


def _check_mass_revoke(plan: Plan, allow: bool) -> None:
    threshold = plan.settings.get("mass_revoke_threshold", 0.10)
    if plan.revoke_share() > threshold and not allow:
        raise Refused(
            f"this plan removes access from {plan.revoked_users} of {plan.managed_users} managed users "
            f"({plan.revoke_share():.0%}, above the {threshold:.0%} threshold); review it and rerun with "
            "--allow-mass-revoke"
        )


def apply_command(
    plan_file: Annotated[Path | None, typer.Argument(help="A plan saved by `tenantry plan -o`.")] = None,
    config: ConfigOpt = None,
    people: PeopleOpt = None,
    auto_approve: Annotated[
        bool, typer.Option("--auto-approve", help="Do not ask for confirmation.")
    ] = False,
    allow_mass_revoke: Annotated[bool, typer.Option("--allow-mass-revoke")] = False,
    as_json: JsonOpt = False,
    concurrency: Annotated[int, typer.Option(help="Batches in flight at once.")] = 8,
    local_worker: Annotated[
        bool, typer.Option(help="With a PostgreSQL journal, also work in this process.")
    ] = True,
    verify_moves: Annotated[bool, typer.Option("--verify/--no-verify", help="Read movers back.")] = True,
    profile: ProfileOpt = None,
    target: TargetOpt = None,
    journal: JournalOpt = None,
    metrics_file: MetricsFileOpt = None,
    log_format: LogFormatOpt = None,
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
    )
    try:
        with observed(metrics_file, log_format):
            result, moved_wrong = asyncio.run(_apply(opts))
    except InputError as exc:
        raise _fail(str(exc)) from None
    except (ConfigError, GenesysError, Refused, ValueError, TimeoutError) as exc:
        raise _fail(str(exc)) from None
    if result is None:
        return
    if as_json:
        out.print_json(json.dumps(result.to_json() | {"verify": moved_wrong}))
    else:
        print_result(out, result)
        for w in moved_wrong:
            out.print(f"[red]verify:[/red] {escape(w)}")
    if not result.ok or moved_wrong:
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


async def _apply(o: ApplyOptions) -> tuple[ApplyResult | None, list[str]]:
    plan_file, config, people, journal, profile, target = (
        o.plan_file,
        o.config,
        o.people,
        o.journal,
        o.profile,
        o.target,
    )
    run_id = None
    cfg, persons = None, []
    if plan_file is not None:
        try:
            plan = Plan.from_json(json.loads(plan_file.read_text()))
        except (OSError, ValueError, KeyError) as exc:
            raise Refused(f"{plan_file}: not a tenantry plan ({exc})") from None
        cfg = config_mod.load(config) if config else None
        jr = Journal(journal or plan.settings.get("journal") or "sqlite:///tenantry.db")
        client = client_for(settings_for(cfg, profile, target))
        snap = await snapshot_with_progress(client, err)
        run_id = jr.unfinished_run(plan_id(plan))
        if run_id is None and plan.fingerprint and plan.fingerprint != fingerprint(snap):
            await client.aclose()
            raise Refused(f"the org changed since {plan_file} was planned; run `tenantry plan` again")
        if run_id:
            err.print(f"resuming run {run_id} of this plan: batches already done are skipped")
    else:
        cfg, persons = _inputs(config, people)
        jr = Journal(journal or cfg.org.journal)
        plan, client, snap = await _plan(cfg, persons, str(people), jr, profile, target)
        if plan.errors:
            await client.aclose()
            raise InputError(plan.errors)
        if not o.as_json:
            print_plan(out, plan)
        if not plan.changes:
            await client.aclose()
            return ApplyResult(run_id="", done=0), []
        _check_mass_revoke(plan, o.allow_mass_revoke)
        if not o.auto_approve and not typer.confirm("Apply these changes?", default=False):
            await client.aclose()
            err.print("Nothing applied.")
            return None, []
    if plan_file is not None:
        _check_mass_revoke(plan, o.allow_mass_revoke)
    jr.mark_interrupted()
    from tenantry.events.runtime import for_run

    try:
        async with for_run(cfg, jr, persons=persons, feed=str(people)) as sink:
            result = await _execute(
                plan,
                client,
                snap,
                jr,
                run_id=run_id,
                concurrency=o.concurrency,
                local_worker=o.local_worker,
                quiet=o.as_json,
                events=sink,
            )
        counters = client.metrics.snapshot()
        keep = ("total_calls", "total_retries", "rate_limited", "tokens_minted")
        result.client = {k: counters[k] for k in keep}
        moved = {e: b.target for b in plan.batches if b.op == "user.move" for e in b.items}
        wrong: list[str] = []
        if o.verify_moves and moved and result.ok:
            from tenantry.genesys.snapshot import read_snapshot

            wrong = verify(await read_snapshot(client), moved)
    finally:
        await client.aclose()
    return result, wrong


def move_command(
    email: Annotated[str, typer.Argument(help="The person to move.")],
    to: Annotated[str, typer.Option("--to", help="Tenant key from tenants.yaml.")],
    config: ConfigOpt = None,
    people: PeopleOpt = None,
    auto_approve: Annotated[bool, typer.Option("--auto-approve")] = False,
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
        result, wrong = asyncio.run(
            _move(cfg, email, to, person, auto_approve, as_json, profile, target, journal)
        )
    except InputError as exc:
        raise _fail(str(exc)) from None
    except (ConfigError, GenesysError, Refused) as exc:
        raise _fail(str(exc)) from None
    if result is None:
        return
    if as_json:
        out.print_json(json.dumps(result.to_json() | {"verify": wrong}))
    else:
        print_result(out, result)
        out.print("[green]verified:[/green] no access outside the new tenant" if not wrong else "")
        for w in wrong:
            out.print(f"[red]verify:[/red] {escape(w)}")
    if not result.ok or wrong:
        raise typer.Exit(1)


async def _move(cfg, email, to, person, auto_approve, as_json, profile, target, journal):
    client = client_for(settings_for(cfg, profile, target))
    try:
        snap = await snapshot_with_progress(client, err)
        plan = plan_move(cfg, snap, email, to, person)
        if plan.errors:
            raise InputError(plan.errors)
        if not as_json:
            print_plan(out, plan)
        if not plan.changes:
            return ApplyResult(run_id=""), []
        if not auto_approve and not typer.confirm(f"Move {email} to {to}?", default=False):
            return None, []
        jr = Journal(journal or cfg.org.journal)
        from tenantry.events.runtime import for_run

        async with for_run(cfg, jr, persons=[person] if person else [], feed="move") as sink:
            ctx = Context(
                client, Resolver(client, snap), jr, _guard(plan), Path("tenantry-secrets"), events=sink
            )
            result = await execute(plan, ctx)
        from tenantry.genesys.snapshot import read_snapshot

        division = cfg.tenants[to].division
        wrong = verify(await read_snapshot(client), {email: division}) if result.ok else []
        return result, wrong
    finally:
        await client.aclose()


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
