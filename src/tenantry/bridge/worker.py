"""`tenantry worker -c tenants.yaml`: the worker also runs the SCIM bridge's reconcile jobs.

The serve replicas defer them (bridge/replicas.py); a worker needs the rules (tenants.yaml) and
the shared store, not the sources' bearer tokens: it never answers an IdP.
"""

from __future__ import annotations

from pathlib import Path

from tenantry.bridge.replicas import QUEUE, ReplicaWorker
from tenantry.bridge.security import RateLimiter
from tenantry.bridge.service import Bridge, Source
from tenantry.config import tenants as config_mod
from tenantry.execution.distributed import ExtraQueue
from tenantry.execution.journal import Journal
from tenantry.genesys import GenesysClient


def bridge_queue(
    config: Path, journal: Journal, client: GenesysClient, *, index_every: float = 600.0
) -> ExtraQueue:
    """The bridge's reconcile queue for `run_worker`; InputError when tenants.yaml is wrong."""
    cfg = config_mod.load(config)
    sources = {
        name: Source(name, spec, b"", RateLimiter.parse(spec.rate_limit))
        for name, spec in cfg.sources.items()
    }
    bridge = Bridge(cfg, journal, client, sources=sources, replicas=True, index_every=index_every)
    worker = ReplicaWorker(bridge.reconcile, bridge.reconciled)
    return ExtraQueue(QUEUE, worker.register, background=lambda: bridge.serve_jobs(worker))
