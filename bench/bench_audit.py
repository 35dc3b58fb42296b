"""The isolation audit at scale, from a snapshot built in memory (no server).

The org has the shape of the emulator's `scale:users=N,tenants=20,grants=4` seed (bench/scale_org.py):
N users over 20 tenant divisions, 4 direct grants each (200,000 at N = 50,000), one role-enabled
group and one queue per tenant, the seed's real role permissions, its admin client on `*`.

Two audits per size: without tenants.yaml (a clean org: zero findings, every rule but the two
that need the config), and with it (each agent's 3 non-default direct grants are drift: 150,000
findings at N = 50,000, the heaviest realistic report). Each size runs in a fresh process so its
peak memory is its own. Targets: 50,000 users under 10 s CPU and under 2 GB.
"""

from __future__ import annotations

import json
import math
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from . import scale_org

SIZES = (5_000, 50_000)
TENANTS = 20
CPU_TARGET = 10.0
MEMORY_TARGET_MB = 2048


def _snapshot(users: int):
    from genesys_emulator.seeds import ADMIN_CLIENT_NAME, ROLES
    from tenantry.domain.model import ALL_DIVISIONS, Grant, OAuthClient, Policy, Role

    s = scale_org.snapshot(users, TENANTS)
    s.roles = {  # the seed's roles with their permissions; ids are the names, as in scale_org
        name: Role(
            name, name, tuple(Policy(p["domain"], p["entityName"], tuple(p["actionSet"])) for p in pols)
        )
        for name, pols in ROLES.items()
    }
    s.oauth_clients["admin"] = OAuthClient(
        "admin", ADMIN_CLIENT_NAME, frozenset({Grant("Master Admin", ALL_DIVISIONS)})
    )
    s.self_client_id = "admin"
    return s


def _cpu(fn, repeat: int = 1):
    """The result and the best CPU time of `repeat` runs (the least disturbed by the collector)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        out = fn()
        best = min(best, time.process_time() - start)
    return out, best


def measure(users: int) -> dict:
    from tenantry.audit.engine import audit
    from tenantry.reports.json_report import render_json

    snap = _snapshot(users)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = scale_org.config(TENANTS, Path(tmp))
    grants = sum(map(len, snap.user_grants.values())) + sum(map(len, snap.group_grants.values()))
    clean, cpu_clean = _cpu(lambda: audit(snap, None), repeat=3)
    drift, cpu_config = _cpu(lambda: audit(snap, cfg), repeat=3)
    text, cpu_json = _cpu(lambda d=drift: render_json(d))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    counts = len(clean.findings), len(drift.findings), len(clean.access)
    del clean, drift, text
    tracemalloc.start()
    audit(snap, cfg)
    traced_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return {
        "users": users,
        "grants": grants,
        "cpu_clean": cpu_clean,
        "cpu_config": cpu_config,
        "cpu_json": cpu_json,
        "findings_clean": counts[0],
        "findings_config": counts[1],
        "access_rows": counts[2],
        "audit_peak_mb": traced_mb,
        "rss_mb": rss_mb,
    }


def run() -> str:
    rows = [scale_org.in_fresh_process("bench.bench_audit", n) for n in SIZES]
    lines = [
        "### Isolation audit from a snapshot (20 tenants, 4 direct grants a user)\n",
        "| users | grants | access rows | audit CPU s, no tenants.yaml (findings) | "
        "audit CPU s, with tenants.yaml (findings) | JSON report CPU s | audit peak MB (traced) | "
        "process max RSS MB | < 10 s and < 2 GB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        ok = max(r["cpu_clean"], r["cpu_config"]) < CPU_TARGET and r["rss_mb"] < MEMORY_TARGET_MB
        lines.append(
            f"| {r['users']:,} | {r['grants']:,} | {r['access_rows']:,} | {r['cpu_clean']:.2f} "
            f"({r['findings_clean']:,}) | {r['cpu_config']:.2f} ({r['findings_config']:,}) | "
            f"{r['cpu_json']:.2f} | "
            f"{r['audit_peak_mb']:,.0f} | {r['rss_mb']:,.0f} | {'yes' if ok else 'NO'} |"
        )
    small, big = rows[0], rows[-1]
    ratio = big["users"] / small["users"]
    exps = [
        math.log(big[k] / small[k]) / math.log(ratio) for k in ("cpu_clean", "cpu_config") if small[k] > 0
    ]
    lines.append(
        f"\nGrowth from {small['users']:,} to {big['users']:,} users: CPU ∝ n^{exps[0]:.2f} without and "
        f"n^{exps[-1]:.2f} with tenants.yaml (1.0 is linear; the excess is Python's "
        "cyclic collector walking a larger heap, and sorting). CPU is `time.process_time()` of `audit()` "
        "alone, best of 3; peak MB is tracemalloc's peak during one audit with tenants.yaml; max RSS is "
        "the whole process (snapshot, both audits and the JSON text included).\n"
    )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    if len(sys.argv) > 1:
        print(json.dumps(measure(int(sys.argv[1]))))
    else:
        print(run())
