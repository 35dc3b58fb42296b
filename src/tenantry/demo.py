"""`make demo`: start the built-in emulator with the demo org and show it answering real calls.

Until the tenants-as-code job lands, the demo shows the emulator itself: where it listens, the
admin credentials, and a few calls through plain HTTP, including a tenant-scoped client that
cannot see another tenant's people.
"""

from __future__ import annotations

import httpx
from rich.console import Console
from rich.table import Table

from .emulator import running_emulator

console = Console()


def _bearer(base: str, client_id: str, secret: str) -> dict[str, str]:
    r = httpx.post(f"{base}/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def main() -> None:
    with running_emulator(seed="demo") as emu:
        console.rule("[bold]tenantry demo: the built-in Genesys Cloud emulator")
        console.print(f"base URL       {emu.base_url}")
        console.print(f"admin client   {emu.client_id}")
        console.print(f"admin secret   {emu.client_secret}  [dim](emulator only; minted at start)[/]")
        with httpx.Client(
            base_url=emu.base_url, headers=_bearer(emu.base_url, emu.client_id, emu.client_secret)
        ) as api:
            divisions = api.get("/api/v2/authorization/divisions").json()["entities"]
            roles = {r["name"]: r["id"] for r in api.get("/api/v2/authorization/roles").json()["entities"]}
            users = api.get("/api/v2/users", params={"pageSize": 100}).json()["entities"]
            table = Table(title="Divisions of the demo org")
            table.add_column("division")
            table.add_column("users", justify="right")
            for d in divisions:
                table.add_row(d["name"], str(sum(1 for u in users if u["division"]["id"] == d["id"])))
            console.print(table)
            console.print(f"roles: {', '.join(sorted(roles))}")
            acme = next(d for d in divisions if d["name"] == "Acme Insurance")
            client = api.post(
                "/api/v2/oauth/clients",
                json={
                    "name": "acme-reporting",
                    "authorizedGrantType": "CLIENT-CREDENTIALS",
                    "roleDivisions": [
                        {"roleId": roles["Reporting Viewer"], "divisionId": acme["id"]},
                        {"roleId": roles["employee"], "divisionId": acme["id"]},
                    ],
                },
            ).json()
            console.print(f"created OAuth client [bold]{client['name']}[/] scoped to division {acme['name']}")
        headers = _bearer(emu.base_url, client["id"], client["secret"])
        with httpx.Client(base_url=emu.base_url, headers=headers) as tenant:
            seen = tenant.get("/api/v2/users", params={"pageSize": 100}).json()["entities"]
            convs = tenant.post(
                "/api/v2/analytics/conversations/details/query",
                json={"interval": "2026-11-01T00:00:00Z/2026-12-01T00:00:00Z", "paging": {"pageSize": 100}},
            ).json()
            divs = {d for c in convs.get("conversations", []) for d in c["divisionIds"]}
            console.print(
                f"acme-reporting sees {len(seen)} of {len(users)} users, "
                f"{convs['totalHits']} conversations, in divisions "
                f"{sorted(d['name'] for d in divisions if d['id'] in divs)}"
            )
            calls = emu.stats()["total"]
        console.print(f"[green]done[/]: {calls} API calls answered; emulator stopped.")


if __name__ == "__main__":
    main()
