"""`tenantry tenants`: each tenant's division, groups, queues, clients, people and last apply.

Exit codes: 0 listed, 1 error (bad tenants.yaml, no credentials, unreachable org).
"""

from __future__ import annotations

import asyncio
import time

from tenantry.cli.common import ConfigOpt, Io, JournalOpt, JsonOpt, ProfileOpt, TargetOpt, WideOpt
from tenantry.cli.layout import table_or_list
from tenantry.config import tenants as config_mod
from tenantry.domain.model import Snapshot
from tenantry.errors import InputError
from tenantry.genesys import ConfigError, GenesysError
from tenantry.services import tenants as svc
from tenantry.services.inventory import last_applied, tenant_rows
from tenantry.services.runtime import client_for, settings_for, snapshot_with_progress

HEADERS = ["tenant", "division", "groups", "queues", "clients", "people", "last apply"]


def tenants_command(
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    wide: WideOpt = False,
    profile: ProfileOpt = None,
    target: TargetOpt = None,
    journal: JournalOpt = None,
) -> None:
    """Each tenant: division, groups, queues, OAuth clients, people, last apply (without -c, every
    division but Home)."""
    io = Io(wide, as_json)
    try:
        cfg = config_mod.load(config) if config else None

        async def go() -> Snapshot:
            async with client_for(settings_for(cfg, profile, target)) as client:
                return await snapshot_with_progress(client, io.err)

        rows = tenant_rows(asyncio.run(go()), cfg)
        last = last_applied(svc.journal_for(cfg, journal), [r.tenant for r in rows])
    except InputError as exc:
        raise io.input_error(exc) from None
    except (ConfigError, GenesysError) as exc:
        raise io.fail(str(exc)) from None
    for r in rows:
        r.last_apply = last.get(r.tenant)
    if as_json:
        io.emit({"tenants": [r.to_json() for r in rows]})
        return
    table = [
        [
            r.tenant,
            r.division + ("" if r.division_exists else " (missing)"),
            str(r.groups),
            str(r.queues),
            str(r.clients),
            f"{r.people}" + (f" (+{r.inactive} inactive)" if r.inactive else ""),
            time.strftime("%Y-%m-%d %H:%M", time.localtime(r.last_apply)) if r.last_apply else "never",
        ]
        for r in rows
    ]
    io.out.print(table_or_list(io.out, f"{len(rows)} tenants", HEADERS, table, right=[2, 3, 4, 5]))
