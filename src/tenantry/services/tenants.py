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
from tenantry.errors import InputError, Problem
from tenantry.events import metrics
from tenantry.events.runtime import EventSink, observe_desired
from tenantry.execution.executor import ApplyResult, Context, Guard, PhaseProgress, Resolver, execute, plan_id
from tenantry.execution.journal import Journal
from tenantry.genesys import GenesysClient
from tenantry.genesys.snapshot import read_snapshot
from tenantry.inputs.people import Person
from tenantry.planning.desired import build
from tenantry.planning.moves import allowed_divisions, feed_contradiction, plan_move, verify
from tenantry.planning.plan import Plan, diff, fingerprint
from tenantry.planning.scope import restrict

DEFAULT_JOURNAL = "sqlite:///tenantry.db"
JOURNAL_KINDS = frozenset({"sqlite", "postgresql", "postgres", "postgresql+psycopg"})
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
    """The journal; a malformed, unsupported or unreachable URL is an InputError naming where it came from."""
    url = override or (config.org.journal if config else None)
    url = url or (plan.settings.get("journal") if plan else None) or DEFAULT_JOURNAL
    where = (
        ("--journal", "")
        if override
        else ((config.where("org.journal")[0], "org.journal") if config else ("journal", ""))
    )
    return open_journal(url, *where)


def open_journal(url: str, source: str, field: str = "") -> Journal:
    kind = url.split(":", 1)[0].lower() if ":" in url else ""
    safe = url.split("@", 1)[-1] if "@" in url else url  # never echo a password in the URL
    if kind not in JOURNAL_KINDS:
        raise InputError(
            [Problem(source, None, field, f"journal {safe!r} is not a sqlite:/// or postgresql:// URL")]
        )
    try:
        return Journal(url)
    except Exception as exc:  # SQLAlchemy and driver errors alike: one line, no traceback
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise InputError(
            [Problem(source, None, field, f"cannot open the journal {safe!r}: {reason}")]
        ) from None


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
    desired = build(config, people, feed)
    observe_desired(desired)
    plan = diff(config, desired, snap, leaver_since=journal.leaver_since(), now=time.time())
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
    events: EventSink | None = None,
) -> ApplyResult:
    """In-process with SQLite, through procrastinate workers with PostgreSQL."""
    journal.mark_interrupted()
    metrics.track_client(client)
    if journal.is_postgres:
        from tenantry.execution.distributed import execute_distributed

        since = time.time()
        result = await execute_distributed(
            plan,
            journal,
            guard,
            run_id=run_id,
            progress=progress,
            local=(client, concurrency) if local_worker else None,
        )
        if events is not None:  # workers ran the batches: their events come from the journal
            rows = journal.batch_rows(result.run_id)
            events.applied_from_journal(plan, rows, Resolver(client, snap), since)
        return result
    ctx = Context(client, Resolver(client, snap), journal, guard, secrets_dir, events=events)
    return await execute(plan, ctx, run_id=run_id, concurrency=concurrency, progress=progress)


def moved_people(plan: Plan) -> dict[str, str]:
    """email → the division a plan moves it to."""
    return {e: b.target for b in plan.batches if b.op == "user.move" for e in b.items}


async def verify_moves(
    client: GenesysClient, moved: dict[str, str], config: Config | None = None
) -> list[str]:
    """Read movers back; their access must be what the desired state gives them (staff grants too)."""
    allowed = allowed_divisions(config) if config is not None else None
    return verify(await read_snapshot(client), moved, allowed) if moved else []


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
    events: EventSink | None = None,
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
        secrets_dir=config.secrets_dir if config else Path(plan.settings.get("secrets_dir", SECRETS_DIR)),
        events=events,
    )
    result.client = client_counters(client)
    moved = moved_people(plan)
    wrong = await verify_moves(client, moved, config) if verify_movers and result.ok else []
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
    feed: str | None = None,
    events: EventSink | None = None,
) -> Outcome:
    """One person to another tenant: revoke, move, grant; then read back.

    With the feed's row of the person (`person`, from `feed`), a move the feed contradicts is
    refused: the next apply of that feed would move them back. Without it, a warning says so."""
    if person is not None and tenant in config.tenants:
        contradiction = feed_contradiction(config, person, tenant, feed or "the feed")
        if contradiction:
            raise Refused(contradiction)
    plan = plan_move(config, snap, email, tenant, person)
    if plan.errors:
        raise InputError(plan.errors)
    if person is None:
        plan.warnings.append(
            f"no people feed given (--people): the next `tenantry apply` of the feed decides where "
            f"{email.lower()} belongs, and moves them back if its row does not match tenant {tenant}"
        )
    if not plan.changes:
        return Outcome(plan, ApplyResult(run_id=""))
    if confirm is not None and not confirm(plan):
        return Outcome(plan, None)
    guard = guard_for(plan, config)
    ctx = Context(client, Resolver(client, snap), journal, guard, config.secrets_dir, events=events)
    result = await execute(plan, ctx)
    division = config.tenants[tenant].division
    wrong = await verify_moves(client, {email: division}, config) if result.ok else []
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
