"""`tenantry explain EMAIL`: what one person (or OAuth client) can reach, where from, and whether it should.

Exit codes: 0 explained, 1 error (no such subject, bad input, unreachable org).
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.padding import Padding
from rich.text import Text

from tenantry.cli.common import ConfigOpt, Io, JsonOpt, PeopleOpt, ProfileOpt, TargetOpt, WideOpt
from tenantry.config import tenants as config_mod
from tenantry.errors import InputError
from tenantry.genesys import ConfigError, GenesysError
from tenantry.inputs import people as people_mod
from tenantry.services.explain import Explanation, NotFound, explain
from tenantry.services.runtime import client_for, settings_for, snapshot_with_progress

VERDICT = {
    True: ("✓ desired", "green"),
    False: ("✗ not desired: apply would revoke it", "red"),
    None: ("", ""),
}


def explain_command(
    subject: Annotated[str, typer.Argument(help="A user's email, or an OAuth client's name.")],
    config: ConfigOpt = None,
    people: PeopleOpt = None,
    as_json: JsonOpt = False,
    wide: WideOpt = False,
    profile: ProfileOpt = None,
    target: TargetOpt = None,
) -> None:
    """One person's effective access, division by division, and where each grant comes from."""
    io = Io(wide, as_json)
    try:
        cfg = config_mod.load(config) if config else None
        persons = people_mod.load(people) if people else None

        async def go() -> Explanation:
            async with client_for(settings_for(cfg, profile, target)) as client:
                snap = await snapshot_with_progress(client, io.err)
            return explain(snap, subject, cfg, persons)

        ex = asyncio.run(go())
    except InputError as exc:
        raise io.input_error(exc) from None
    except (ConfigError, GenesysError, NotFound) as exc:
        raise io.fail(str(exc)) from None
    if as_json:
        io.emit(ex.to_json())
        return
    render(io, ex)


def render(io: Io, ex: Explanation) -> None:
    out = io.out
    head = Text.assemble((ex.subject, "bold"), f" — {ex.kind.replace('_', ' ')}")
    head.append(f", tenant {ex.tenant}" if ex.tenant else ", in no tenant")
    if ex.home_division:
        head.append(f", home division {ex.home_division}")
    head.append(f", {ex.state}")
    out.print(head)
    if not ex.access:
        out.print(Padding(Text("no roles in any division", style="dim"), (0, 0, 0, 2)))
    division = None
    for a in ex.access:
        if a.division != division:
            division = a.division
            tenant = f" (tenant {a.division_tenant})" if a.division_tenant else ""
            out.print(Padding(Text(f"{a.division}{tenant}", style="bold cyan"), (0, 0, 0, 2)))
        verdict, style = VERDICT[a.desired]
        line = Text(f"{a.role} — {a.source}: {a.via}")
        if verdict:
            line.append(f"  {verdict}", style=style)
        out.print(Padding(line, (0, 0, 0, 4)))
    for m in ex.missing:
        out.print(
            Padding(
                Text(f"+ {m.role} @ {m.division}: desired, not held (apply would grant it)", "green"),
                (0, 0, 0, 2),
            )
        )
    if ex.groups:
        out.print(Padding(Text("groups: " + ", ".join(ex.groups)), (0, 0, 0, 2)))
    if ex.queues:
        out.print(Padding(Text("queues: " + ", ".join(ex.queues)), (0, 0, 0, 2)))
    if ex.agrees is None:
        out.print(
            Text("give -c tenants.yaml and --people FEED to compare with the desired state", style="dim")
        )
    elif ex.agrees:
        out.print(Text("the org agrees with the desired state", style="green"))
    else:
        out.print(
            Text("the org differs from the desired state: `tenantry plan` shows the fix", style="yellow")
        )
