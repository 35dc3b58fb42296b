"""A SCIM source as a people feed for `tenantry plan | apply --people scim:<source>`."""

from __future__ import annotations

from tenantry.bridge.store import Store
from tenantry.config.tenants import Config
from tenantry.errors import InputError, Problem
from tenantry.execution.journal import Journal
from tenantry.inputs.people import Person

PREFIX = "scim:"


def is_scim(spec: object) -> bool:
    return str(spec).startswith(PREFIX)


def scim_people(config: Config, spec: str, journal_url: str | None = None) -> list[Person]:
    """Everyone the source's IdP pushed (hard-deleted users as leavers), from the journal database."""
    name = spec.removeprefix(PREFIX)
    if name not in config.sources:
        known = ", ".join(sorted(config.sources)) or "none"
        raise InputError(
            [
                Problem(
                    "tenantry",
                    None,
                    "--people",
                    f"no source {name!r} under sources: in tenants.yaml ({known})",
                )
            ]
        )
    journal = Journal(journal_url or config.org.journal)
    try:
        return Store(journal).people(name)
    finally:
        journal.close()


def all_sources_people(config: Config, journal_url: str | None = None) -> list[Person]:
    """Everyone every source pushed; a person known to two sources counts once (the first wins)."""
    people: dict[str, Person] = {}
    for name in config.sources:
        for p in scim_people(config, PREFIX + name, journal_url):
            people.setdefault(p.email, p)
    return list(people.values())
