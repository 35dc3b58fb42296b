"""Fixtures for tenant reporting over real HTTP: planted conversations, a tenant's own OAuth client."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from genesys_emulator import RunningEmulator

ACME, GLOBEX = "Acme Insurance", "Globex Telecom"


def division_id(api: httpx.Client, name: str) -> str:
    r = api.get("/api/v2/authorization/divisions", params={"name": name})
    r.raise_for_status()
    return r.json()["entities"][0]["id"]


def plant(
    emu: RunningEmulator, divisions: list[str], count: int, start: str, spacing: float = 40
) -> list[str]:
    r = emu.admin.post(
        "/_emulator/analytics/conversations",
        json={"divisionNames": divisions, "count": count, "start": start, "spacingMinutes": spacing},
    )
    r.raise_for_status()
    return r.json()["conversationIds"]


def role_id(api: httpx.Client, name: str) -> str:
    roles = api.get("/api/v2/authorization/roles", params={"pageSize": 100}).json()["entities"]
    return next(r["id"] for r in roles if r["name"] == name)


def make_client(api: httpx.Client, name: str, role: str, division: str) -> tuple[str, str]:
    body = {
        "name": name,
        "authorizedGrantType": "CLIENT-CREDENTIALS",
        "roleDivisions": [{"roleId": role_id(api, role), "divisionId": division_id(api, division)}],
    }
    r = api.post("/api/v2/oauth/clients", json=body)
    r.raise_for_status()
    return r.json()["id"], r.json()["secret"]


@dataclass
class Reporting:
    emu: RunningEmulator
    api: httpx.Client
    secrets_dir: Path

    def tenant_client(
        self, name: str = "acme-reporting", role: str = "Reporting Viewer", division: str = ACME
    ):
        """The tenant's OAuth client, its secret kept where `tenantry apply` keeps it."""
        cid, secret = make_client(self.api, name, role, division)
        self.secrets_dir.mkdir(exist_ok=True)
        (self.secrets_dir / f"{name}.json").write_text(
            json.dumps({"client_id": cid, "client_secret": secret})
        )
        return cid, secret


@pytest.fixture
def reporting(
    emu: RunningEmulator, api: httpx.Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Reporting:
    monkeypatch.chdir(tmp_path)
    emu.admin.post("/_emulator/analytics/conversations", json={"jobDelay": 0.3}).raise_for_status()
    return Reporting(emu, api, tmp_path / "tenantry-secrets")
