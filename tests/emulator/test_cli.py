"""`tenantry emulator serve`: bad options exit 2 with a clear message before anything listens; good
ones print the base URL and the admin credentials, and the org answers there."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tenantry.cli.main import app


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def _serve(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["emulator", "serve", *args])
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rate-limit", "fast"], "rate limit 'fast' is not of the form N/<window>"),
        (["--rate-limit", "0/60s"], "must be positive"),
        (["--token-rate-limit", "lots"], "rate limit 'lots'"),
        (["--faults", "boom:0.1"], "unknown fault 'boom'"),
        (["--faults", "500:2"], "must be between 0 and 1"),
        (["--faults", "500:0.7,503:0.7"], "add up to more than 1"),
        (["--faults", "latency:fast"], "duration 'fast'"),
        (["--consistency-delay", "soon"], "duration 'soon'"),
        (["--seed", "no-such-seed"], "is not demo, empty, scale:users=N,tenants=M or a state file"),
        (["--seed", "scale:users=many"], "scale seed part 'users=many'"),
        (["--port", "70000"], "port 70000 is not between 0 and 65535"),
        (["--port", "-1"], "port -1 is not between 0 and 65535"),
        (["--host", "no-such-host.invalid", "--port", "0"], "cannot listen on no-such-host.invalid:0"),
        (["--state", "/no/such/folder/org.json", "--port", "0"], "no such folder"),
    ],
)
def test_bad_options_exit_2_with_a_clear_message(args: list[str], message: str) -> None:
    code, output = _serve(*args)
    assert code == 2, output
    assert message in output
    assert "Traceback" not in output and "listening on" not in output


@pytest.mark.parametrize("args", [["--port", "abc"], ["--fault-seed", "x"], ["--no-such-option"]])
def test_unparsable_options_exit_2(args: list[str]) -> None:
    code, output = _serve(*args)
    assert code == 2
    assert "Invalid value" in output or "No such option" in output


def test_port_in_use_exits_2(busy_port: int) -> None:
    code, output = _serve("--port", str(busy_port), "--seed", "empty")
    assert code == 2
    assert f"cannot listen on 127.0.0.1:{busy_port}" in output


def test_state_file_that_is_no_saved_org_exits_2(tmp_path: Path) -> None:
    for text in ("[]", "{not json", '{"users": 5}'):
        bad = tmp_path / "org.json"
        bad.write_text(text)
        code, output = _serve("--state", str(bad), "--port", "0")
        assert code == 2, output
        assert "is not an org saved by --state" in output


def test_serve_prints_where_it_listens_and_serves_the_org(tmp_path: Path) -> None:
    state = tmp_path / "org.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tenantry.cli.main", "emulator", "serve", "--port", "0", "--seed", "demo",
         "--state", str(state), "--rate-limit", "50/1s"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ | {"PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(5)]
        assert lines[0].startswith("Genesys Cloud emulator listening on http://127.0.0.1:"), lines
        info = dict(line.strip().split("=", 1) for line in lines[1:4])
        base = info["GENESYSCLOUD_API_REGION"]
        assert base == lines[0].split(" on ")[1].strip()
        assert "rate-limit=50/1s" in lines[4] and f"state={state}" in lines[4]
        token = httpx.post(
            f"{base}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(info["GENESYSCLOUD_OAUTHCLIENT_ID"], info["GENESYSCLOUD_OAUTHCLIENT_SECRET"]),
        ).json()["access_token"]
        r = httpx.get(f"{base}/api/v2/authorization/divisions", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200 and r.headers["inin-ratelimit-allowed"] == "50"
        assert {d["name"] for d in r.json()["entities"]} == {"Home", "Acme Insurance", "Globex Telecom"}
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(15)
    assert code == 0
    assert state.is_file()  # saved on the way out
