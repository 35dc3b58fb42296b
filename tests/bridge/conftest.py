"""Fixtures for the SCIM bridge over real HTTP: the emulator, `tenantry serve`'s app on a free port,
and IdP client simulations (tests/bridge/idp.py)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from genesys_emulator import RunningEmulator
from tenantry.bridge.app import make_app
from tenantry.bridge.server import RunningBridge, in_thread
from tenantry.bridge.service import Bridge
from tenantry.config import tenants as config_mod
from tenantry.execution.journal import Journal
from tenantry.genesys import Credentials, GenesysClient, resolve_target

from .idp import ENTRA_TOKEN, OKTA_TOKEN, EntraClient, OktaClient

HERE = Path(__file__).parent
EXAMPLE = HERE.parents[1] / "examples" / "bpo"


def write_config(where: Path) -> Path:
    """The example BPO with IdP-driven rules and two sources: Entra feeds acme and globex, Okta acme only."""
    shutil.copytree(EXAMPLE / "certs", where / "certs", dirs_exist_ok=True)
    text = (EXAMPLE / "tenants.yaml").read_text()
    text = text.replace(
        "      - client: ACME\n      - idp_group: ACME-Agents\n", "      - idp_group: ACME-Agents\n"
    )
    text = text.replace(
        "      - client: GLOBEX\n", "      - idp_group: GLOBEX-Agents\n      - department: Globex\n"
    )
    text = text.replace(
        "      - client: INITECH\n        site: [MNL, CEB]          # one of\n",
        "      - department: Initech\n",
    )
    (where / "okta.token").write_text(OKTA_TOKEN + "\n")
    text += (
        "\nsources:\n"
        "  entra:\n    kind: entra\n    token_env: TENANTRY_TEST_ENTRA_TOKEN\n    tenants: [acme, globex]\n"
        "    rate_limit: 1000/1s\n"
        "  okta:\n    kind: okta\n    token_file: okta.token\n    tenants: [acme]\n    rate_limit: 1000/1s\n"
    )
    path = where / "tenants.yaml"
    path.write_text(text)
    return path


def genesys_client(emu: RunningEmulator, rate_limit: int = 100_000) -> GenesysClient:
    return GenesysClient(
        resolve_target(emu.base_url),
        [Credentials.of(emu.client_id, emu.client_secret)],
        rate_limit=rate_limit,
    )


@pytest.fixture
def bridge_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TENANTRY_TEST_ENTRA_TOKEN", ENTRA_TOKEN)
    return write_config(tmp_path)


@pytest.fixture
def serve(emu: RunningEmulator, bridge_config: Path, tmp_path: Path) -> Iterator[RunningBridge]:
    cfg = config_mod.load(bridge_config)
    journal = Journal(f"sqlite:///{tmp_path / 'journal.db'}")
    bridge = Bridge(cfg, journal, genesys_client(emu), settle=1.0)
    with in_thread(make_app(bridge, body_limit=64_000, admin_token="admin-secret")) as running:
        yield running
    journal.close()


@pytest.fixture
def entra(serve: RunningBridge) -> Iterator[EntraClient]:
    with EntraClient(serve.scim_url("entra")) as c:
        yield c


@pytest.fixture
def okta(serve: RunningBridge) -> Iterator[OktaClient]:
    with OktaClient(serve.scim_url("okta")) as c:
        yield c
