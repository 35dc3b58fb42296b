"""Tenants as code, as services: plan, apply, move and reconcile, whatever the entry point.

The CLI, the demo, the workers and (next) the SCIM bridge call these; none of them rebuilds the
snapshot → diff → guard → execute → verify sequence. Prompts and rendering stay with the caller:
it passes `confirm` (returns False to stop before anything is written) and progress callbacks.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tenantry.config.tenants import Config
from tenantry.domain.model import Snapshot
from tenantry.errors import InputError, Problem
from tenantry.events import metrics
from tenantry.events.runtime import EventSink, observe_desired
from tenantry.execution.executor import ApplyResult, Context, Guard, PhaseProgress, Resolver, execute, plan_id
from tenantry.execution.journal import Journal
from tenantry.execution.runlock import Busy, holding, me
from tenantry.genesys import GenesysClient
from tenantry.genesys.snapshot import read_snapshot
from tenantry.inputs.people import Person
from tenantry.planning.desired import build
from tenantry.planning.moves import allowed_divisions, feed_contradiction, plan_move, verify
from tenantry.planning.plan import Plan, diff, fingerprint
from tenantry.planning.scope import restrict
from tenantry.services.saved import Refused, load_saved, revoked_people, signed, vet

__all__ = [
    "Busy",
    "Outcome",
    "Refused",
    "apply_plan",
    "check_mass_revoke",
    "guard_for",
    "load_saved",
    "move",
    "plan_people",
    "reconcile",
    "resume_saved",
    "run_lock",
    "signed",
    "vet_saved",
]

DEFAULT_JOURNAL = "sqlite:///tenantry.db"
JOURNAL_KINDS = frozenset({"sqlite", "postgresql", "postgres", "postgresql+psycopg"})
DEFAULT_MASS_REVOKE_THRESHOLD = 0.10
SECRETS_DIR = Path("tenantry-secrets")

SnapshotReader = Callable[[GenesysClient], Awaitable[Snapshot]]


@dataclass
class Outcome:
    """What an apply, a move or a reconcile did, and what the read-back found wrong."""

    plan: Plan
    result: ApplyResult | None  # None: nothing to do, or the caller declined
    wrong: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.result is None or (self.result.ok and not self.wrong)


def guard_for(plan: Plan, config: Config | None = None, snap: Snapshot | None = None) -> Guard:
    """Guard rails from tenants.yaml and from the org (every OAuth client of tenantry's own pool),
    never from the plan: a saved plan can be edited. Without tenants.yaml there are no rails to
    apply a plan with, so that is refused."""
    if config is None:
        raise Refused(
            f"{plan.source or 'this plan'}: tenants.yaml (-c) is required: the guard rails "
            "(org_admins, protected, mass_revoke_threshold) come from it, never from a plan"
        )
    admins = {a.lower() for a in config.org.org_admins}
    protected = {p.lower() for p in config.org.protected}
    if snap is not None:
        protected |= own_clients(snap)
    return Guard(frozenset(admins), frozenset(protected))


def own_clients(snap: Snapshot) -> set[str]:
    """Ids and names of the OAuth clients tenantry runs as: always protected."""
    ids = {i for i in (snap.self_client_id, *snap.pool_client_ids) if i}
    names = {c.name for c in snap.oauth_clients.values() if c.id in ids}
    return {x.lower() for x in ids | names}


def mass_revoke_threshold(plan: Plan, config: Config | None = None) -> float:
    return config.org.mass_revoke_threshold if config is not None else DEFAULT_MASS_REVOKE_THRESHOLD


def check_mass_revoke(plan: Plan, allow: bool, config: Config | None = None) -> None:
    threshold = mass_revoke_threshold(plan, config)
    if plan.source:  # a saved plan's summary is not trusted: count from its batches
        plan.revoked_users = max(plan.revoked_users, revoked_people(plan))
    if plan.revoke_share() > threshold and not allow:
        raise Refused(
            f"this plan removes access from {plan.revoked_users} of {plan.managed_users} managed users "
            f"({plan.revoke_share():.0%}, above the {threshold:.0%} threshold); review it and rerun with "
            "--allow-mass-revoke"
        )


def vet_saved(
    plan: Plan,
    config: Config | None,
    snap: Snapshot,
    journal: Journal,
    *,
    people: list[Person] | None = None,
    run_id: str | None = None,
) -> None:
    """Refuse a saved plan (naming its batches) unless every batch passes the rails from tenants.yaml
    and the org, and is signed by this machine or produced by a fresh diff of `people`."""
    fresh = None
    if config is not None and people is not None and not plan.signature:
        fresh = plan_people(config, people, snap, journal, feed="people")
        plan.managed_users = fresh.managed_users
    done = {b for b, st in journal.batch_statuses(run_id).items() if st == "done"} if run_id else set()
    vet(plan, config, guard_for(plan, config, snap), fresh, done)


# the orgs whose run lock the current task holds: nested calls (the CLI locks, then apply_plan)
# are re-entrant; another task of the same process (two reconciles of a bridge) waits its turn
_HOLDING: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar(
    "tenantry_holding", default=frozenset()
)
_LOCAL: dict[tuple[int, str], asyncio.Lock] = {}  # per event loop: an asyncio.Lock belongs to one


@contextlib.asynccontextmanager
async def run_lock(
    client: GenesysClient, journal: Journal, purpose: str = "apply", wait: float = 0.0
) -> AsyncIterator[bool]:
    """One run at a time per org and journal (issue 11 #9). Yields whether this call waited."""
    org = client.target.api_base
    if org in _HOLDING.get():
        yield False
        return
    local = _LOCAL.setdefault((id(asyncio.get_running_loop()), org), asyncio.Lock())
    waited = local.locked()
    try:
        await asyncio.wait_for(local.acquire(), timeout=wait if waited else None)
    except TimeoutError:
        raise Busy(f"another run of this process ({purpose})") from None
    token = _HOLDING.set(_HOLDING.get() | {org})
    try:
        lock = journal.lock(org)
        other = lock.try_acquire(me(purpose))
        if other is None:
            try:
                yield waited
            finally:
                lock.release()
            return
        if wait <= 0:
            raise Busy(other)
        async with holding(lock, me(purpose), wait=wait):
            yield True
    finally:
        _HOLDING.reset(token)
        local.release()


def journal_for(config: Config | None, override: str | None = None, plan: Plan | None = None) -> Journal:
    """--journal, else tenants.yaml's, else the default (never a saved plan's own setting). A
    malformed, unsupported or unreachable URL is an InputError naming where it came from."""
    url = override or (config.org.journal if config else None) or DEFAULT_JOURNAL
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
    now = time.time()
    since = journal.leaver_since()
    for email in unclocked_leavers(people, snap, since):
        journal.mark_leaver(email, since=now)  # seen inactive without a record: its clock starts now
        since[email] = now
    remembered = journal.managed()
    journal.remember(managed_objects(config))
    desired = build(config, people, feed)
    observe_desired(desired)
    plan = diff(config, desired, snap, leaver_since=since, now=now, remembered=remembered)
    if only is not None:
        plan = restrict(plan, {e.lower() for e in only})
    return plan


def managed_objects(config: Config) -> list[tuple[str, str, str]]:
    """(kind, name, tenant) of everything tenants.yaml makes tenantry manage."""
    out = []
    for key, t in config.tenants.items():
        out.append(("division", t.division, key))
        out += [("group", t.group_name(g), key) for g in t.groups]
        out += [("queue", q.name, key) for q in t.queues]
        out += [("client", c.name, key) for c in t.oauth_clients]
    return out


def unclocked_leavers(people: list[Person], snap: Snapshot, since: dict[str, float]) -> list[str]:
    """Leavers of the feed whose user is inactive but who have no retention record (a run killed
    between deactivating and recording, or a journal lost): treated as leavers from now."""
    users = snap.user_by_email()
    return sorted(
        p.email
        for p in people
        if not p.active
        and p.email not in since
        and (u := users.get(p.email)) is not None
        and u.state == "inactive"
    )


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
    wait: float = 0.0,
) -> Outcome:
    """Guard, confirm, lock, execute, read movers back. Raises Refused (or Busy) before anything is
    written. The guard rails come from `config` (required) and the org, never from the plan."""
    if plan.errors:
        raise InputError(plan.errors)
    if not plan.changes and run_id is None:
        async with run_lock(client, journal, "apply", wait):
            journal.mark_interrupted()  # a killed run that had finished its work still ends in history
        return Outcome(plan, ApplyResult(run_id="", done=0))
    guard = guard_for(plan, config, snap)
    check_mass_revoke(plan, allow_mass_revoke, config)
    if confirm is not None and not confirm(plan):
        return Outcome(plan, None)
    async with run_lock(client, journal, "apply", wait) as waited:
        if waited and plan.fingerprint and plan.fingerprint != fingerprint(await read_snapshot(client)):
            raise Refused("the org changed while waiting for the other run; plan again")
        result = await execute_plan(
            plan,
            client,
            snap,
            journal,
            guard,
            run_id=run_id,
            concurrency=concurrency,
            local_worker=local_worker,
            progress=progress,
            secrets_dir=config.secrets_dir if config else SECRETS_DIR,
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
    guard = guard_for(plan, config, snap)
    ctx = Context(client, Resolver(client, snap), journal, guard, config.secrets_dir, events=events)
    async with run_lock(client, journal, "move"):
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
    async with run_lock(client, journal, "reconcile", wait=60.0) as waited:
        if snap is None or waited:  # a snapshot from before the other run is stale
            snap = await (reader or read_snapshot)(client)
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
    events: EventSink | None = None,
    concurrency: int = 8,
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
        events=events,
        concurrency=concurrency,
    )
    if verify is not None and outcome.result is not None and outcome.result.ok:
        outcome.wrong = await verify(plan, moved_people(plan))
    return outcome
