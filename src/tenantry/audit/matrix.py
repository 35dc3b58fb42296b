"""The tenant × division heat map: subjects of each tenant (and of none) counted per division."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tenantry.audit.catalogue import NO_TENANT
from tenantry.audit.model import AuditResult, Ref
from tenantry.domain.model import ALL_DIVISIONS


@dataclass(frozen=True, slots=True)
class Cell:
    view: int  # distinct subjects of the row's tenant that can view in the column's division
    change: int  # … that can change there
    kind: str  # own | foreign | home | other


OTHER_TENANTS = "(other tenants)"  # a per-tenant report's one row and one column for all the others


@dataclass(frozen=True, slots=True)
class Matrix:
    """The tenant × division heat map: rows are subjects' tenants (and NO_TENANT), columns divisions."""

    rows: list[str]
    columns: list[Ref]
    cells: dict[tuple[str, str], Cell]
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # row -> users, groups, oauth_clients


def _kind(row: str, div: str, own: str | None, tenant_divs: set[str], home: str) -> str:
    """own: the row's tenant's division; foreign: a tenant division reached from outside that tenant
    (from another tenant, or by a subject of no tenant); home, or other (a division of no tenant)."""
    if div == own:
        return "own"
    if div in tenant_divs:
        return "foreign"
    return "home" if div == home else "other"


def _counts(result: AuditResult, row_of: Callable[[str | None], str]) -> dict[str, dict[str, int]]:
    t, s = result.tenancy, result.snapshot
    out: dict[str, dict[str, int]] = {}

    def bump(key: str | None, kind: str) -> None:
        c = out.setdefault(row_of(key), {"users": 0, "groups": 0, "oauth_clients": 0})
        c[kind] += 1

    for uid, u in s.users.items():
        if u.state == "active":
            bump(t.of_user.get(uid), "users")
    for gid in s.groups:
        bump(t.of_group.get(gid), "groups")
    for cid in s.oauth_clients:
        bump(t.of_client.get(cid), "oauth_clients")
    return out


def access_matrix(result: AuditResult, *, scope: str | None = None) -> Matrix:
    """Count distinct users, groups and clients per (tenant, division); `*` counts in every division.

    With `scope` (a per-tenant report), every other tenant is one row and its divisions one column,
    so the page shows what reaches the tenant without naming anyone else."""
    if result.matrix is not None:
        return result.matrix
    t = result.tenancy
    own_div = t.division_of(scope) if scope else None

    def row_of(key: str | None) -> str:
        if key is None:
            return NO_TENANT
        return key if scope is None or key == scope else OTHER_TENANTS

    def col_of(div: str) -> str:
        return div if scope is None or div == own_div or div not in t.of_division else OTHER_TENANTS

    divisions = sorted(
        result.snapshot.divisions.values(),
        key=lambda d: (d.id not in t.of_division, not d.home, d.name.casefold()),
    )
    columns = [Ref("division", d.id, d.name) for d in divisions if col_of(d.id) == d.id]
    if scope is not None and any(col_of(d.id) == OTHER_TENANTS for d in divisions):
        columns.insert(1, Ref("division", OTHER_TENANTS, OTHER_TENANTS))
    all_ids = [d.id for d in divisions]
    seen: dict[tuple[str, str], tuple[set[tuple[str, str]], set[tuple[str, str]]]] = {}
    for row in result.access:
        key = row_of(row.tenant)
        subject = (row.subject_type, row.subject_id)
        for div in all_ids if row.division_id == ALL_DIVISIONS else (row.division_id,):
            view, change = seen.setdefault((key, col_of(div)), (set(), set()))
            if row.view:
                view.add(subject)
            if row.change:
                change.add(subject)
    rows = [*t.tenants, NO_TENANT] if scope is None else [scope, OTHER_TENANTS, NO_TENANT]
    tenant_divs = set(t.of_division) | {OTHER_TENANTS}
    cells = {}
    for key in rows:
        own = t.division_of(key) if key in t.tenants else None
        for col in columns:
            view, change = seen.get((key, col.id), (set(), set()))
            cells[(key, col.id)] = Cell(
                len(view), len(change), _kind(key, col.id, own, tenant_divs, t.home_division_id)
            )
    return Matrix(rows, columns, cells, _counts(result, row_of))
