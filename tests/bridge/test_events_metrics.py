"""`tenantry serve` emits events like `apply` does and exposes its metrics: over real HTTP, a joiner
pushed by the IdP reaches a real webhook receiver (signed, with the new Genesys user id, after a
failed first delivery retried in the background) and no secret is in any event or delivery;
/metrics parses with prometheus-client's parser and counts the SCIM side and the latency."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from tests.events.conftest import SECRET, Receiver

from genesys_emulator import RunningEmulator
from tenantry.bridge.app import make_app
from tenantry.bridge.server import RunningBridge, in_thread
from tenantry.bridge.service import Bridge
from tenantry.config import tenants as config_mod
from tenantry.execution.journal import Journal

from .conftest import genesys_client
from .idp import ENTRA_TOKEN, OKTA_TOKEN, EntraClient, OktaClient
from .org import user

HOOKS = """
events:
  audit_log: audit/events.jsonl
  webhooks:
    - url: {url}
      events: ['*']
      secret_env: HR_HOOK_SECRET
"""


@pytest.fixture
def hooked(
    emu: RunningEmulator, bridge_config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[RunningBridge, Receiver]]:
    receiver = Receiver(fail_next=1)  # the first delivery fails: serve retries it in the background
    receiver.start()
    monkeypatch.setenv("HR_HOOK_SECRET", SECRET)
    bridge_config.write_text(bridge_config.read_text() + HOOKS.format(url=receiver.url))
    journal = Journal(f"sqlite:///{tmp_path / 'journal.db'}")
    bridge = Bridge(config_mod.load(bridge_config), journal, genesys_client(emu), settle=0.5)
    try:
        with in_thread(make_app(bridge, body_limit=64_000)) as running:
            yield running, receiver
    finally:
        receiver.stop()
        journal.close()


def _metrics(base: str) -> dict[str, float]:
    text = httpx.get(f"{base}/metrics").text
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[s.name + json.dumps(s.labels, sort_keys=True)] = s.value
    return out


def _histogram_count(m: dict[str, float]) -> float:
    return m.get('tenantry_reconcile_seconds_count{"kind": "idp_change"}', 0.0)


def test_joiner_event_reaches_the_webhook_signed_and_metrics_count_it(
    emu: RunningEmulator, hooked: tuple[RunningBridge, Receiver]
) -> None:
    serve, receiver = hooked
    before = _metrics(serve.base_url)
    with EntraClient(serve.scim_url("entra")) as entra, OktaClient(serve.scim_url("okta")) as okta:
        uid = entra.provision("hook.joiner@bpo.example", "Hook", "Joiner")
        assert entra.add_members(entra.group("ACME-Agents"), uid).status_code == 204
        oid = okta.assign("okta.joiner@bpo.example", "Okta", "Joiner")  # Okta sends a password
        assert okta.membership(okta.push_group("ACME-Agents"), add=(oid,)).status_code in (200, 204)
    bad = httpx.get(serve.scim_url("entra") + "/Users", headers={"Authorization": "Bearer wrong"})
    assert bad.status_code == 401

    deadline = time.monotonic() + 60
    joiners: dict[str, dict] = {}
    while len(joiners) < 2:
        assert time.monotonic() < deadline, f"joiner events: {list(joiners)}; got {len(receiver.received)}"
        time.sleep(0.2)
        for r in receiver.delivered():
            event = json.loads(r.body)
            if event["type"].endswith("joiner"):
                joiners[event["data"]["person"]["email"]] = event
    genesys = user(emu, "hook.joiner@bpo.example")
    assert genesys is not None
    event = joiners["hook.joiner@bpo.example"]
    assert event["specversion"] == "1.0"
    assert event["data"]["person"]["genesys_user_id"] == genesys["id"]  # what the HR system links by
    assert event["data"]["reason"].startswith("IdP request: source entra")
    assert event["data"]["run_id"]
    assert receiver.received[0].status == 500  # the first attempt failed; the retry delivered it
    assert all(r.signature_ok for r in receiver.received)

    after = _metrics(serve.base_url)
    everything = "\n".join(r.body + json.dumps(r.headers) for r in receiver.received)
    everything += httpx.get(f"{serve.base_url}/metrics").text
    for secret in (
        ENTRA_TOKEN,
        OKTA_TOKEN,
        SECRET,
        SECRET.removeprefix("whsec_"),
        emu.client_secret,
        "1mz050nq",
    ):
        assert secret not in everything
    assert "password" not in everything.lower()
    assert _histogram_count(after) > _histogram_count(before)
    assert after['tenantry_scim_requests_total{"method": "PATCH", "source": "entra", "status": "204"}'] >= 1
    assert after['tenantry_scim_auth_failures_total{"source": "entra"}'] >= 1
    assert after.get('tenantry_reconciles_total{"outcome": "converged"}', 0) >= 1
    assert "tenantry_reconcile_queue_depth{}" in after
    assert any(k.startswith("tenantry_events_total") for k in after)
