"""An Entra-style initial cycle through the SCIM bridge: N users and 20 groups pushed by 8 client
threads while `tenantry serve` reconciles them into Genesys at the pool's rate-limit ceiling.

    python -m bench.bench_bridge cycle[=N]        (N users, 10,000 by default)

The IdP side plays what IDP-SCIM.md §1.1 says Entra's initial cycle sends: for each group a
`displayName eq` probe and `POST /Groups`; for each user a `userName eq` probe and `POST /Users`;
memberships as `PATCH /Groups/{id}` with `Add members`, several users per request (Entra does not
say how many: PER_PATCH here). Users go out in blocks of PER_PATCH that share a group, each block
followed by its PATCH, so reconciles run while the push does (as in a real cycle, where users and
memberships interleave). Every SCIM request is timed.

The Genesys side: the emulator at `limit` requests per `window` per token (a shortened window, so
a run takes minutes), serve's pool set to `tokens` tokens through a profile, so the ceiling is
known: calls ÷ (limit × tokens) windows. Measured from the first reconcile to the queue draining.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from tests.bridge.idp import EntraClient

from genesys_emulator import RunningEmulator, running_emulator

GROUPS = 20
PER_PATCH = 10  # members per Add PATCH ("several members per request", IDP-SCIM.md §1.1)
THREADS = 8


def division(g: int) -> str:
    return f"Tenant {g + 1:03d}"


def group_name(g: int) -> str:
    return f"T{g + 1:03d}-Agents"


def config_text(groups: int = GROUPS) -> str:
    """One tenant per IdP group (`idp_group: T001-Agents` → division "Tenant 001"), one Entra source."""
    lines = ["org:", "  home_division: Home", "  mass_revoke_threshold: 1.0", "tenants:"]
    for g in range(groups):
        lines += [
            f"  t{g + 1:03d}:",
            f"    division: {division(g)}",
            f"    members: [{{idp_group: {group_name(g)}}}]",
            "    groups:",
            "      Agents: {roles: [Agent, employee]}",
            f"    queues: [{{name: {division(g)} Support, groups: [Agents]}}]",
        ]
    tenants = ", ".join(f"t{g + 1:03d}" for g in range(groups))
    lines += [
        "sources:",
        "  entra:",
        "    kind: entra",
        "    token_env: TENANTRY_TEST_ENTRA_TOKEN",
        f"    tenants: [{tenants}]",
        "    rate_limit: 100000/1s",
    ]
    return "\n".join(lines) + "\n"


def profile_text(emu: RunningEmulator, limit: int, window: float, tokens: int) -> str:
    """serve's Genesys profile: the emulator's per-token limit and an explicit pool size."""
    return (
        "[profiles.bench]\n"
        f'target = "{emu.base_url}"\n'
        f'client_id = "{emu.client_id}"\n'
        'client_secret_env = "BENCH_CYCLE_SECRET"\n'
        f"rate_limit = {limit}\nrate_window = {window}\ntoken_pool_size = {tokens}\n"
    )


@dataclass
class Push:
    """What the IdP side saw."""

    times: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def timed(self, call, *args, **kwargs) -> httpx.Response:
        t = time.perf_counter()
        r = call(*args, **kwargs)
        with self.lock:
            self.times.append(time.perf_counter() - t)
            if r.status_code >= 400:
                self.errors.append(f"{r.request.method} {r.status_code}: {r.text[:200]}")
        return r


def email(i: int) -> str:
    return f"cycle{i:06d}@bpo.example"


def _user_body(i: int) -> dict:
    e = email(i)
    return {
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        ],
        "externalId": e.split("@")[0],
        "userName": e,
        "active": True,
        "emails": [{"primary": True, "type": "work", "value": e}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": f"Cycle {i}", "familyName": str(i), "givenName": "Cycle"},
        "roles": [],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": str(i)},
    }


def push(url: str, users: int, groups: int = GROUPS, threads: int = THREADS) -> Push:
    """Groups first (probe, create), then blocks of PER_PATCH users (probe, create each; one Add
    PATCH for the block), blocks dealt round-robin to `threads` clients."""
    out = Push()
    start = time.perf_counter()
    gids: list[str] = []
    with EntraClient(url) as c:
        for g in range(groups):
            name = group_name(g)
            out.timed(
                c.http.get,
                "/Groups",
                params={"excludedAttributes": "members", "filter": f'displayName eq "{name}"'},
            )
            body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name}
            gids.append(out.timed(c.http.post, "/Groups", json=body).json()["id"])
    blocks = list(range(0, users, PER_PATCH))

    def worker(n: int) -> None:
        with EntraClient(url) as c:
            for b in blocks[n::threads]:
                uids = []
                for i in range(b, min(users, b + PER_PATCH)):
                    out.timed(c.http.get, "/Users", params={"filter": f'userName eq "{email(i)}"'})
                    uids.append(out.timed(c.http.post, "/Users", json=_user_body(i)).json().get("id"))
                out.timed(c.add_members, gids[(b // PER_PATCH) % groups], *[u for u in uids if u])

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    out.seconds = time.perf_counter() - start
    return out


class FirstReconcile(threading.Thread):
    """Notes when serve's queue ran its first reconcile (polling /healthz)."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.base, self.at, self.stop = base, 0.0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set() and not self.at:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=5).json()["queue"]["runs"] > 0:
                    self.at = time.perf_counter()
            except httpx.TransportError:
                pass
            self.stop.wait(0.05)


def genesys_calls(emu: RunningEmulator) -> tuple[int, int]:
    """(API calls, 429s) since the stats were reset; the token endpoint and admin aside."""
    calls = limited = 0
    for key, by in emu.stats()["calls"].items():
        if "/oauth/token" in key or "/_emulator" in key:
            continue
        calls += sum(by.values())
        limited += by.get("429", 0)
    return calls, limited


def placed(emu: RunningEmulator, users: int, groups: int) -> int:
    """How many of the pushed users are active in Genesys in their group's tenant division."""
    h = {"Authorization": f"Bearer {emu.token()}"}
    names = {
        d["id"]: d["name"]
        for d in emu.admin.get("/api/v2/authorization/divisions", params={"pageSize": 500}, headers=h).json()[
            "entities"
        ]
    }
    found: dict[str, str] = {}
    page = 1
    while True:
        body = emu.admin.get("/api/v2/users", params={"pageSize": 500, "pageNumber": page}, headers=h).json()
        found.update({u["email"].lower(): names.get(u["division"]["id"], "") for u in body["entities"]})
        if page >= body["pageCount"]:
            break
        page += 1
    return sum(found.get(email(i)) == division((i // PER_PATCH) % groups) for i in range(users))


@contextmanager
def _profile(emu: RunningEmulator, limit: int, window: float, tokens: int) -> Iterator[dict[str, str]]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-cycle-"))
    (tmp / "genesys.toml").write_text(profile_text(emu, limit, window, tokens))
    (tmp / "tenants.yaml").write_text(config_text())
    yield {"TENANTRY_GENESYS_CONFIG": str(tmp / "genesys.toml"), "BENCH_CYCLE_SECRET": emu.client_secret}


def cycle(users: int = 10_000, limit: int = 300, window: float = 15.0, tokens: int = 4) -> str:
    from bench.bench_bridge import pct, serving, wait_idle

    rate = f"{limit}/{window:g}s"
    with (
        running_emulator(seed="empty", rate_limit=rate, process=True) as emu,
        _profile(emu, limit, window, tokens) as env,
    ):
        cfg = Path(env["TENANTRY_GENESYS_CONFIG"]).parent / "tenants.yaml"
        with serving(emu, config=cfg, env=env, extra=["--profile", "bench"]) as base:
            emu.admin.delete("/_emulator/stats")
            first = FirstReconcile(base)
            first.start()
            scim = push(f"{base}/scim/v2/entra", users)
            pushed_at = time.perf_counter()
            at_push_end = genesys_calls(emu)[0]
            wait_idle(base, timeout=3600)
            drained = time.perf_counter()
            first.stop.set()
            queue = httpx.get(f"{base}/healthz").json()["queue"]
        calls, limited = genesys_calls(emu)
        per_token = emu.stats()["perToken"]
        ok = placed(emu, users, GROUPS)
    seconds = drained - (first.at or drained)
    ceiling = calls / (limit * tokens)
    ratio = seconds / window / ceiling if ceiling else float("nan")
    n = len(scim.times)
    split = _split_rates(
        calls, at_push_end, (first.at or drained, pushed_at, drained), limit * tokens / window
    )
    return (
        f"| Entra initial cycle: {users:,} users, {GROUPS} groups ({THREADS} IdP clients, "
        f"{PER_PATCH} members a PATCH; emulator {limit}/{window:g} s per token, pool of {tokens}) "
        "| value |\n|---|---|\n"
        f"| SCIM requests | {n:,} ({len(scim.errors)} errors) in {scim.seconds:.0f} s |\n"
        f"| SCIM requests/s | {n / scim.seconds:.0f} |\n"
        f"| SCIM p50 / p99 / max | {pct(scim.times, 50) * 1000:.0f} / {pct(scim.times, 99) * 1000:.0f} / "
        f"{max(scim.times) * 1000:.0f} ms |\n"
        f"| Genesys API calls (calls/person) | {calls:,} ({calls / users:.3f}) |\n"
        f"| Genesys 429s | {limited} |\n"
        f"| calls per token | {', '.join(f'{c:,}' for c in per_token)} |\n"
        f"| first reconcile → queue drained | {seconds:.0f} s (queue drained {drained - pushed_at:.0f} s after the push) |\n"
        f"| ceiling (calls ÷ {limit} × {tokens} per window) | {ceiling:.1f} windows = {ceiling * window:.0f} s |\n"
        f"| time ÷ ceiling (target ≤ 1.11, i.e. ≥ 0.9 × ceiling) | {ratio:.2f} |\n"
        f"| Genesys calls/s ÷ ceiling rate ({limit * tokens / window:g}/s): while the IdP pushes / after | {split} |\n"
        f"| reconciles (runs / failures) | {queue['runs']} / {queue.get('failures', 0)} |\n"
        f"| users in Genesys in their tenant's division | {ok:,} of {users:,} |\n"
    )


def _split_rates(calls: int, at_push_end: int, times: tuple[float, float, float], ceiling_rate: float) -> str:
    """Genesys calls/s from the first reconcile to the push's end (serve, the IdP's 8 clients and
    the emulator share the cores) and from then to the queue draining, each ÷ the ceiling rate."""
    first, pushed, drained = times
    out = []
    for n, secs in ((at_push_end, pushed - first), (calls - at_push_end, drained - pushed)):
        out.append(f"{n / secs:.0f}/s = {n / secs / ceiling_rate:.2f}" if secs > 0 else "—")
    return " / ".join(out)


def run() -> str:
    """`make bench` (python -m bench): the cycle at BENCH_CYCLE_USERS (10,000) users."""
    return cycle(int(os.environ.get("BENCH_CYCLE_USERS", "10000")))
