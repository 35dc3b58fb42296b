"""Fixtures of the emulator's own tests: the demo org by name, and clients holding chosen grants."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx
import pytest

from genesys_emulator import RunningEmulator

if TYPE_CHECKING:
    import PureCloudPlatformClientV2 as gc

ACME = "Acme Insurance"
GLOBEX = "Globex Telecom"

_names = itertools.count(1)


@dataclass
class DemoOrg:
    """Ids of the demo seed's roles, divisions, groups, queues and users, looked up by name."""

    roles: dict[str, str]
    divisions: dict[str, str]
    groups: dict[str, str]
    queues: dict[str, str]
    users: dict[str, dict]  # email -> user

    def users_in(self, division_name: str) -> list[dict]:
        did = self.divisions[division_name]
        return [u for u in self.users.values() if u["division"]["id"] == did]


def _all(api: httpx.Client, path: str) -> list[dict]:
    r = api.get(path, params={"pageSize": 500})
    assert r.status_code == 200, r.text
    return r.json()["entities"]


@pytest.fixture
def demo(api: httpx.Client) -> DemoOrg:
    return DemoOrg(
        roles={r["name"]: r["id"] for r in _all(api, "/api/v2/authorization/roles")},
        divisions={d["name"]: d["id"] for d in _all(api, "/api/v2/authorization/divisions")},
        groups={g["name"]: g["id"] for g in _all(api, "/api/v2/groups")},
        queues={q["name"]: q["id"] for q in _all(api, "/api/v2/routing/queues")},
        users={u["email"]: u for u in _all(api, "/api/v2/users")},
    )


def unique(prefix: str) -> str:
    """A name no other test of the session uses."""
    return f"{prefix} {next(_names):04d}"


@pytest.fixture
def client_with(emu: RunningEmulator, api: httpx.Client) -> Iterator[Callable[..., httpx.Client]]:
    """Factory: an OAuth client holding exactly `grants` [(role id, division id)], as an HTTP client
    carrying its token."""
    opened: list[httpx.Client] = []

    def make(grants: list[tuple[str, str]], name: str | None = None) -> httpx.Client:
        body = {
            "name": name or unique("test client"),
            "authorizedGrantType": "CLIENT-CREDENTIALS",
            "roleDivisions": [{"roleId": r, "divisionId": d} for r, d in grants],
        }
        r = api.post("/api/v2/oauth/clients", json=body)
        assert r.status_code == 200, r.text
        rec = r.json()
        c = httpx.Client(
            base_url=emu.base_url,
            headers={"Authorization": f"Bearer {emu.token(rec['id'], rec['secret'])}"},
            timeout=30,
        )
        opened.append(c)
        return c

    yield make
    for c in opened:
        c.close()


def _assert_error_body(r: httpx.Response, status: int) -> dict:
    """The platform's error body, with the status it claims equal to the HTTP one."""
    assert r.status_code == status, r.text
    body = r.json()
    for key in ("message", "code", "status", "messageParams", "contextId", "details", "errors"):
        assert key in body, f"{key} missing from {body}"
    assert body["status"] == status
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["code"], str) and body["code"]
    return body


@pytest.fixture
def error_body() -> Callable[[httpx.Response, int], dict]:
    """`error_body(response, status)`: asserts the platform's error body and returns it."""
    return _assert_error_body


@pytest.fixture
def name() -> Callable[[str], str]:
    """`name(prefix)`: a name no other test of the session uses."""
    return unique


@pytest.fixture
def tenant(emu: RunningEmulator, api: httpx.Client) -> Iterator[httpx.Client]:
    """A client holding "User Administrator" in the Acme division only, token minted with HTTP Basic."""
    roles = {r["name"]: r["id"] for r in api.get("/api/v2/authorization/roles").json()["entities"]}
    acme = {d["name"]: d["id"] for d in _all(api, "/api/v2/authorization/divisions")}[ACME]
    r = api.post(
        "/api/v2/oauth/clients",
        json={
            "name": "acme scim bridge",
            "authorizedGrantType": "CLIENT-CREDENTIALS",
            "roleDivisions": [{"roleId": roles["User Administrator"], "divisionId": acme}],
        },
    )
    assert r.status_code == 200, r.text
    cid, secret = r.json()["id"], r.json()["secret"]
    t = httpx.post(
        f"{emu.base_url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(cid, secret),
        timeout=30,
    )
    assert t.status_code == 200, t.text
    with httpx.Client(
        base_url=emu.base_url, headers={"Authorization": f"Bearer {t.json()['access_token']}"}, timeout=30
    ) as c:
        yield c


@pytest.fixture
def sdk(emu: RunningEmulator) -> gc.ApiClient:
    """The official Python SDK holding a token of the emulator's admin client."""
    import PureCloudPlatformClientV2 as gc

    client = gc.api_client.ApiClient(host=emu.base_url)
    client.get_client_credentials_token(emu.client_id, emu.client_secret)
    assert client.access_token
    return client
