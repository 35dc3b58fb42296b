"""Scale-out: two `tenantry serve --replicas` processes share one PostgreSQL store behind an imagined
load balancer, two `tenantry worker`s run the batches. One move's two PATCHes reach different
replicas; a per-person lock serializes their reconciles, and the person is never in two tenants."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg

from genesys_emulator import RunningEmulator

from .idp import EntraClient
from .org import access_history, tenant_access
from .test_cli import env_for, free_port, stop


def _serve(cfg: Path, pg_url: str, port: int, env: dict[str, str]) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "tenantry.cli.main", "serve", "-c", str(cfg), "--port", str(port)]
    cmd += ["--journal", pg_url, "--settle", "1s", "--replicas"]
    proc = subprocess.Popen(cmd, env=os.environ | env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"serve did not start: {proc.communicate()[1].decode()[-2000:]}")
        time.sleep(0.1)


def _worker(emu: RunningEmulator, pg_url: str, n: int, tmp: Path) -> subprocess.Popen:
    cid, secret = emu.new_admin_client(f"bridge-worker-{n}")
    env = (
        os.environ
        | env_for(emu)
        | {"GENESYSCLOUD_OAUTHCLIENT_ID": cid, "GENESYSCLOUD_OAUTHCLIENT_SECRET": secret}
    )
    cmd = [sys.executable, "-m", "tenantry.cli.main", "worker", "--journal", pg_url, "--name", f"w{n}"]
    return subprocess.Popen(cmd, env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _settled(ports: list[int], emu: RunningEmulator, email: str, want: set[str], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while True:
        idle = all(httpx.get(f"http://127.0.0.1:{p}/healthz").json()["queue"]["idle"] for p in ports)
        if idle and tenant_access(emu, email) == want:
            return
        assert time.monotonic() < deadline, f"{email} has {tenant_access(emu, email)}, not {want}"
        time.sleep(0.2)


def test_two_replicas_two_workers_one_move_across_replicas(
    emu: RunningEmulator, bridge_config: Path, pg_url: str, tmp_path: Path
) -> None:
    env = env_for(emu)
    ports = [free_port(), free_port()]
    procs = [_serve(bridge_config, pg_url, ports[0], env)]  # the first applies the migrations
    procs.append(_serve(bridge_config, pg_url, ports[1], env))
    procs += [_worker(emu, pg_url, n, tmp_path) for n in (1, 2)]
    email = "rep.lica@bpo.example"
    try:
        one = EntraClient(f"http://127.0.0.1:{ports[0]}/scim/v2/entra")
        two = EntraClient(f"http://127.0.0.1:{ports[1]}/scim/v2/entra")
        with one, two:
            uid = one.provision(email, "Rep", "Lica")
            acme, globex = one.group("ACME-Agents"), two.group("GLOBEX-Agents")
            assert two.add_members(acme, uid).status_code == 204
            _settled(ports, emu, email, {"Acme Insurance"})
            runs = [httpx.get(f"http://127.0.0.1:{p}/healthz").json()["queue"]["runs"] for p in ports]
            assert one.add_members(globex, uid).status_code == 204  # replica one
            time.sleep(0.3)
            assert two.remove_members(acme, uid).status_code == 204  # replica two
            _settled(ports, emu, email, {"Globex Telecom"})
            after = [httpx.get(f"http://127.0.0.1:{p}/healthz").json()["queue"]["runs"] for p in ports]
            assert after[0] > runs[0] and after[1] > runs[1]  # both replicas reconciled the mover, in turn
            assert two.set_active(uid, False).status_code == 200
            _settled(ports, emu, email, set())
            assert one.get_user(uid)["active"] is False  # one store behind both replicas
    finally:
        for p in procs:
            stop(p)
    assert all(len(a) <= 1 for a in access_history(emu, email))
    with psycopg.connect(pg_url) as conn:
        workers = {
            r[0] for r in conn.execute("select distinct worker from tenantry_batches where status = 'done'")
        }
    assert workers and workers <= {"w1", "w2"}  # every batch ran on a `tenantry worker`, none in serve
