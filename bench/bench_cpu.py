"""The client's CPU per request, measured side by side in one process (issue 12).

The same reads (GET /api/v2/users/{userId}, 4 tokens, no binding rate limit, the emulator in its
own process) in alternating rounds, so that a busy machine slows every variant alike:

* plain httpx: four AsyncClients, eight requests at a time each, no tenantry at all (the floor);
* tenantry over httpx's own transport (as before `genesys/transport.py`);
* tenantry as it ships.

`python -m bench.bench_cpu [rounds]` prints the median CPU milliseconds per read of each.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable

import httpx

from genesys_emulator import running_emulator
from tenantry.genesys import Credentials, GenesysClient, api, http, resolve_target

READS = 2_000


async def _measure(emu: object, rounds: int) -> dict[str, list[float]]:
    base = emu.base_url  # type: ignore[attr-defined]
    creds = [Credentials.of(emu.client_id, emu.client_secret)]  # type: ignore[attr-defined]
    kw = {"timeout": 10.0, "token_pool_size": 4, "rate_limit": 100_000, "rate_window": 60.0}
    shipped = GenesysClient(resolve_target(base), creds, **kw)  # type: ignore[arg-type]
    own = http.cheap_idle_checks
    http.cheap_idle_checks = lambda limits: httpx.AsyncHTTPTransport(limits=limits)  # type: ignore[assignment]
    try:
        before = GenesysClient(resolve_target(base), creds, **kw)  # type: ignore[arg-type]
    finally:
        http.cheap_idle_checks = own
    ids = [u.id for u in (await api.users.list_users(shipped)).users]
    tokens = await asyncio.gather(*(m.tokens.get() for m in shipped.pool.members))
    limits = httpx.Limits(max_connections=10, max_keepalive_connections=10)
    plain = [
        httpx.AsyncClient(timeout=10, limits=limits, headers={"Authorization": f"Bearer {t}"}) for t in tokens
    ]
    gates = [asyncio.Semaphore(8) for _ in plain]

    async def raw(i: int) -> None:
        k = i % len(plain)
        async with gates[k]:
            r = await plain[k].get(f"{base}/api/v2/users/{ids[i % len(ids)]}")
            r.raise_for_status()
            r.json()

    def via(client: GenesysClient) -> Callable[[int], Awaitable[object]]:
        return lambda i: api.users.get_user(client, ids[i % len(ids)])

    variants = {
        "plain httpx": raw,
        "tenantry, httpx's transport": via(before),
        "tenantry as shipped": via(shipped),
    }
    cpu: dict[str, list[float]] = {name: [] for name in variants}
    for one in variants.values():  # warm every pool up first
        await asyncio.gather(*(one(i) for i in range(300)))
    for _ in range(rounds):
        for name, one in variants.items():
            c0 = time.process_time()
            await asyncio.gather(*(one(i) for i in range(READS)))
            cpu[name].append((time.process_time() - c0) / READS * 1000)
    for c in (shipped, before):
        await c.aclose()
    for p in plain:
        await p.aclose()
    return cpu


def run(rounds: int = 8) -> str:
    with running_emulator(
        seed="demo", rate_limit="100000/60s", token_rate_limit="1000/60s", process=True
    ) as emu:
        cpu = asyncio.run(_measure(emu, rounds))
    floor = statistics.median(cpu["plain httpx"])
    lines = [
        f"Client CPU per read, {READS:,} reads a round, {rounds} alternating rounds, 4 tokens (median)",
        "",
        "| variant | CPU ms per read | ÷ plain httpx |",
        "|---|---:|---:|",
    ]
    for name, values in cpu.items():
        median = statistics.median(values)
        lines.append(f"| {name} | {median:.3f} | {median / floor:.2f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(run(int(sys.argv[1]) if sys.argv[1:] else 8))
