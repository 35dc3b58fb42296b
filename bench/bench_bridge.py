"""SCIM bridge figures: IdP request → grant in place latency at the platform's real limit, the SCIM
side's requests/s and p99 while reconciles run, and randomized move sequences on the timeline.

    python -m bench.bench_bridge [latency|load|moves|cycle[=N]] ...   (all four by default)

The emulator and `tenantry serve` run as their own processes; this process plays the IdP.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import httpx
from tests.bridge.conftest import write_config
from tests.bridge.idp import ENTRA_TOKEN, EntraClient
from tests.support.bridge_moves import run as run_moves

from genesys_emulator import RunningEmulator, running_emulator

TENANT_DIVISIONS = {"Acme Insurance", "Globex Telecom", "Initech Bank"}


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(
    emu: RunningEmulator,
    settle: str = "2s",
    *,
    config: Path | None = None,
    env: dict[str, str] | None = None,
    extra: list[str] | None = None,
) -> Iterator[str]:
    """`tenantry serve` as a process against `emu` (the tests' config unless `config`; with
    `env`, a profile's credentials instead of the environment's); yields its base URL."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-bridge-"))
    cfg = config or write_config(tmp)
    port = _free_port()
    creds = {
        "GENESYSCLOUD_OAUTHCLIENT_ID": emu.client_id,
        "GENESYSCLOUD_OAUTHCLIENT_SECRET": emu.client_secret,
        "GENESYSCLOUD_API_REGION": emu.base_url,
    }
    env = os.environ | (env or creds) | {"TENANTRY_TEST_ENTRA_TOKEN": ENTRA_TOKEN}
    cmd = [sys.executable, "-m", "tenantry.cli.main", "serve", "-c", str(cfg), "--port", str(port)]
    cmd += ["--journal", f"sqlite:///{tmp / 'journal.db'}", "--settle", settle, *(extra or [])]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("tenantry serve did not start")
            time.sleep(0.1)
        yield base
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


def wait_idle(base: str, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    time.sleep(0.1)
    while not httpx.get(f"{base}/healthz").json()["queue"]["idle"]:
        if time.monotonic() > deadline:
            raise RuntimeError("the reconcile queue did not drain")
        time.sleep(0.1)


def _auth(emu: RunningEmulator) -> dict[str, str]:
    return {"Authorization": f"Bearer {emu.token()}"}


def _names(emu: RunningEmulator) -> dict[str, str]:
    body = emu.admin.get(
        "/api/v2/authorization/divisions", params={"pageSize": 500}, headers=_auth(emu)
    ).json()
    return {d["id"]: d["name"] for d in body["entities"]}


def _user_ids(emu: RunningEmulator) -> dict[str, str]:
    out, h = {}, _auth(emu)
    for state in ("active", "inactive"):
        page = 1
        while True:
            body = emu.admin.get(
                "/api/v2/users", params={"pageSize": 500, "pageNumber": page, "state": state}, headers=h
            ).json()
            out.update({u["email"].lower(): u["id"] for u in body["entities"]})
            if page >= body["pageCount"]:
                break
            page += 1
    return out


def _history(emu: RunningEmulator, ids: dict[str, str], names: dict[str, str], email: str) -> list[set[str]]:
    uid = ids.get(email.lower())
    if uid is None:
        ids.update(_user_ids(emu))
        uid = ids.get(email.lower())
    if uid is None:
        return []
    return [{names.get(d, d) for d in e.get("access", [])} & TENANT_DIVISIONS for e in emu.timeline(uid)]


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))] if s else float("nan")


# ---- latency --------------------------------------------------------------------------------------
def latency(changes: int = 40, per_hour: int = 1000) -> str:
    """Joiners and moves at `per_hour`, the emulator at 300 requests / 60 s per token."""
    with running_emulator(seed="demo", rate_limit="300/60s", process=True) as emu, serving(emu) as base:
        url = f"{base}/scim/v2/entra"
        with EntraClient(url) as entra:
            groups = {
                "ACME-Agents": entra.group("ACME-Agents"),
                "GLOBEX-Agents": entra.group("GLOBEX-Agents"),
            }
            warm = entra.provision("warm.up@bpo.example", "Warm", "Up")
            entra.add_members(groups["ACME-Agents"], warm)
            wait_idle(base)
            gap, samples, joined = 3600 / per_hour, [], []
            stamp = int(time.time()) % 100000
            for i in range(changes):
                t_next = time.time() + gap
                if i % 3 == 2 and joined:  # a move of an earlier joiner: add to the new group, then remove
                    email, uid, here = joined.pop(0)
                    there = "GLOBEX-Agents" if here == "ACME-Agents" else "ACME-Agents"
                    entra.add_members(groups[there], uid)
                    t0 = time.time()
                    entra.remove_members(groups[here], uid)
                else:
                    there = "ACME-Agents" if i % 2 else "GLOBEX-Agents"
                    email = f"lat{stamp}.{i}@bpo.example"
                    uid = entra.provision(email, "Lat", str(i))
                    t0 = time.time()
                    entra.add_members(groups[there], uid)
                    joined.append((email, uid, there))
                samples.append((email, t0, "Acme Insurance" if there == "ACME-Agents" else "Globex Telecom"))
                time.sleep(max(0.0, t_next - time.time()))
            wait_idle(base)
        ids, found = _user_ids(emu), []
        for email, t0, division in samples:
            uid = ids[email]
            names = _names(emu)
            hit = next(
                (
                    e["ts"]
                    for e in emu.timeline(uid)
                    if e["ts"] >= t0 and division in {names.get(d) for d in e.get("access", [])}
                ),
                None,
            )
            if hit is not None:
                found.append(hit - t0)
        missing = len(samples) - len(found)
    return (
        "| IdP request → grant in place (emulator 300/60 s per token, settle 2 s) | value |\n|---|---|\n"
        f"| changes ({per_hour}/hour; 2/3 joiners, 1/3 moves) | {len(samples)} |\n"
        f"| p50 | {statistics.median(found):.2f} s |\n| p95 | {pct(found, 95):.2f} s |\n"
        f"| max | {max(found):.2f} s |\n| never in place | {missing} |\n"
    )


# ---- SCIM load while reconciles run ---------------------------------------------------------------
def load(seconds: float = 30.0, threads: int = 8) -> str:
    """An Entra initial cycle (match, create, add to a group) from `threads` clients while the queue
    reconciles at the Genesys limit; requests/s and latency of the SCIM side."""
    with running_emulator(seed="demo", rate_limit="300/60s", process=True) as emu, serving(emu) as base:
        url = f"{base}/scim/v2/entra"
        with EntraClient(url) as entra:
            groups = [entra.group("ACME-Agents"), entra.group("GLOBEX-Agents")]
        times: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        stop_at = time.monotonic() + seconds

        def timed(call, *args, **kwargs) -> httpx.Response:
            t = time.perf_counter()
            r = call(*args, **kwargs)
            with lock:
                times.append(time.perf_counter() - t)
                if r.status_code >= 400:
                    errors.append(r.text)
            return r

        def worker(n: int) -> None:
            with EntraClient(url) as c:
                i = 0
                while time.monotonic() < stop_at:
                    email = f"load{n}.{i}@bpo.example"
                    timed(c.http.get, "/Users", params={"filter": f'userName eq "{email}"'})
                    body = {
                        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                        "userName": email,
                        "active": True,
                        "emails": [{"type": "work", "value": email, "primary": True}],
                        "name": {"givenName": "Lo", "familyName": "Ad"},
                    }
                    uid = timed(c.http.post, "/Users", json=body).json().get("id")
                    timed(c.add_members, groups[i % 2], uid)
                    i += 1

        start = time.perf_counter()
        pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        elapsed = time.perf_counter() - start
        health = httpx.get(f"{base}/healthz").json()["queue"]
    return (
        f"| SCIM side during reconciles ({threads} clients, {seconds:.0f} s, Genesys 300/60 s) | value |\n|---|---|\n"
        f"| requests | {len(times)} ({len(errors)} errors) |\n| requests/s | {len(times) / elapsed:.0f} |\n"
        f"| p50 | {pct(times, 50) * 1000:.0f} ms |\n| p99 | {pct(times, 99) * 1000:.0f} ms |\n"
        f"| reconciles run during the load / still pending after | {health['runs']} / {health['pending']} |\n"
    )


# ---- randomized move sequences -----------------------------------------------------------------------
def moves(count: int = 1000, concurrency: int = 50, settle: float = 2.0) -> str:
    with (
        running_emulator(seed="demo", rate_limit="100000/60s", process=True) as emu,
        serving(emu, f"{settle}s") as base,
    ):
        ids, names = _user_ids(emu), _names(emu)
        outcome = run_moves(
            f"{base}/scim/v2/entra",
            partial(_history, emu, ids, names),
            count=count,
            settle=settle,
            seed=11,
            concurrency=concurrency,
            wait_idle=partial(wait_idle, base),
            client_factory=lambda url, compliant: EntraClient(url, compliant=compliant),
        )
    for line in (outcome.violations + outcome.mismatches)[:5]:
        print(line, file=sys.stderr)
    return (
        f"| randomized move sequences (settle {settle:.0f} s) | value |\n|---|---|\n"
        f"| sequences | {outcome.sequences} |\n| moments with two tenants | {len(outcome.violations)} |\n"
        f"| final access not what the IdP says | {len(outcome.mismatches)} |\n| wall time | {outcome.seconds:.0f} s |\n"
    )


def cycle(users: int = 10_000) -> str:
    from bench.bridge_cycle import cycle as run_cycle  # it uses serving() and wait_idle() from here

    return run_cycle(users)


def run() -> str:
    return "\n".join([latency(), load(), moves(), cycle()])


if __name__ == "__main__":
    chosen = sys.argv[1:] or ["latency", "load", "moves"]
    for name in chosen:
        fn, _, arg = name.partition("=")
        print(
            {"latency": latency, "load": load, "moves": moves, "cycle": cycle}[fn](
                *([int(arg)] if arg else [])
            ),
            flush=True,
        )
