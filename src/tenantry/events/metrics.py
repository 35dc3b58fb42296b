"""Prometheus metrics: one registry that `tenantry serve` mounts at /metrics and CLI runs write
to a node_exporter textfile (`--metrics-file`).

The Genesys client already counts its calls, retries and 429s (genesys/metrics.py); a collector
reads those counters at scrape time from every client handed to `track_client`, so nothing in
the client layer changes. Labels are low-cardinality by construction: endpoint templates, never
filled paths; token labels are the public client id and its pool position.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, write_to_textfile
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

REGISTRY = CollectorRegistry(auto_describe=True)

BATCHES = Counter(
    "tenantry_batches",
    "Plan batches executed, by phase, operation and outcome.",
    ["phase", "op", "outcome"],
    registry=REGISTRY,
)
EVENTS = Counter("tenantry_events", "Events emitted, by type.", ["type"], registry=REGISTRY)
WEBHOOKS = Counter(
    "tenantry_webhook_deliveries",
    "Webhook delivery attempts, by outcome (delivered, retry, failed).",
    ["outcome"],
    registry=REGISTRY,
)
PEOPLE = Gauge(
    "tenantry_people", "People tenantry manages, per tenant (last plan).", ["tenant"], registry=REGISTRY
)
FINDINGS = Gauge(
    "tenantry_audit_findings",
    "Audit findings of the last audit, by rule and severity.",
    ["rule", "severity"],
    registry=REGISTRY,
)
RECONCILE = Histogram(
    "tenantry_reconcile_seconds",
    "Time to converge: a whole apply, or one person's reconcile.",
    ["kind"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900),
    registry=REGISTRY,
)
CONVERSATIONS = Counter(
    "tenantry_conversations_read", "Conversation details read, per tenant.", ["tenant"], registry=REGISTRY
)


class ClientCollector(Collector):
    """The Genesys clients' own counters, read at scrape time."""

    def __init__(self) -> None:
        self.clients: list[Any] = []

    def collect(self) -> Iterator[Metric]:
        calls = CounterMetricFamily(
            "tenantry_genesys_api_calls",
            "Genesys API calls by endpoint and status.",
            labels=["method", "endpoint", "status"],
        )
        retries = CounterMetricFamily(
            "tenantry_genesys_retries",
            "Genesys API retries by endpoint and reason.",
            labels=["method", "endpoint", "reason"],
        )
        limited = CounterMetricFamily("tenantry_genesys_rate_limited", "Genesys API answers 429.")
        minted = CounterMetricFamily("tenantry_genesys_tokens_minted", "OAuth tokens minted.")
        budget = GaugeMetricFamily(
            "tenantry_rate_budget_utilisation",
            "Share of each token's request budget in use in its window.",
            labels=["token"],
        )
        sums: dict[str, dict[tuple, float]] = {"calls": {}, "retries": {}}
        n429 = nmint = 0
        for client in self.clients:
            m = client.metrics
            for key, n in m.calls.items():
                sums["calls"][key] = sums["calls"].get(key, 0) + n
            for key, n in m.retries.items():
                sums["retries"][key] = sums["retries"].get(key, 0) + n
            n429 += m.rate_limited
            nmint += m.tokens_minted
            for i, member in enumerate(getattr(getattr(client, "pool", None), "members", [])):
                budget.add_metric([f"{member.client_id}#{i}"], utilisation(member.budget))
        for key, n in sorted(sums["calls"].items()):
            calls.add_metric(list(key), n)
        for key, n in sorted(sums["retries"].items()):
            retries.add_metric(list(key), n)
        limited.add_metric([], n429)
        minted.add_metric([], nmint)
        yield from (calls, retries, limited, minted, budget)


def utilisation(budget: Any) -> float:
    used = len(getattr(budget, "_done", ())) + getattr(budget, "inflight", 0)
    return round(min(1.0, used / budget.limit), 4) if getattr(budget, "limit", 0) else 0.0


CLIENTS = ClientCollector()
REGISTRY.register(CLIENTS)


def track_client(client: Any) -> None:
    """Count this GenesysClient's calls in the registry (kept after it closes: counters only grow)."""
    if client not in CLIENTS.clients:
        CLIENTS.clients.append(client)


def observe_people(per_tenant: dict[str | None, int]) -> None:
    for tenant, n in per_tenant.items():
        PEOPLE.labels(tenant or "(staff)").set(n)


def observe_findings(findings: Iterable[Any]) -> None:
    FINDINGS.clear()
    for f in findings:
        FINDINGS.labels(f.rule, f.severity).inc()


def render_metrics() -> bytes:
    """The Prometheus text exposition of every tenantry metric (what /metrics answers)."""
    return generate_latest(REGISTRY)


CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def write_metrics_file(path: str | Path) -> None:
    """node_exporter's textfile collector format, written atomically (temp file, rename)."""
    write_to_textfile(str(path), REGISTRY)
