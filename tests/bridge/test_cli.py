"""`tenantry serve` as a process (restarted: the store survives), `tenantry reconcile EMAIL`,
`--people scim:<source>`, and bad input naming file, line and field."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from genesys_emulator import RunningEmulator
from tenantry.cli.main import app

from .idp import ENTRA_TOKEN, EntraClient
from .org import tenant_access


def env_for(emu: RunningEmulator) -> dict[str, str]:
    return {
        "GENESYSCLOUD_OAUTHCLIENT_ID": emu.client_id,
        "GENESYSCLOUD_OAUTHCLIENT_SECRET": emu.client_secret,
        "GENESYSCLOUD_API_REGION": emu.base_url,
        "TENANTRY_TEST_ENTRA_TOKEN": ENTRA_TOKEN,
        "BRIDGE_ADMIN": "admin-token",
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SINGLE = ("--settle", "500ms", "--admin-token-env", "BRIDGE_ADMIN")


def start_serve(
    cfg: Path, journal: str, port: int, env: dict[str, str], options: tuple[str, ...] = SINGLE
) -> subprocess.Popen:
    """`tenantry serve` as its own process, once its /healthz answers."""
    cmd = [sys.executable, "-m", "tenantry.cli.main", "serve", "-c", str(cfg), "--port", str(port)]
    cmd += ["--journal", journal, *options]
    proc = subprocess.Popen(
        cmd, env=os.environ | env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"tenantry serve did not start: {proc.stderr.read() if proc.stderr else ''}")
        time.sleep(0.1)


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def test_serve_process_reconciles_and_its_store_survives_a_restart(
    emu: RunningEmulator, bridge_config: Path, tmp_path: Path
) -> None:
    journal, port, env = f"sqlite:///{tmp_path / 'serve.db'}", free_port(), env_for(emu)
    proc = start_serve(bridge_config, journal, port, env)
    try:
        with EntraClient(f"http://127.0.0.1:{port}/scim/v2/entra") as entra:
            uid = entra.provision("cli.joiner@bpo.example", "Cli", "Joiner")
            entra.add_members(entra.group("ACME-Agents"), uid)
        deadline = time.monotonic() + 30
        while tenant_access(emu, "cli.joiner@bpo.example") != {"Acme Insurance"}:
            assert time.monotonic() < deadline, "the joiner never reached Genesys"
            time.sleep(0.2)
    finally:
        stop(proc)
    assert proc.returncode == 0
    proc = start_serve(bridge_config, journal, port, env)
    try:
        with EntraClient(f"http://127.0.0.1:{port}/scim/v2/entra") as entra:
            assert entra.get_user(uid)["userName"] == "cli.joiner@bpo.example"
            assert [g["display"] for g in entra.get_user(uid)["groups"]] == ["ACME-Agents"]
        admin = {"Authorization": "Bearer admin-token"}
        r = httpx.post(
            f"http://127.0.0.1:{port}/admin/reconcile", json={"all": True}, headers=admin, timeout=60
        )
        assert r.status_code == 200 and r.json()["ok"] is True
    finally:
        stop(proc)
    runner = CliRunner()
    args = ["-c", str(bridge_config), "--journal", journal]
    planned = runner.invoke(
        app, ["plan", *args, "--people", "scim:entra", "--only", "cli.joiner@bpo.example"], env=env
    )
    assert planned.exit_code == 0, planned.output
    assert "No changes" in planned.output or "no changes" in planned.output.lower()
    done = runner.invoke(app, ["reconcile", "cli.joiner@bpo.example", *args], env=env)
    assert done.exit_code == 0, done.output
    unknown = runner.invoke(app, ["reconcile", "nobody@bpo.example", *args], env=env)
    assert unknown.exit_code == 1 and "not known to any source" in unknown.output


def test_bad_input_names_file_line_and_field(
    bridge_config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TENANTRY_TEST_ENTRA_TOKEN")
    runner = CliRunner()
    r = runner.invoke(app, ["serve", "-c", str(bridge_config), "--journal", f"sqlite:///{tmp_path / 'x.db'}"])
    assert r.exit_code == 1
    line = next(i for i, t in enumerate(bridge_config.read_text().splitlines(), 1) if "token_env" in t)
    assert f"{bridge_config}:{line}" in r.output and "sources.entra.token_env" in r.output
    r = runner.invoke(app, ["plan", "-c", str(bridge_config), "--people", "scim:nope"])
    assert r.exit_code == 1 and "no source 'nope'" in r.output
    bad = bridge_config.read_text().replace("tenants: [acme]", "tenants: [acme, umbrella]")
    bridge_config.write_text(bad)
    r = runner.invoke(app, ["serve", "-c", str(bridge_config)])
    line = next(i for i, t in enumerate(bad.splitlines(), 1) if "umbrella" in t)
    assert (
        r.exit_code == 1
        and f"{bridge_config}:{line}" in r.output
        and "'umbrella' is not a tenant" in r.output
    )
    r = runner.invoke(app, ["serve", "-c", str(bridge_config.with_name("tenants.yaml")), "--settle", "soon"])
    assert r.exit_code == 1
