"""`make demo`: tenantry's main job, end to end, on the built-in emulator.

Three tenants and about 300 people from examples/bpo/: plan, apply, then a second feed with
movers, leavers and joiners, plan and apply again, a read-back of every mover, and a summary.
The emulator keeps the platform's real limit of 300 requests a minute per OAuth client;
tenantry runs with a pool of four clients, as a BPO would for a large onboarding.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from genesys_emulator import RunningEmulator, running_emulator
from tenantry.cli.render import print_plan, print_result
from tenantry.config.tenants import load as load_config
from tenantry.execution.journal import Journal
from tenantry.genesys import Credentials, GenesysClient, resolve_target
from tenantry.genesys.snapshot import read_snapshot
from tenantry.inputs.people import load as load_people
from tenantry.services import tenants as svc
from tenantry.services.reasons import annotate
from tenantry.services.runtime import phase_bars

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "bpo"
console = Console()


def _pool(emu: RunningEmulator, size: int) -> list[Credentials]:
    """The admin client plus `size - 1` more with the same rights: each brings its own budget."""
    more = [emu.new_admin_client(f"tenantry-pool-{n}") for n in range(2, size + 1)]
    return [Credentials.of(emu.client_id, emu.client_secret), *(Credentials.of(i, s) for i, s in more)]


async def _round(
    title: str, feed: Path, emu: RunningEmulator, creds: list[Credentials], journal: Journal
) -> dict:
    cfg = load_config(EXAMPLE / "tenants.yaml")
    persons = load_people(feed)
    shown = feed.relative_to(EXAMPLE.parents[1])
    console.rule(f"[bold]{title}[/]  tenantry plan -c examples/bpo/tenants.yaml --people {shown}")
    before = emu.stats()["total"]
    async with GenesysClient(resolve_target(emu.base_url), creds) as client:
        snap = await read_snapshot(client)
        plan = annotate(
            svc.plan_people(cfg, persons, snap, journal, feed=str(feed)), cfg, persons, snap, str(feed)
        )
        print_plan(console, plan)
        console.rule("[bold]tenantry apply --auto-approve")
        with phase_bars(console, client) as bars:
            result = await svc.execute_plan(
                plan,
                client,
                snap,
                journal,
                svc.guard_for(plan, cfg),
                progress=bars,
                secrets_dir=Path(tempfile.mkdtemp(prefix="tenantry-secrets-")),
            )
        print_result(console, result)
        moved = svc.moved_people(plan)
        if moved:
            wrong = await svc.verify_moves(client, moved)
            console.print(
                f"read back {len(moved)} movers: "
                + ("[green]each reaches its new tenant only[/]" if not wrong else f"[red]{wrong}[/]")
            )
        metrics = client.metrics
    return {
        "plan": plan,
        "result": result,
        "calls": emu.stats()["total"] - before,
        "429": metrics.rate_limited,
        "seconds": result.seconds,
    }


def main() -> None:
    start = time.perf_counter()
    with running_emulator(seed="demo", rate_limit="300/60s") as emu, tempfile.TemporaryDirectory() as tmp:
        console.print(
            Panel.fit(
                f"Genesys Cloud emulator (demo org) at [bold]{emu.base_url}[/]\n"
                f"admin client id  {emu.client_id}\n"
                f"admin secret     {emu.client_secret}  [dim](emulator only)[/]\n"
                "rate limit       300 requests / 60 s per OAuth client, as the platform",
                title="tenantry demo",
            )
        )
        creds = _pool(emu, 4)
        journal = Journal(f"sqlite:///{tmp}/journal.db")
        rounds = [
            asyncio.run(
                _round("Day 1: onboarding three tenants", EXAMPLE / "people.csv", emu, creds, journal)
            ),
            asyncio.run(
                _round("Day 2: movers, leavers, joiners", EXAMPLE / "people-day2.csv", emu, creds, journal)
            ),
        ]
        org = emu.summary()
    table = Table(title="Summary", title_justify="left")
    for col in ("round", "batches", "API calls", "429s", "seconds"):
        table.add_column(col, justify="left" if col == "round" else "right")
    for name, r in zip(("day 1", "day 2"), rounds, strict=True):
        table.add_row(name, str(r["plan"].changes), str(r["calls"]), str(r["429"]), f"{r['seconds']:.1f}")
    console.print(table)
    tenants = Table(title="Tenants now", title_justify="left")
    for col in ("division", "active users", "groups", "queues"):
        tenants.add_column(col)
    for division in ("Acme Insurance", "Globex Telecom", "Initech Bank"):
        users = sum(1 for u in org["users"].values() if u["division"] == division and u["state"] == "active")
        groups = [g for g in org["groups"] if g.startswith(division)]
        queues = [q for q, v in org["queues"].items() if v["division"] == division]
        tenants.add_row(division, str(users), ", ".join(groups), ", ".join(queues))
    console.print(tenants)
    from tenantry.bridge.demo import chapter  # the SCIM bridge: an IdP pushes to `tenantry serve`

    chapter(console)
    console.print(f"[green]demo complete[/] in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
