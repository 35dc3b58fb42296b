"""Benchmark of the Genesys client layer against the emulator (run in its own process).

(a) One OAuth client, a 300-per-1-second window, 3,000 reads: how many windows they take (the
    ideal is 10; target <= 10.5, i.e. >= 95% of the ceiling) and the share answered 429 (< 1%).
(b) The same 3,000 reads over a pool of 4 clients against 1 client, measured in one run
    (target >= 3.8x faster).

`run()` returns a markdown table; `python bench/bench_client.py` prints it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from tenantry.emulator import running_emulator
from tenantry.genesys import Credentials, GenesysClient, api, resolve_target
from tenantry.genesys.models import RoleDivision

READS = 3_000
LIMIT, WINDOW = 300, 1.0


@dataclass
class Result:
    name: str
    clients: int
    elapsed: float
    requests: int
    rate_limited: int

    @property
    def windows(self) -> float:
        return self.elapsed / WINDOW

    @property
    def share_429(self) -> float:
        return self.rate_limited / self.requests if self.requests else 0.0


async def _reads(base_url: str, creds: list[Credentials], user_ids: list[str], name: str) -> Result:
    async with GenesysClient(resolve_target(base_url), creds, timeout=10.0) as client:
        await asyncio.gather(*(m.tokens.get() for m in client.pool.members))  # mint outside the clock
        t0 = time.monotonic()
        await asyncio.gather(*(api.users.get_user(client, user_ids[i % len(user_ids)]) for i in range(READS)))
        elapsed = time.monotonic() - t0
        api_calls = sum(n for (_, t, _), n in client.metrics.calls.items() if t != "/oauth/token")
        return Result(name, len(creds), elapsed, api_calls, client.metrics.rate_limited)


async def _clients(base_url: str, admin: Credentials, n: int) -> tuple[list[Credentials], list[str]]:
    async with GenesysClient(resolve_target(base_url), [admin]) as client:
        master = await api.roles.find_role(client, "Master Admin")
        assert master is not None
        users = (await api.users.list_users(client)).users
        made = [
            await api.oauth_clients.create_oauth_client(
                client, f"bench reader {i}", [RoleDivision(role_id=master.id, division_id="*")]
            )
            for i in range(n)
        ]
    creds = [Credentials.of(c.id, c.secret.get_secret_value()) for c in made if c.secret]
    return creds, [u.id for u in users]


async def _bench(base_url: str, admin: Credentials) -> list[Result]:
    # Five fresh clients: no window is still full from an earlier scenario.
    creds, user_ids = await _clients(base_url, admin, 5)
    single = await _reads(base_url, creds[:1], user_ids, "one client")
    pool = await _reads(base_url, creds[1:], user_ids, "pool of 4")
    return [single, pool]


def run() -> str:
    with running_emulator(
        seed="demo", rate_limit=f"{LIMIT}/{WINDOW:g}s", token_rate_limit="1000/60s", process=True
    ) as emu:
        single, pool = asyncio.run(_bench(emu.base_url, Credentials.of(emu.client_id, emu.client_secret)))
    speedup = single.elapsed / pool.elapsed
    lines = [
        f"Genesys client vs emulator (own process): {LIMIT} per {WINDOW:g} s per token, {READS:,} reads",
        "",
        "| scenario | clients | elapsed (s) | windows used | requests | 429s | 429 share | target |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r, target in ((single, "<= 10.5 windows, < 1% 429"), (pool, "")):
        lines.append(
            f"| {r.name} | {r.clients} | {r.elapsed:.2f} | {r.windows:.2f} | {r.requests} | "
            f"{r.rate_limited} | {r.share_429:.2%} | {target} |"
        )
    ok_a = single.windows <= 10.5 and single.share_429 < 0.01
    ok_b = speedup >= 3.8
    lines += [
        "",
        f"- (a) one client: {single.windows:.2f} windows, {single.share_429:.2%} answered 429: "
        f"{'meets' if ok_a else 'MISSES'} the target (<= 10.5 windows, < 1%).",
        f"- (b) pool of 4 vs 1 on the same work: {speedup:.2f}x faster: "
        f"{'meets' if ok_b else 'MISSES'} the target (>= 3.8x).",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
