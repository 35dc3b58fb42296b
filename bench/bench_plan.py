"""Plan at scale, from a snapshot: desired state + diff for N people × 20 tenants, 4 grants each.

Each size runs in a fresh process so its peak memory is its own. The plan revokes the 4 direct
grants of every person (agents take roles through groups only) and moves 1% of them: a heavy,
realistic diff. Targets: 50,000 people under 10 s CPU and under 2 GB.
"""

from __future__ import annotations

import json
import math
import resource
import sys
import tempfile
import time
from pathlib import Path

from . import scale_org

SIZES = (5_000, 10_000, 25_000, 50_000)
TENANTS = 20


def measure(users: int) -> dict:
    from tenantry.planning.desired import build
    from tenantry.planning.plan import diff

    snap = scale_org.snapshot(users, TENANTS)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = scale_org.config(TENANTS, Path(tmp))
    persons = scale_org.people(users, TENANTS, movers=users // 100)
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu, wall = time.process_time(), time.perf_counter()
    plan = diff(cfg, build(cfg, persons), snap)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    grants = sum(len(g) for g in snap.user_grants.values()) + sum(len(g) for g in snap.group_grants.values())
    return {
        "users": users,
        "grants": grants,
        "batches": plan.changes,
        "cpu": cpu,
        "wall": wall,
        "peak_mb": peak / 1024,
        "base_mb": base_rss / 1024,
    }


def run() -> str:
    rows = [scale_org.in_fresh_process("bench.bench_plan", n) for n in SIZES]
    a, b = rows[0], rows[-1]
    exponent = math.log(b["cpu"] / a["cpu"]) / math.log(b["users"] / a["users"])
    lines = [
        f"### Plan from a snapshot: N people × {TENANTS} tenants (desired state + diff)\n",
        "Each size in a fresh process; peak RSS is the whole process, snapshot generation included.\n",
        "| people | grants in org | batches planned | CPU s | wall s | peak RSS MB | < 10 s, < 2 GB |",
        "|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        ok = "yes" if r["cpu"] < 10 and r["peak_mb"] < 2048 else "NO"
        lines.append(
            f"| {r['users']:,} | {r['grants']:,} | {r['batches']:,} | {r['cpu']:.2f} | {r['wall']:.2f} | "
            f"{r['peak_mb']:.0f} | {ok} |"
        )
    lines.append(f"\nCPU grows as N^{exponent:.2f} from {a['users']:,} to {b['users']:,} people.\n")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(json.dumps(measure(int(sys.argv[1]))))
