"""The emulator's own throughput: GETs by id, 16 concurrent keep-alive connections, loopback.

It must stay far above the rate it emulates (≥ 1,000 requests/s) so that it is never the
bottleneck of tenantry's benchmarks. The emulator runs in its own process.
"""

from __future__ import annotations

import asyncio

import httpx

from genesys_emulator import running_emulator

from .loadgen import run_load

TOTAL = 20_000
CONNECTIONS = 16
TARGET = 1_000


def run() -> str:
    with running_emulator(seed="scale:users=2000,tenants=10", rate_limit="1000000/60s", process=True) as emu:
        token = emu.token()
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=emu.base_url, headers=headers) as c:
            users = c.get("/api/v2/users", params={"pageSize": 500}).json()["entities"]
            queues = c.get("/api/v2/routing/queues", params={"pageSize": 100}).json()["entities"]
        user_paths = [f"/api/v2/users/{u['id']}" for u in users]
        mixed = user_paths + [f"/api/v2/routing/queues/{q['id']}" for q in queues]
        rows = []
        for label, paths in (("GET /api/v2/users/{id}", user_paths), ("GET users + queues by id", mixed)):
            asyncio.run(
                run_load(
                    emu.base_url,
                    lambda i, p=paths: p[i % len(p)],
                    headers=headers,
                    connections=CONNECTIONS,
                    total=2_000,
                )
            )  # warm-up
            r = asyncio.run(
                run_load(
                    emu.base_url,
                    lambda i, p=paths: p[i % len(p)],
                    headers=headers,
                    connections=CONNECTIONS,
                    total=TOTAL,
                )
            )
            ok = r.statuses.get(200, 0)
            p50, p99 = r.percentile(0.5) * 1000, r.percentile(0.99) * 1000
            verdict = "yes" if r.rate >= TARGET else "NO"
            rows.append(
                f"| {label} | {TOTAL:,} | {CONNECTIONS} | {r.rate:,.0f} | {p50:.1f} | {p99:.1f} | "
                f"{ok / TOTAL:.1%} | {verdict} |"
            )
    head = (
        "### Emulator throughput (loopback, emulator in its own process)\n\n"
        f"| workload | requests | connections | requests/s | p50 ms | p99 ms | 200s | ≥ {TARGET:,}/s |\n"
        "|---|---:|---:|---:|---:|---:|---:|---|\n"
    )
    return head + "\n".join(rows) + "\n"
