"""The tenant × division heat map: subjects of each tenant (and of none) counted per division."""

from __future__ import annotations

from dataclasses import dataclass

from tenantry.audit.catalogue import NO_TENANT
from tenantry.audit.model import AuditResult, Ref
from tenantry.domain.model import ALL_DIVISIONS


@dataclass(frozen=True, slots=True)
class Cell:
    view: int  # distinct subjects of the row's tenant that can view in the column's division
    change: int  # … that can change there
    kind: str  # own | foreign | home | other


@dataclass(frozen=True, slots=True)
class Matrix:
    """The tenant × division heat map: rows are subjects' tenants (and NO_TENANT), columns divisions."""

    rows: list[str]
    columns: list[Ref]
    cells: dict[tuple[str, str], Cell]


def access_matrix(result: AuditResult) -> Matrix:
    """Count distinct users, groups and clients per (tenant, division); `*` counts in every division."""
    t = result.tenancy
    divisions = sorted(
        result.snapshot.divisions.values(),
        key=lambda d: (d.id not in t.of_division, not d.home, d.name.casefold()),
    )
    columns = [Ref("division", d.id, d.name) for d in divisions]
    all_ids = [c.id for c in columns]
    seen: dict[tuple[str, str], tuple[set[tuple[str, str]], set[tuple[str, str]]]] = {}
    for row in result.access:
        key = row.tenant or NO_TENANT
        subject = (row.subject_type, row.subject_id)
        for div in all_ids if row.division_id == ALL_DIVISIONS else (row.division_id,):
            view, change = seen.setdefault((key, div), (set(), set()))
            if row.view:
                view.add(subject)
            if row.change:
                change.add(subject)
    rows = [*t.tenants, NO_TENANT]
    cells = {}
    for key in rows:
        own = t.division_of(key) if key != NO_TENANT else None
        for div in all_ids:
            view, change = seen.get((key, div), ((), ()))
            if div == own:
                kind = "own"
            elif div in t.of_division:
                kind = "foreign" if key != NO_TENANT else "other"
            else:
                kind = "home" if div == t.home_division_id else "other"
            cells[(key, div)] = Cell(len(view), len(change), kind)
    return Matrix(rows, columns, cells)
