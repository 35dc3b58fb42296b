"""scim2-tester (python-scim), the RFC 7643/7644 checker, against the bridge over HTTP: every check passes."""

from __future__ import annotations

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

from tenantry.bridge.server import RunningBridge

from .idp import ENTRA_TOKEN
from .org import wait_idle


def test_scim2_tester_finds_nothing_wrong(serve: RunningBridge) -> None:
    http = httpx2.Client(base_url=serve.scim_url("entra"), headers={"Authorization": f"Bearer {ENTRA_TOKEN}"})
    with http:
        results = check_server(SyncSCIMClient(http))
    failed = [f"{r.title}: {r.reason}" for r in results if r.status not in (Status.SUCCESS, Status.SKIPPED)]
    assert len(results) > 20
    assert sum(r.status == Status.SUCCESS for r in results) > 20
    assert failed == [], "\n".join(failed)
    wait_idle(serve)
