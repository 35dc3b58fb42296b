"""Scale-out: two `tenantry serve --replicas` processes share one PostgreSQL store behind an imagined
load balancer and defer a procrastinate job per touched person; two `tenantry worker -c` processes
run them (and the batches). Moves' PATCHes reach both replicas in any order; nobody is ever in two
tenants; a worker killed mid-reconcile leaves its jobs to the other."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest

from genesys_emulator import RunningEmulator

from .idp import EntraClient, OktaClient
from .org import access_history, tenant_access
from .test_cli import env_for, free_port, start_serve, stop

ACME, GLOBEX = "Acme Insurance", "Globex Telecom"


def _serve(cfg: Path, pg_url: str, port: int, env: dict[str, str]) -> subprocess.Popen:
    return start_serve(cfg, pg_url, port, env, ("--settle", "1s", "--replicas"))


def _worker(emu: RunningEmulator, cfg: Path, pg_url: str, n: int, tmp: Path) -> subprocess.Popen:
    cid, secret = emu.new_admin_client(f"bridge-worker-{n}-{time.monotonic_ns()}")
    env = (
        os.environ
        | env_for(emu)
        | {"GENESYSCLOUD_OAUTHCLIENT_ID": cid, "GENESYSCLOUD_OAUTHCLIENT_SECRET": secret}
    )
    cmd = [sys.executable, "-m", "tenantry.cli.main", "worker", "--journal", pg_url, "--name", f"w{n}"]
    cmd += ["-c", str(cfg)]
    with (tmp / f"w{n}.log").open("ab") as log:  # read when a test fails
        return subprocess.Popen(cmd, env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=log)


def _idle(ports: list[int]) -> bool:
    return all(httpx.get(f"http://127.0.0.1:{p}/healthz").json()["queue"]["idle"] for p in ports)


def _queue(ports: list[int]) -> list[dict]:
    return [httpx.get(f"http://127.0.0.1:{p}/healthz").json()["queue"] for p in ports]


def _settled(ports: list[int], emu: RunningEmulator, want: dict[str, set[str]], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if _idle(ports):
            have = {e: tenant_access(emu, e) for e in want}
            if have == want:
                return
        else:
            have = {}
        assert time.monotonic() < deadline, f"not settled: {have or _queue(ports)}; want {want}"
        time.sleep(0.3)


def _jobs(pg_url: str, email: str) -> list[tuple[int, str]]:
    with psycopg.connect(pg_url) as conn:
        return conn.execute(
            "SELECT id, status::text FROM procrastinate_jobs WHERE queue_name = 'tenantry-bridge' "
            "AND args->>'email' = %s ORDER BY id",
            (email,),
        ).fetchall()


@dataclass
class Cluster:
    ports: list[int]
    procs: list[subprocess.Popen]  # serve 1, serve 2, worker w1, worker w2
    start_worker: Callable[[int], subprocess.Popen]


@pytest.fixture
def cluster(emu: RunningEmulator, bridge_config: Path, pg_url: str, tmp_path: Path) -> Iterator[Cluster]:
    """Two serve replicas and two workers."""
    env = env_for(emu)
    ports = [free_port(), free_port()]
    procs = [_serve(bridge_config, pg_url, ports[0], env)]  # the first applies the migrations
    procs.append(_serve(bridge_config, pg_url, ports[1], env))
    c = Cluster(ports, procs, lambda n: _worker(emu, bridge_config, pg_url, n, tmp_path))
    procs += [c.start_worker(n) for n in (1, 2)]
    try:
        yield c
    finally:
        for p in c.procs:
            if p.poll() is None:
                stop(p)


def test_one_move_across_replicas_is_one_job_run_on_a_worker(
    emu: RunningEmulator, cluster: Cluster, pg_url: str
) -> None:
    ports = cluster.ports
    email = "rep.lica@bpo.example"
    one = EntraClient(f"http://127.0.0.1:{ports[0]}/scim/v2/entra")
    two = EntraClient(f"http://127.0.0.1:{ports[1]}/scim/v2/entra")
    with one, two:
        uid = one.provision(email, "Rep", "Lica")
        acme, globex = one.group("ACME-Agents"), two.group("GLOBEX-Agents")
        assert two.add_members(acme, uid).status_code == 204
        _settled(ports, emu, {email: {ACME}})
        before = len(_jobs(pg_url, email))
        assert one.add_members(globex, uid).status_code == 204  # replica one
        assert two.remove_members(acme, uid).status_code == 204  # replica two, within the settle window
        assert one.update(uid, title="Moved agent").status_code == 200
        _settled(ports, emu, {email: {GLOBEX}})
        burst = _jobs(pg_url, email)[before:]
        assert [s for _i, s in burst] == ["succeeded"]  # three changes on two replicas: one job
        assert two.set_active(uid, False).status_code == 200
        _settled(ports, emu, {email: set()})
        assert one.get_user(uid)["active"] is False  # one store behind both replicas
    assert all(len(a) <= 1 for a in access_history(emu, email))
    with psycopg.connect(pg_url) as conn:
        workers = {
            r[0] for r in conn.execute("select distinct worker from tenantry_batches where status = 'done'")
        }
    assert workers and workers <= {"w1", "w2"}  # every batch ran on a `tenantry worker`, none in serve


def test_random_moves_across_replicas_survive_a_killed_worker(
    emu: RunningEmulator, cluster: Cluster, pg_url: str
) -> None:
    ports, procs = cluster.ports, cluster.procs
    rng = random.Random(14)
    urls = [f"http://127.0.0.1:{p}/scim/v2" for p in ports]
    entra = [EntraClient(f"{u}/entra", compliant=i == 1) for i, u in enumerate(urls)]
    okta = [OktaClient(f"{u}/okta", aiw=i == 1) for i, u in enumerate(urls)]
    movers = [f"mover{i}@bpo.example" for i in range(5)]
    joiners = [f"okta{i}@bpo.example" for i in range(3)]
    try:
        ids = {e: entra[0].provision(e, "Mover", str(i)) for i, e in enumerate(movers)}
        ids |= {e: okta[1].assign(e, "Okta", str(i)) for i, e in enumerate(joiners)}
        e_acme, e_globex = entra[0].group("ACME-Agents"), entra[1].group("GLOBEX-Agents")
        o_acme = okta[0].push_group("ACME-Agents")
        okta[1].group_names[o_acme] = "ACME-Agents"
        assert entra[1].add_members(e_acme, *(ids[e] for e in movers)).status_code == 204
        _settled(ports, emu, {e: {ACME} for e in movers})

        # every step on a random replica, all steps of all people shuffled together
        steps = (
            [(e, "add") for e in movers] + [(e, "remove") for e in movers] + [(e, "okta") for e in joiners]
        )
        steps += [(movers[0], "deactivate")]
        rng.shuffle(steps)
        stop(procs[3])  # w2 away for a moment: the burst's reconcile runs on w1
        emu.set_faults("latency:300ms")  # reconciles slow enough to kill a worker in the middle of one
        for email, what in steps:
            r = rng.randrange(2)
            if what == "add":
                resp = entra[r].add_members(e_globex, ids[email])
            elif what == "remove":
                resp = entra[r].remove_members(e_acme, ids[email])
            elif what == "deactivate":
                resp = entra[r].set_active(ids[email], False)
            else:
                resp = okta[r].membership(o_acme, add=(ids[email],))
            assert resp.status_code in (200, 204), resp.text
            time.sleep(rng.uniform(0, 0.3))

        doing = _doing_until(pg_url, timeout=30)
        procs[3] = cluster.start_worker(2)  # two workers again...
        procs[2].send_signal(signal.SIGKILL)  # ...and w1 dies mid-reconcile: w2 retries its stalled jobs
        procs[2].wait()
        emu.set_faults(None)
        want = {e: {GLOBEX} for e in movers[1:]} | {movers[0]: set()} | {e: {ACME} for e in joiners}
        _settled(ports, emu, want, timeout=180)
    finally:
        emu.set_faults(None)
        for c in (*entra, *okta):
            c.http.close()
    with psycopg.connect(pg_url) as conn:
        ended = conn.execute(
            "SELECT j.id, j.status::text, EXISTS (SELECT 1 FROM procrastinate_jobs k WHERE k.id > j.id "
            "AND k.args->>'email' = j.args->>'email' AND k.status = 'succeeded') "
            "FROM procrastinate_jobs j WHERE j.id = ANY(%s)",
            (list(doing),),
        ).fetchall()
    # the jobs the killed worker held: finished by the other, or covered by a later job of that person
    assert all(status == "succeeded" or (status == "failed" and later) for _i, status, later in ended), ended
    for e in movers + joiners:
        history = access_history(emu, e)
        assert all(len(a) <= 1 for a in history), f"{e} had two tenants at once: {history}"


def _doing_until(pg_url: str, timeout: float) -> set[int]:
    """The ids of the bridge jobs being run, once some are (on the only worker that could take them)."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(pg_url, autocommit=True) as conn:
        while True:
            rows = conn.execute(
                "SELECT id FROM procrastinate_jobs WHERE queue_name = 'tenantry-bridge' AND status = 'doing'"
            ).fetchall()
            if rows:
                return {r[0] for r in rows}
            assert time.monotonic() < deadline, "no reconcile job started"
            time.sleep(0.05)
