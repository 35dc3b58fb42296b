"""Structured logs carry context and never a secret; the metrics exposition parses."""

from __future__ import annotations

import asyncio
import io
import json
import logging

from prometheus_client.parser import text_string_to_metric_families

from genesys_emulator import RunningEmulator
from tenantry.events import logs
from tenantry.events.metrics import CONTENT_TYPE, render_metrics, track_client
from tenantry.genesys import Credentials, GenesysClient, resolve_target
from tenantry.genesys.api import divisions


def test_json_logs_bind_context_and_redact() -> None:
    buf = io.StringIO()
    restore = logs.configure("json", stream=buf)
    try:
        logs.bind(run_id="r-1", tenant="acme")
        log = logging.getLogger("tenantry.events")
        log.info(
            "batch applied",
            extra={
                "batch_id": "b-1",
                "client_secret": "s3cr3t-xyz",
                "note": "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abc",
            },
        )
        logs.get("tenantry.test").warning("token refreshed", access_token="tok-123456789", target="acme")
        logs.unbind("run_id", "tenant")
    finally:
        restore()
    lines = [json.loads(x) for x in buf.getvalue().splitlines()]
    assert [x["event"] for x in lines] == ["batch applied", "token refreshed"]
    first, second = lines
    assert first["run_id"] == "r-1" and first["tenant"] == "acme" and first["batch_id"] == "b-1"
    assert first["level"] == "info" and first["logger"] == "tenantry.events" and first["timestamp"]
    text = buf.getvalue()
    for secret in ("s3cr3t-xyz", "eyJhbGciOiJIUzI1NiJ9.abc", "tok-123456789"):
        assert secret not in text
    assert first["client_secret"] == "[redacted]" and second["access_token"] == "[redacted]"
    assert logging.getLogger("tenantry").handlers == [] or not any(
        getattr(h, "stream", None) is buf for h in logging.getLogger("tenantry").handlers
    )


def test_metrics_parse_and_count_the_clients_calls(emu: RunningEmulator) -> None:
    async def go() -> None:
        async with GenesysClient(
            resolve_target(emu.base_url),
            [Credentials.of(emu.client_id, emu.client_secret)],
            rate_limit=100_000,
        ) as c:
            track_client(c)
            for _ in range(3):
                await divisions.list_divisions(c)

    asyncio.run(go())
    text = render_metrics().decode()
    assert CONTENT_TYPE.startswith("text/plain; version=0.0.4")
    families = {f.name: f for f in text_string_to_metric_families(text)}
    calls = families["tenantry_genesys_api_calls"]
    assert calls.type == "counter"
    listed = [
        s
        for s in calls.samples
        if s.labels["endpoint"] == "/api/v2/authorization/divisions" and s.labels["status"] == "200"
    ]
    assert listed and sum(s.value for s in listed) >= 3
    for name in (
        "tenantry_batches",
        "tenantry_webhook_deliveries",
        "tenantry_reconcile_seconds",
        "tenantry_rate_budget_utilisation",
        "tenantry_genesys_rate_limited",
        "tenantry_genesys_retries",
    ):
        assert name in families, name
    util = [s.value for s in families["tenantry_rate_budget_utilisation"].samples]
    assert util and all(0 <= v <= 1 for v in util)


def test_the_grafana_dashboard_queries_only_metrics_that_exist() -> None:
    import re
    from pathlib import Path

    dashboard = json.loads((Path(__file__).parents[2] / "examples" / "grafana-dashboard.json").read_text())
    exposed = set()
    for fam in text_string_to_metric_families(render_metrics().decode()):
        exposed |= {
            fam.name,
            fam.name + "_total",
            fam.name + "_bucket",
            fam.name + "_count",
            fam.name + "_sum",
        }
    used = {
        m for p in dashboard["panels"] for t in p["targets"] for m in re.findall(r"tenantry_\w+", t["expr"])
    }
    assert len(used) >= 10 and used <= exposed, used - exposed
