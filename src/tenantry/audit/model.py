"""What an audit produces: findings about subjects, and the result every rendering reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from tenantry.audit.catalogue import RANK, RULES, SEVERITIES, RuleInfo
from tenantry.domain.access import AccessRow
from tenantry.domain.model import Snapshot
from tenantry.domain.tenancy import Tenancy

if TYPE_CHECKING:
    from tenantry.audit.matrix import Matrix
    from tenantry.audit.visibility import Visibility


class Ref(NamedTuple):
    type: str  # user | group | queue | oauth_client | role | division
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    severity: str
    subject: Ref
    tenant: str | None  # the subject's tenant key
    division: Ref | None  # where the reach lands (None: several, see `why`)
    path: str  # direct | via group <name> | via OAuth client roleDivisions | direct member | home division …
    why: str
    fix: str
    role: Ref | None = None
    via: Ref | None = None  # the group of a `via group` path
    member: Ref | None = None  # a queue finding's member: a user or a member group

    @property
    def rule_info(self) -> RuleInfo:
        return RULES[self.rule]


@dataclass(slots=True)
class AuditResult:
    findings: list[Finding]
    access: list[AccessRow]
    tenancy: Tenancy
    snapshot: Snapshot
    skipped: dict[str, str] = field(default_factory=dict)  # rule id -> why it did not run
    visibility: Visibility | None = None  # None: not proven (a snapshot built by hand)
    evidence: dict[str, Any] = field(default_factory=dict)  # org, target, version, config digest, time
    scope: str | None = None  # a per-tenant report: the one tenant it is about
    matrix: Matrix | None = None  # a per-tenant report's heat map, computed before names were withheld

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(SEVERITIES, 0)
        for f in self.findings:
            out[f.severity] += 1
        return out

    def at_or_above(self, severity: str) -> list[Finding]:
        limit = RANK[severity]
        return [f for f in self.findings if RANK[f.severity] <= limit]

    @property
    def complete(self) -> bool:
        return self.visibility is None or self.visibility.complete
