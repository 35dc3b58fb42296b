"""Tenants as code, as services: plan, apply, move and reconcile, whatever the entry point.

The CLI, the demo, the workers and (next) the SCIM bridge call these; none of them rebuilds the
snapshot → diff → guard → execute → verify sequence. Prompts and rendering stay with the caller:
it passes `confirm` (returns False to stop before anything is written) and progress callbacks.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tenantry.config.tenants import Config
from tenantry.domain.model import Snapshot
from tenantry.errors import InputError
from tenantry.execution.executor import ApplyResult, Context, Guard, PhaseProgress, Resolver, execute, plan_id
from tenantry.execution.journal import Journal
from tenantry.genesys import GenesysClient
from tenantry.genesys.snapshot import read_snapshot
from tenantry.inputs.people import Person
from tenantry.planning.desired import build
from tenantry.planning.moves import plan_move, verify
from tenantry.planning.plan import Plan, diff, fingerprint
from tenantry.planning.scope import restrict

DEFAULT_JOURNAL = "sqlite:///tenantry.db"
DEFAULT_MASS_REVOKE_THRESHOLD = 0.10
SECRETS_DIR = Path("tenantry-secrets")

SnapshotReader = Callable[[GenesysClient], Awaitable[Snapshot]]


class Refused(Exception):
    """Nothing was done: the sentence says why."""


@dataclass
class Outcome:
    """What an apply, a move or a reconcile did, and what the read-back found wrong."""

    plan: Plan
    result: ApplyResult | None  # None: nothing to do, or the caller declined
    wrong: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.result is None or (self.result.ok and not self.wrong)


def guard_for(plan: Plan, config: Config | None = None) -> Guard:
    """Guard rails from tenants.yaml when it is given; a saved plan's own settings otherwise."""
    if config is not None:
        admins = {a.lower() for a in config.org.org_admins}
        protected = {p.lower() for p in config.org.protected} | {
            p.lower() for p in plan.settings.get("protected", ())
        }
        return Guard(frozenset(admins), frozenset(protected))
    s = plan.settings
    return Guard(frozenset(s.get("org_admins", ())), frozenset(s.get("protected", ())))


def mass_revoke_threshold(plan: Plan, config: Config | None = None) -> float:
    if config is not None:
        return config.org.mass_revoke_threshold
    return float(plan.settings.get("mass_revoke_threshold", DEFAULT_MASS_REVOKE_THRESHOLD))


def check_mass_revoke(plan: Plan, allow: bool, config: Config | None = None) -> None:
    threshold = mass_revoke_threshold(plan, config)
    if plan.revoke_share() > threshold and not allow:
        raise Refused(
            f"this plan removes access from {plan.revoked_users} of {plan.managed_users} managed users "
            f"({plan.revoke_share():.0%}, above the {threshold:.0%} threshold); review it and rerun with "
            "--allow-mass-revoke"
        )


def journal_for(config: Config | None, override: str | None = None, plan: Plan | None = None) -> Journal:
    url = override or (config.org.journal if config else None)
    url = url or (plan.settings.get("journal") if plan else None) or DEFAULT_JOURNAL
    return Journal(url)


def plan_people(
    config: Config,
    people: list[Person],
    snap: Snapshot,
    journal: Journal,
    *,
    feed: str,
    only: Iterable[str] | None = None,
) -> Plan:
    """The plan from `snap` to what `config` and `people` say; with `only`, for those people alone."""
    plan = diff(
        config, build(config, people, feed), snap, leaver_since=journal.leaver_since(), now=time.time()
    )
    if only is not None:
        plan = restrict(plan, {e.lower() for e in only})
    return plan


async def execute_plan(
    plan: Plan,
    client: GenesysClient,
    snap: Snapshot | None,
    journal: Journal,
    guard: Guard,
    *,
    run_id: str | None = None,
    concurrency: int = 8,
    local_worker: bool = True,
    progress: PhaseProgress | None = None,
    secrets_dir: Path = SECRETS_DIR,
) -> ApplyResult:
    """In-process with SQLite, through procrastinate workers with PostgreSQL."""
    journal.mark_interrupted()
    if journal.is_postgres:
        from tenantry.execution.distributed import execute_distributed

        return await execute_distributed(
            plan,
            journal,
            guard,
            run_id=run_id,
            progress=progress,
            local=(client, concurrency) if local_worker else None,
        )
    ctx = Context(client, Resolver(client, snap), journal, guard, secrets_dir)
    return await execute(plan, ctx, run_id=run_id, concurrency=concurrency, progress=progress)


def moved_people(plan: Plan) -> dict[str, str]:
    """email → the division a plan moves it to."""
    return {e: b.target for b in plan.batches if b.op == "user.move" for e in b.items}


async def verify_moves(client: GenesysClient, moved: dict[str, str]) -> list[str]:
    return verify(await read_snapshot(client), moved) if moved else []


def client_counters(client: GenesysClient) -> dict[str, int]:
    counters = client.metrics.snapshot()
    keep = ("total_calls", "total_retries", "rate_limited", "tokens_minted")
    return {k: counters[k] for k in keep}


async def apply_plan(
    plan: Plan,
    client: GenesysClient,
    snap: Snapshot | None,
    journal: Journal,
    *,
    config: Config | None = None,
    allow_mass_revoke: bool = False,
    confirm: Callable[[Plan], bool] | None = None,
    run_id: str | None = None,
    concurrency: int = 8,
    local_worker: bool = True,
    verify_movers: bool = True,
    progress: PhaseProgress | None = None,
) -> Outcome:
    """Guard, confirm, execute, read movers back. Raises Refused before anything is written."""
    if plan.errors:
        raise InputError(plan.errors)
    if not plan.changes and run_id is None:
        return Outcome(plan, ApplyResult(run_id="", done=0))
    check_mass_revoke(plan, allow_mass_revoke, config)
    if confirm is not None and not confirm(plan):
        return Outcome(plan, None)
    result = await execute_plan(
        plan,
        client,
        snap,
        journal,
        guard_for(plan, config),
        run_id=run_id,
        concurrency=concurrency,
        local_worker=local_worker,
        progress=progress,
    )
    result.client = client_counters(client)
    wrong = await verify_moves(client, moved_people(plan)) if verify_movers and result.ok else []
    return Outcome(plan, result, wrong)


async def resume_saved(
    plan: Plan, client: GenesysClient, journal: Journal, source: str, snap: Snapshot
) -> str | None:
    """The run id to resume a saved plan with; Refused when the org changed since it was planned."""
    run_id = journal.unfinished_run(plan_id(plan))
    if run_id is None and plan.fingerprint and plan.fingerprint != fingerprint(snap):
        raise Refused(f"the org changed since {source} was planned; run `tenantry plan` again")
    return run_id


async def move(
    config: Config,
    client: GenesysClient,
    journal: Journal,
    email: str,
    tenant: str,
    person: Person | None,
    snap: Snapshot,
    *,
    confirm: Callable[[Plan], bool] | None = None,
) -> Outcome:
    """One person to another tenant: revoke, move, grant; then read back."""
    plan = plan_move(config, snap, email, tenant, person)
    if plan.errors:
        raise InputError(plan.errors)
    if not plan.changes:
        return Outcome(plan, ApplyResult(run_id=""))
    if confirm is not None and not confirm(plan):
        return Outcome(plan, None)
    ctx = Context(client, Resolver(client, snap), journal, guard_for(plan, config), SECRETS_DIR)
    result = await execute(plan, ctx)
    division = config.tenants[tenant].division
    wrong = await verify_moves(client, {email: division}) if result.ok else []
    return Outcome(plan, result, wrong)


async def reconcile(
    config: Config,
    people: list[Person],
    emails: Iterable[str],
    client: GenesysClient,
    journal: Journal,
    *,
    snap: Snapshot | None = None,
    feed: str = "reconcile",
    reader: SnapshotReader | None = None,
) -> Outcome:
    """Converge the named people only: `people` is everyone the source knows, the world for rules.

    Nobody outside `emails` is touched, so a one-person change (an IdP PATCH, `apply --only`)
    never revokes the rest of the org. Revoke-before-grant and the guard rails hold as for a full
    apply; movers are read back.
    """
    snap = snap if snap is not None else await (reader or read_snapshot)(client)
    plan = plan_people(config, people, snap, journal, feed=feed, only=emails)
    return await apply_plan(plan, client, snap, journal, config=config, allow_mass_revoke=True)


Verifier = Callable[[Plan, dict[str, str]], Awaitable[list[str]]]


async def reconcile_indexed(
    config: Config,
    people: list[Person],
    emails: Iterable[str],
    client: GenesysClient,
    journal: Journal,
    *,
    snap: Snapshot,
    feed: str = "reconcile",
    verify: Verifier | None = None,
    local_worker: bool = True,
) -> Outcome:
    """`reconcile` against a snapshot the caller keeps fresh (the SCIM bridge's org index).

    Same plan, guard rails and revoke-before-grant; movers are read back by `verify(plan, moved)`
    (a few per-person reads) instead of a new full snapshot, which at 300 calls a minute per
    token would cost more than the change itself.
    """
    plan = plan_people(config, people, snap, journal, feed=feed, only=emails)
    outcome = await apply_plan(
        plan,
        client,
        snap,
        journal,
        config=config,
        allow_mass_revoke=True,
        verify_movers=False,
        local_worker=local_worker,
    )
    if verify is not None and outcome.result is not None and outcome.result.ok:
        outcome.wrong = await verify(plan, moved_people(plan))
    return outcome
