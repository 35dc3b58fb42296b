"""`tenantry conversations`: a tenant's conversation details, read with the least privilege held.

The tenant's own OAuth client is used when tenantry holds its secret (the file `apply` wrote
to tenantry-secrets/ when it created the client): the platform itself then limits what it sees
to the tenant's division. Otherwise the operator's client asks with a `divisionId` predicate.
Either way every conversation returned is checked: one that is not the tenant's alone fails the
whole report, and nothing of it is printed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tenantry.analytics.scope import Leak, outside, row, summary
from tenantry.events import metrics
from tenantry.genesys import Credentials, GenesysClient, GenesysError
from tenantry.genesys.api import analytics, divisions, queues
from tenantry.genesys.config import GenesysSettings


class ScopeError(Exception):
    """The query answered conversations that are not the tenant's: the report is refused."""

    def __init__(self, tenant: str, leaks: list[Leak]) -> None:
        self.leaks = leaks
        super().__init__(
            f"{len(leaks)} conversation(s) returned for tenant {tenant} belong to another division as "
            "well (or to none); refusing to print any of the report. Check the division's grants "
            "(tenantry audit) and the tenant client's roleDivisions."
        )


@dataclass
class Report:
    tenant: str
    interval: str
    via: str  # "tenant client <name>" | "operator client + divisionId filter"
    rows: list[dict[str, Any]] = field(default_factory=list)
    method: str = "query"  # query (synchronous, paged) | jobs (asynchronous details jobs)

    def summary(self) -> dict[str, Any]:
        return summary(self.rows, self.tenant, self.interval, self.via) | {"method": self.method}


def secret_file(secrets_dir: Path, client_name: str) -> Path:
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in client_name)
    return secrets_dir / f"{safe}.json"


def tenant_credentials(tenant_spec: Any, secrets_dir: Path) -> tuple[str, Credentials] | None:
    """The first of the tenant's OAuth clients whose secret tenantry holds."""
    for c in tenant_spec.oauth_clients:
        path = secret_file(secrets_dir, c.name)
        if path.is_file():
            data = json.loads(path.read_text())
            return c.name, Credentials.of(data["client_id"], data["client_secret"])
    return None


async def pull(
    operator: GenesysSettings,
    tenant_key: str,
    tenant_spec: Any,
    interval: str,
    *,
    secrets_dir: Path = Path("tenantry-secrets"),
    use_job: bool | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    client_factory: Callable[[GenesysSettings, tuple[Credentials, ...]], GenesysClient] | None = None,
) -> Report:
    """Read the tenant's conversations of `interval`; raise ScopeError if any is not its own."""
    factory = client_factory or (lambda s, creds: GenesysClient(s.target, creds, rate_limit=s.rate_limit))
    own = tenant_credentials(tenant_spec, secrets_dir)
    creds = (own[1],) if own else operator.clients
    via = f"tenant client {own[0]}" if own else "operator client + divisionId filter"
    async with factory(operator, creds) as client:
        metrics.track_client(client)
        division = await divisions.find_division(client, tenant_spec.division)
        if division is None:
            raise GenesysError(404, "not.found", f"division {tenant_spec.division!r} of tenant {tenant_key}")
        found = await analytics.query_conversation_details(
            client, interval, division_ids=[division.id], use_job=use_job, progress=progress
        )
        leaks = outside(found, division.id)
        if leaks:
            raise ScopeError(tenant_key, leaks)
        names = await _queue_names(client, division.id)
    metrics.CONVERSATIONS.labels(tenant_key).inc(len(found))
    jobs = use_job or (use_job is None and analytics.needs_job(interval))
    report = Report(tenant_key, interval, via, [row(c, names) for c in found], "jobs" if jobs else "query")
    report.rows.sort(key=lambda r: (r["start"] or "", r["conversation_id"]))
    return report


async def _queue_names(client: GenesysClient, division_id: str) -> dict[str, str]:
    try:
        return {q.id: q.name for q in await queues.list_queues(client, division_ids=[division_id])}
    except GenesysError:  # a client that may read conversations but not queues: ids it is
        return {}
