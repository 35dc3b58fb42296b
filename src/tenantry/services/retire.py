"""`tenantry retire TENANT`: revoke everything a tenant tenants.yaml no longer lists still holds.

The plan is the one every plan makes for a tenant in `org.retired_tenants` (planning.retirement),
for that tenant alone and without a people feed; it is applied by `apply_plan`, so the guard
rails (protected subjects, the mass-revoke share, the run lock, the journal) are apply's.
"""

from __future__ import annotations

from collections.abc import Callable

from tenantry.config.tenants import Config
from tenantry.domain.model import Snapshot
from tenantry.errors import InputError, Problem
from tenantry.events.runtime import EventSink
from tenantry.execution.journal import Journal
from tenantry.genesys import GenesysClient
from tenantry.planning.desired import build
from tenantry.planning.dropped import Dropped, recognise, still_listed
from tenantry.planning.plan import Plan
from tenantry.planning.retirement import retirement
from tenantry.services.tenants import Outcome, apply_plan


def as_retired(config: Config, tenant: str) -> Config:
    """tenants.yaml as it reads once `tenant` is listed in org.retired_tenants."""
    names = [*config.org.retired_tenants, tenant]
    return config.model_copy(update={"org": config.org.model_copy(update={"retired_tenants": names})})


def known_as(dropped: Dropped, tenant: str) -> str | None:
    """The dropped tenant `tenant` names: its key in the journal, or its division's name."""
    low = tenant.casefold()
    keys = sorted(dropped.tenants())
    by_division = {n.casefold(): t for n, t in dropped.objects["division"].items()}
    return next((k for k in keys if k.casefold() == low), None) or by_division.get(low)


def plan_retirement(
    config: Config, snap: Snapshot, journal: Journal, tenant: str
) -> tuple[str, Config, Plan]:
    """(the tenant's key, tenants.yaml with it retired, the plan). A tenant tenants.yaml still
    lists, or one with nothing to retire, is an InputError naming where to look."""
    listed = still_listed(config, tenant)
    if listed is not None:
        raise InputError(
            [
                config.problem(
                    f"tenants.{listed}",
                    f"tenant {listed} is still listed under tenants:; remove it from the file first "
                    "(its people must move to another tenant or leave), then retire it",
                )
            ]
        )
    remembered = journal.managed()
    dropped = recognise(config, build(config, [], "retire"), snap, remembered)
    key = known_as(dropped, tenant)
    if key is None:
        raise InputError(
            [
                Problem(
                    "tenantry retire",
                    None,
                    "TENANT",
                    f"nothing to retire for {tenant!r}: the journal remembers no object of that tenant and "
                    "no division of that name holds groups named after it (a fresh journal knows a tenant "
                    "by its division's name)",
                )
            ]
        )
    retired = as_retired(config, key)
    plan = retirement(retired, snap, key, remembered)
    if plan.errors:
        raise InputError(plan.errors)
    if key.casefold() not in {t.casefold() for t in config.org.retired_tenants}:
        plan.notes.append(
            f"add {key} to org.retired_tenants in {config.where('org')[0]} so later plans agree "
            "(until then they keep its objects managed, members removed, and warn)"
        )
    return key, retired, plan


def objects_of(config: Config, snap: Snapshot, journal: Journal, key: str) -> list[tuple[str, str, str]]:
    """(kind, name, tenant) of everything the retired tenant holds, for the journal to remember."""
    dropped = recognise(config, build(config, [], "retire"), snap, journal.managed())
    return [(k, n, t) for k, names in dropped.objects.items() for n, t in names.items() if t == key]


async def retire(
    config: Config,
    client: GenesysClient,
    journal: Journal,
    tenant: str,
    snap: Snapshot,
    *,
    allow_mass_revoke: bool = False,
    confirm: Callable[[Plan], bool] | None = None,
    events: EventSink | None = None,
) -> tuple[str, Outcome]:
    """Plan and apply the retirement; returns the tenant's key and the outcome. Once confirmed, the
    journal remembers the tenant's objects first, so later plans know them whatever their names."""
    key, retired, plan = plan_retirement(config, snap, journal, tenant)

    def confirmed(p: Plan) -> bool:  # asked after the guard rails passed, before any write
        if confirm is not None and not confirm(p):
            return False
        journal.remember(objects_of(retired, snap, journal, key))
        return True

    return key, await apply_plan(
        plan,
        client,
        snap,
        journal,
        config=retired,
        allow_mass_revoke=allow_mass_revoke,
        confirm=confirmed,
        events=events,
    )
