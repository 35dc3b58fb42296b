"""`tenantry plan | show | apply | move | worker`: tenants as code from the command line.

Exit codes: plan 0 (no changes, or changes without --detailed-exitcode), 1 error, 2 changes
with --detailed-exitcode; show 0, 1 not a plan; apply and move 0 done, 1 error, refusal or a
declined prompt ("nothing applied"); worker 0 on a clean stop, 2 no PostgreSQL journal or
credentials.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from tenantry.cli.common import (
    AutoApproveOpt,
    ConfigOpt,
    Io,
    JournalOpt,
    JsonOpt,
    LogFormatOpt,
    MetricsFileOpt,
    PeopleOpt,
    ProfileOpt,
    TargetOpt,
    VerboseOpt,
    WideOpt,
    required,
)
from tenantry.cli.events import observed
from tenantry.cli.render import print_plan, print_result
from tenantry.cli.render_plan import blast_radius
from tenantry.config import tenants as config_mod
from tenantry.errors import InputError, Problem
from tenantry.events import metrics
from tenantry.events.runtime import for_run
from tenantry.execution.journal import Journal
from tenantry.genesys import ConfigError, GenesysError
from tenantry.inputs import people as people_mod
from tenantry.planning.plan import Plan
from tenantry.services import tenants as svc
from tenantry.services.reasons import annotate
from tenantry.services.runtime import client_for, phase_bars, settings_for, snapshot_with_progress

OnlyOpt = Annotated[
    list[str] | None,
    typer.Option("--only", help="Plan these people alone (repeatable); everyone else is left as is."),
]
SummaryOpt = Annotated[bool, typer.Option("--summary", help="Counts per tenant and phase instead of names.")]
FullOpt = Annotated[bool, typer.Option("--full", help="List every person and object; no collapsing.")]
NO_PROMPT = "--json never prompts: add --auto-approve to apply without confirmation"


class Declined(Exception):
    """The operator answered no: nothing was applied."""


def _inputs(
    config: Path | None, people: Path | None, journal: str | None = None
) -> tuple[config_mod.Config, list]:
    cfg = config_mod.load(required(config, "--config", "tenants.yaml"))
    feed = required(people, "--people", "a people feed")
    if str(feed).startswith("scim:"):  # a SCIM source of `tenantry serve` as the feed
        from tenantry.bridge.feed import scim_people

        return cfg, scim_people(cfg, str(feed), journal)
    return cfg, people_mod.load(feed)


def _guarded(io: Io, work):
    """Run `work()`, turning every expected failure into the error contract (exit 1)."""
    try:
        return work()
    except InputError as exc:
        raise io.input_error(exc) from None
    except Declined:
        raise io.fail("declined: nothing applied") from None
    except (ConfigError, GenesysError, svc.Refused, svc.Busy, ValueError, TimeoutError) as exc:
        raise io.fail(str(exc)) from None


def plan_command(
    config: ConfigOpt = None,
    people: PeopleOpt = None,
    output: Annotated[Path | None, typer.Option("--out", "-o", help="Save the plan as JSON.")] = None,
    as_json: JsonOpt = False,
    detailed_exitcode: Annotated[
        bool, typer.Option("--detailed-exitcode", help="Exit 2 when there are changes.")
    ] = False,
    only: OnlyOpt = None,
    summary: SummaryOpt = False,
    full: FullOpt = False,
    wide: WideOpt = False,
    verbose: VerboseOpt = False,
    profile: ProfileOpt = None,
    target: TargetOpt = None,
    journal: JournalOpt = None,
    metrics_file: MetricsFileOpt = None,
    log_format: LogFormatOpt = None,
) -> None:
    """Show what apply would change: per tenant, who and what, and why."""
    io = Io(wide, as_json)
    if output is not None and not output.parent.is_dir():
        raise io.fail(f"cannot write {output}: folder {output.parent} does not exist")

    def work() -> Plan:
        cfg, persons = _inputs(config, people, journal)
        jr = svc.journal_for(cfg, journal)

        async def go() -> Plan:
            async with client_for(settings_for(cfg, profile, target)) as client:
                snap = await snapshot_with_progress(client, io.err)
            plan = svc.plan_people(cfg, persons, snap, jr, feed=str(people), only=only)
            return annotate(plan, cfg, persons, snap, str(people))

        with observed(metrics_file, log_format):
            plan = asyncio.run(go())
        if plan.errors:
            raise InputError(plan.errors)
        return plan

    plan = _guarded(io, work)
    if output:
        # signed with this machine's key: `apply` trusts only what tenantry itself planned
        output.write_text(json.dumps(svc.signed(plan.to_json()), indent=1))
    if as_json:
        io.emit(plan.to_json())
    else:
        print_plan(io.out, plan, summary=summary, full=full, verbose=verbose)
        if output:
            io.out.print(
                f"Plan saved to {escape(str(output))}; apply it with `tenantry apply {escape(str(output))}`."
            )
    if detailed_exitcode and plan.changes:
        raise typer.Exit(2)


def show_command(
    plan_file: Annotated[Path, typer.Argument(help="A plan saved by `tenantry plan -o`.")],
    as_json: JsonOpt = False,
    summary: SummaryOpt = False,
    full: FullOpt = False,
    wide: WideOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Render a saved plan exactly as `tenantry plan` showed it."""
    io = Io(wide, as_json)
    plan = _guarded(io, lambda: _load_saved(plan_file))
    if as_json:
        io.emit(plan.to_json())
    else:
        print_plan(io.out, plan, summary=summary, full=full, verbose=verbose)


def apply_command(
    plan_file: Annotated[Path | None, typer.Argument(help="A plan saved by `tenantry plan -o`.")] = None,
    config: ConfigOpt = None,
    people: PeopleOpt = None,
    auto_approve: AutoApproveOpt = False,
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
    summary: SummaryOpt = False,
    full: FullOpt = False,
    wide: WideOpt = False,
    verbose: VerboseOpt = False,
    profile: ProfileOpt = None,
    target: TargetOpt = None,
    journal: JournalOpt = None,
    metrics_file: MetricsFileOpt = None,
    log_format: LogFormatOpt = None,
    wait: Annotated[
        float, typer.Option("--wait", help="Seconds to wait for another run on this org and journal.")
    ] = 0.0,
) -> None:
    """Apply a fresh plan (after confirmation) or a saved one (refused if the org changed since)."""
    io = Io(wide, as_json)
    if as_json and not auto_approve and plan_file is None:
        raise io.fail(NO_PROMPT)
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
        (summary, full, verbose),
        wait,
    )
    with observed(metrics_file, log_format):
        outcome = _guarded(io, lambda: asyncio.run(_apply(opts, io)))
    _report(io, outcome)


def _report(io: Io, outcome: svc.Outcome, verified: str | None = None) -> None:
    result = outcome.result
    if result is None:
        raise io.fail("declined: nothing applied")
    if io.as_json:
        io.emit(result.to_json() | {"verify": outcome.wrong})
    else:
        print_result(io.out, result)
        if verified is not None and not outcome.wrong:
            io.out.print(verified)
        for w in outcome.wrong:
            io.out.print(f"[red]verify:[/red] {escape(w)}")
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
    view: tuple[bool, bool, bool] = (False, False, False)  # summary, full, verbose
    wait: float = 0.0


def confirm_with(io: Io, question: str, view: tuple[bool, bool, bool]):
    """The prompt: the plan, the blast radius per tenant, then the question (to stderr)."""

    def confirm(plan: Plan) -> bool:
        summary, full, verbose = view
        print_plan(io.out, plan, summary=summary, full=full, verbose=verbose)
        io.err.print(blast_radius(plan))
        return typer.confirm(question, default=False, err=True)

    return confirm


def _load_saved(plan_file: Path) -> Plan:
    return svc.load_saved(plan_file)


async def _apply(o: ApplyOptions, io: Io) -> svc.Outcome:
    run_id = None
    cfg = config_mod.load(o.config) if o.config else None
    persons: list | None = people_mod.load(o.people) if o.people and o.plan_file is not None else None
    if o.plan_file is None:
        cfg, persons = _inputs(o.config, o.people, o.journal)
    elif cfg is None:  # the guard rails come from tenants.yaml, never from the plan file
        raise svc.Refused(f"{o.plan_file}: tenants.yaml (-c) is required to apply a saved plan")
    assert cfg is not None
    jr = svc.journal_for(cfg, o.journal)
    saved = svc.load_saved(o.plan_file) if o.plan_file is not None else None
    async with (
        client_for(settings_for(cfg, o.profile, o.target)) as client,
        svc.run_lock(client, jr, "apply", o.wait),  # held from the snapshot on
    ):
        snap = await snapshot_with_progress(client, io.err)
        if saved is not None:
            plan = saved
            run_id = await svc.resume_saved(plan, client, jr, str(o.plan_file), snap)
            svc.vet_saved(plan, cfg, snap, jr, people=persons, run_id=run_id)
            if run_id:
                io.err.print(f"resuming run {run_id} of this plan: batches already done are skipped")
            confirm = None
        else:
            assert persons is not None
            plan = svc.plan_people(cfg, persons, snap, jr, feed=str(o.people), only=o.only)
            annotate(plan, cfg, persons, snap, str(o.people))
            if plan.errors:
                raise InputError(plan.errors)
            if o.auto_approve:
                confirm = None
                if not o.as_json:
                    print_plan(io.out, plan, summary=o.view[0], full=o.view[1], verbose=o.view[2])
            else:
                confirm = confirm_with(io, "Apply these changes?", o.view)
        with phase_bars(io.err, client) as bars:
            async with for_run(cfg, jr, persons=persons or [], feed=str(o.people)) as sink:
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
                    events=sink,
                )


def move_command(
    email: Annotated[str, typer.Argument(help="The person to move.")],
    to: Annotated[str, typer.Option("--to", help="Tenant key from tenants.yaml.")],
    config: ConfigOpt = None,
    people: PeopleOpt = None,
    auto_approve: AutoApproveOpt = False,
    as_json: JsonOpt = False,
    wide: WideOpt = False,
    profile: ProfileOpt = None,
    target: TargetOpt = None,
    journal: JournalOpt = None,
) -> None:
    """Move one person to another tenant: revoke first, move, then grant; read back and verify."""
    io = Io(wide, as_json)
    if as_json and not auto_approve:
        raise io.fail(NO_PROMPT)

    def work() -> svc.Outcome:
        cfg = config_mod.load(required(config, "--config", "tenants.yaml", "tenantry move"))
        person = None
        if people is not None:
            person = next((p for p in people_mod.load(people) if p.email == email.lower()), None)

        async def go() -> svc.Outcome:
            async with client_for(settings_for(cfg, profile, target)) as client:
                snap = await snapshot_with_progress(client, io.err)
                ask = confirm_with(io, f"Move {email} to {to}?", (False, True, False))

                def confirm(plan: Plan) -> bool:
                    if auto_approve:
                        if not as_json:
                            print_plan(io.out, plan, full=True)
                        return True
                    return ask(plan)

                jr = svc.journal_for(cfg, journal)
                async with for_run(cfg, jr, persons=[person] if person else [], feed="move") as sink:
                    return await svc.move(
                        cfg,
                        client,
                        jr,
                        email,
                        to,
                        person,
                        snap,
                        confirm=confirm,
                        events=sink,
                        feed=str(people) if people else None,
                    )

        return asyncio.run(go())

    outcome = _guarded(io, work)
    _report(io, outcome, verified="[green]verified:[/green] no access outside the new tenant")


def reconcile_command(
    emails: Annotated[list[str], typer.Argument(help="The people to converge; nobody else is touched.")],
    config: ConfigOpt = None,
    people: PeopleOpt = None,
    as_json: JsonOpt = False,
    wide: WideOpt = False,
    verbose: VerboseOpt = False,
    profile: ProfileOpt = None,
    target: TargetOpt = None,
    journal: JournalOpt = None,
) -> None:
    """Converge the named people to what tenants.yaml and the feed say (as `apply --only`, at once)."""
    io = Io(wide, as_json)

    def work() -> svc.Outcome:
        if people is None:  # no feed: what the SCIM sources of `tenantry serve` say
            cfg = config_mod.load(required(config, "--config", "tenants.yaml"))
            persons = _sources_people(cfg, emails, journal)
        else:
            cfg, persons = _inputs(config, people, journal)
        jr = svc.journal_for(cfg, journal)

        async def go() -> svc.Outcome:
            async with client_for(settings_for(cfg, profile, target)) as client:
                snap = await snapshot_with_progress(client, io.err)
                return await svc.reconcile(cfg, persons, emails, client, jr, snap=snap, feed=str(people))

        return asyncio.run(go())

    outcome = _guarded(io, work)
    if not as_json:
        print_plan(io.out, outcome.plan, full=True, verbose=verbose)
    _report(io, outcome)


WHO = "tenantry reconcile"


def _sources_people(cfg: config_mod.Config, emails: list[str], journal: str | None) -> list:
    from tenantry.bridge.feed import all_sources_people

    if not cfg.sources:
        raise InputError(
            [Problem("tenantry reconcile", None, "--people", "give a feed (no sources: in tenants.yaml)")]
        )
    persons = all_sources_people(cfg, journal)
    known = {p.email for p in persons}
    unknown = [e for e in emails if e.lower() not in known]
    if unknown:
        raise InputError(
            [Problem("tenantry reconcile", None, "EMAIL", f"{unknown[0]} is not known to any source")]
        )
    return persons


def worker_command(
    journal: Annotated[str, typer.Option("--journal", help="postgresql://… journal shared with apply.")],
    concurrency: Annotated[int, typer.Option(help="Batches in flight in this worker.")] = 8,
    name: Annotated[str | None, typer.Option(help="Worker name recorded in the journal.")] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="tenants.yaml: also run `tenantry serve --replicas` reconciles."),
    ] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option("--metrics-port", help="Serve Prometheus /metrics on 127.0.0.1 at this port."),
    ] = None,
    profile: ProfileOpt = None,
    target: TargetOpt = None,
) -> None:
    """Run batches handed out by `tenantry apply` (and, with -c, the SCIM bridge's reconcile jobs)
    through PostgreSQL (procrastinate)."""
    from tenantry.execution.distributed import ExtraQueue, run_worker

    io = Io()
    jr = Journal(journal)
    if not jr.is_postgres:
        raise io.fail("a worker needs a postgresql:// journal; the SQLite journal runs batches in-process", 2)
    if metrics_port is not None:  # a worker lives long: scraped like serve, not a textfile at exit
        from prometheus_client import start_http_server

        try:
            start_http_server(metrics_port, addr="127.0.0.1", registry=metrics.REGISTRY)
        except OSError as exc:
            raise io.fail(f"--metrics-port {metrics_port}: {exc.strerror or exc}", 2) from None
    try:
        client = client_for(settings_for(None, profile, target))
    except ConfigError as exc:
        raise io.fail(str(exc), 2) from None
    metrics.track_client(client)  # its calls, 429s and budgets on --metrics-port
    extra: list[ExtraQueue] = []
    if config is not None:
        from tenantry.bridge.worker import bridge_queue

        try:
            extra.append(bridge_queue(config, jr, client))
        except InputError as exc:
            raise io.fail(str(exc)) from None

    async def go() -> None:
        try:
            await run_worker(client, jr, concurrency=concurrency, name=name, extra=extra)
        finally:
            await client.aclose()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(go())
