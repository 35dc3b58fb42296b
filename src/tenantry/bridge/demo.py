"""`make demo`'s SCIM chapter: an emulated IdP pushes a joiner, a group move and a deactivation to
the bridge; each reaches the emulated Genesys org, and its latency is read off the access timeline."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from genesys_emulator import running_emulator
from tenantry.bridge.app import make_app
from tenantry.bridge.server import in_thread
from tenantry.bridge.service import Bridge
from tenantry.config.tenants import load as load_config
from tenantry.execution.journal import Journal
from tenantry.genesys import Credentials, GenesysClient, resolve_target

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "bpo"
TOKEN = "demo-idp-token"  # the emulated IdP's token, for this demo only
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def _config(where: Path) -> Path:
    """examples/bpo/tenants.yaml with Globex fed by an IdP group too, and one Entra-like source."""
    text = (
        (EXAMPLE / "tenants.yaml")
        .read_text()
        .replace("      - client: GLOBEX\n", "      - client: GLOBEX\n      - idp_group: GLOBEX-Agents\n")
    )
    text += "\nsources:\n  entra:\n    kind: entra\n    token_env: TENANTRY_DEMO_IDP_TOKEN\n"
    text += "    tenants: [acme, globex]\n"
    (where / "certs").mkdir(exist_ok=True)
    (where / "certs" / "idp.pem").write_text((EXAMPLE / "certs" / "idp.pem").read_text())
    (where / "tenants.yaml").write_text(text)
    return where / "tenants.yaml"


def _tenants(event: dict, names: dict[str, str], tenants: set[str]) -> set[str]:
    return {names.get(d, d) for d in event.get("access", [])} & tenants


def _until(check: Callable[[], bool], timeout: float = 60) -> float:
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            return float("nan")
        time.sleep(0.05)
    return time.monotonic() - start


def chapter(console: Console) -> None:
    os.environ.setdefault("TENANTRY_DEMO_IDP_TOKEN", TOKEN)
    console.rule("[bold]Day 3: the IdP pushes changes[/]  tenantry serve -c tenants.yaml (sources: entra)")
    with running_emulator(seed="demo", rate_limit="300/60s") as emu, tempfile.TemporaryDirectory() as tmp:
        cfg = load_config(_config(Path(tmp)))
        client = GenesysClient(
            resolve_target(emu.base_url), [Credentials.of(emu.client_id, emu.client_secret)]
        )
        bridge = Bridge(cfg, Journal(f"sqlite:///{tmp}/journal.db"), client, settle=2.0)
        h = {"Authorization": f"Bearer {os.environ['TENANTRY_DEMO_IDP_TOKEN']}"}
        with (
            in_thread(make_app(bridge)) as serve,
            httpx.Client(base_url=serve.scim_url("entra"), headers=h) as idp,
        ):
            console.print(
                f"SCIM for Entra-like pushes at [bold]{serve.scim_url('entra')}[/], settle window 2 s"
            )
            reader = emu.new_admin_client("demo-reader")  # its own budget: tenantry's stays whole
            token = {"Authorization": f"Bearer {emu.token(*reader)}"}
            divisions = emu.admin.get("/api/v2/authorization/divisions", headers=token).json()["entities"]
            names = {d["id"]: d["name"] for d in divisions}
            tenants = {t.division for t in cfg.tenants.values()}
            email = "ivy.idp@bpo.example"
            user = {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": email,
                "active": True,
                "emails": [{"type": "work", "value": email, "primary": True}],
                "name": {"givenName": "Ivy", "familyName": "Idp"},
            }
            uid = idp.post("/Users", json=user).json()["id"]
            acme = idp.post("/Groups", json={"displayName": "ACME-Agents"}).json()["id"]
            globex = idp.post("/Groups", json={"displayName": "GLOBEX-Agents"}).json()["id"]
            table = Table(title="IdP change → Genesys", title_justify="left")
            for col in ("IdP sends", "Genesys now", "latency"):
                table.add_column(col, justify="right" if col == "latency" else "left")

            known: dict[str, str] = {}

            def gid() -> str | None:
                if email not in known:
                    time.sleep(0.5)
                    found = emu.admin.get("/api/v2/users", params={"pageSize": 500}, headers=token).json()
                    known.update({u["email"]: u["id"] for u in found.get("entities", [])})
                return known.get(email)

            def _now(g: str | None) -> set[str] | None:
                events = emu.timeline(g) if g else []
                return _tenants(events[-1], names, tenants) if events else None

            def step(label: str, requests: list[tuple[str, str, dict]], want: set[str]) -> None:
                for method, path, body in requests:
                    idp.request(method, path, json=body).raise_for_status()
                spent = _until(lambda: _now(gid()) == want)
                table.add_row(label, ", ".join(sorted(want)) or "no tenant (inactive)", f"{spent:.1f} s")

            def members(op: str, group: str) -> tuple[str, str, dict]:
                value = [{"value": uid}]
                ops = [{"op": op, "path": "members", "value": value}]
                return "PATCH", f"/Groups/{group}", {"schemas": [PATCH], "Operations": ops}

            step("joiner: Add to ACME-Agents", [members("Add", acme)], {"Acme Insurance"})
            move = [members("Add", globex), members("Remove", acme)]
            step("move: Add GLOBEX-Agents, Remove ACME-Agents", move, {"Globex Telecom"})
            off = [{"op": "Replace", "path": "active", "value": "False"}]
            deactivate = {"schemas": [PATCH], "Operations": off}
            step('leaver: Replace active "False"', [("PATCH", f"/Users/{uid}", deactivate)], set())
            events = emu.timeline(gid() or "")
            two = sum(len(_tenants(e, names, tenants)) > 1 for e in events)
        console.print(table)
        verdict = "[green]never in two tenants at once[/]" if not two else f"[red]two tenants {two} times[/]"
        console.print(f"{verdict}: {len(events)} access changes of {email} on the org's timeline")
