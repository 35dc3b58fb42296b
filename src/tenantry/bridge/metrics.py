"""The bridge's own metrics, in the one tenantry registry that `tenantry serve` exposes at /metrics.

Labels stay low-cardinality: the source name (from tenants.yaml), the HTTP method, the status
code and a reconcile outcome; never a user, an email or a path with an id in it.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge

from tenantry.events.metrics import RECONCILE, REGISTRY

SCIM_REQUESTS = Counter(
    "tenantry_scim_requests",
    "SCIM requests answered, by source, method and status.",
    ["source", "method", "status"],
    registry=REGISTRY,
)
AUTH_FAILURES = Counter(
    "tenantry_scim_auth_failures",
    "SCIM requests refused for a missing or wrong bearer token, by source.",
    ["source"],
    registry=REGISTRY,
)
RATE_LIMITED = Counter(
    "tenantry_scim_rate_limited",
    "SCIM requests answered 429 by the per-source rate limit, by source.",
    ["source"],
    registry=REGISTRY,
)
QUEUE_DEPTH = Gauge(
    "tenantry_reconcile_queue_depth",
    "People waiting for a reconcile (settling or due).",
    registry=REGISTRY,
)
RECONCILES = Counter(
    "tenantry_reconciles",
    "Bridge reconciles, by outcome (converged, not_converged, error).",
    ["outcome"],
    registry=REGISTRY,
)
LATENCY = RECONCILE.labels("idp_change")  # IdP change → grant in place, per person


def observe_latency(seconds: float) -> None:
    LATENCY.observe(seconds)
