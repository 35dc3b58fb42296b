"""`tenantry import -o tenants.yaml`: a draft tenants.yaml from the org as it is today.

Exit codes: 0 draft written, 1 error (no credentials, unreachable org, the file exists without
--force).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from tenantry.cli.common import Io, JsonOpt, ProfileOpt, TargetOpt
from tenantry.domain.model import Snapshot
from tenantry.genesys import ConfigError, GenesysError
from tenantry.services.inventory import draft_yaml
from tenantry.services.runtime import client_for, settings_for, snapshot_with_progress


def import_command(
    output: Annotated[Path, typer.Option("--out", "-o", help="Where to write the draft tenants.yaml.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite the file if it exists.")] = False,
    as_json: JsonOpt = False,
    profile: ProfileOpt = None,
    target: TargetOpt = None,
) -> None:
    """Read the org and write a draft tenants.yaml; lines marked DECIDE need a person."""
    io = Io(False, as_json)
    if output.exists() and not force:
        raise io.fail(f"{output} exists; choose another file or add --force")
    try:
        settings = settings_for(None, profile, target)

        async def go() -> Snapshot:
            async with client_for(settings) as client:
                return await snapshot_with_progress(client, io.err)

        snap = asyncio.run(go())
    except (ConfigError, GenesysError) as exc:
        raise io.fail(str(exc)) from None
    text = draft_yaml(snap, settings.target.api_base)
    output.write_text(text)
    decide = text.count("DECIDE")
    tenants = sum(1 for line in text.splitlines() if line.startswith("    division: "))
    if as_json:
        io.emit({"written": str(output), "tenants": tenants, "decisions": decide})
        return
    io.err.print(
        f"draft with {tenants} tenants written to {output}; {decide} lines marked DECIDE need a person"
    )
