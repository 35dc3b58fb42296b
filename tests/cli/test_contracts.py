"""What scripts rely on: one JSON document, exit codes as documented, fast clear failures, help."""

from __future__ import annotations

import asyncio
import io
import json
import re
import socket
import time
from pathlib import Path
from typing import Any

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from genesys_emulator import RunningEmulator
from tenantry.cli.main import app
from tenantry.genesys import Credentials, GenesysClient, resolve_target
from tenantry.services.runtime import snapshot_with_progress

from .conftest import DAY1, NO_CREDENTIALS, TENANTS, Run, subprocess_run, writes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    "args",
    [
        ("plan", "--people", str(DAY1), "--json"),  # no tenants.yaml
        ("plan", "-c", "missing.yaml", "--people", str(DAY1), "--json"),
        ("apply", "-c", str(TENANTS), "--people", str(DAY1), "--json"),  # would need a prompt
        ("move", "x@bpo.example", "--to", "acme", "-c", str(TENANTS), "--json"),
        ("show", "nothing.json", "--json"),
        ("explain", "nobody@nowhere.example", "--json"),
        ("tenants", "-c", "missing.yaml", "--json"),
        ("validate", "-c", "missing.yaml", "--json"),
        ("audit", "-c", "missing.yaml", "--format", "json"),
    ],
)
def test_json_errors_are_one_document_on_stdout(
    run: Run, emu: RunningEmulator, args: tuple[str, ...]
) -> None:
    emu.admin.delete("/_emulator/stats")
    r = run(*args)
    assert r.exit_code == (2 if args[0] == "audit" else 1), r.output
    doc = json.loads(r.stdout)  # exactly one document: json.loads refuses trailing text
    assert isinstance(doc, dict) and (doc.get("error") or doc.get("ok") is False)
    assert "?" not in r.stdout.split('"error"')[0]  # no prompt before it
    assert writes(emu.stats()) == 0


def test_apply_with_json_and_auto_approve_is_one_document(run: Run, journal: str) -> None:
    r = run(
        "apply", "-c", str(TENANTS), "--people", str(DAY1), "--json", "--auto-approve", "--journal", journal
    )
    assert r.exit_code == 0
    assert json.loads(r.stdout)["ok"] is True


def test_unreachable_target_fails_within_seconds_naming_the_url(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    r = subprocess_run(
        None,
        "plan",
        "-c",
        str(TENANTS),
        "--people",
        str(DAY1),
        "--journal",
        f"sqlite:///{tmp_path / 'j.db'}",
        env={
            "GENESYSCLOUD_OAUTHCLIENT_ID": "x",
            "GENESYSCLOUD_OAUTHCLIENT_SECRET": "y",
            "GENESYSCLOUD_API_REGION": url,
        },
        cwd=tmp_path,
    )
    assert time.monotonic() - started < 10
    assert r.returncode == 1
    assert f"cannot reach {url}" in r.stderr
    doctor = subprocess_run(
        None,
        "doctor",
        env={
            "GENESYSCLOUD_OAUTHCLIENT_ID": "x",
            "GENESYSCLOUD_OAUTHCLIENT_SECRET": "y",
            "GENESYSCLOUD_API_REGION": url,
        },
    )
    assert doctor.returncode == 2 and f"cannot reach {url}" in doctor.stderr


def test_bad_credentials_one_clear_error_and_no_unawaited_coroutine(
    emu: RunningEmulator, tmp_path: Path
) -> None:
    for cmd in (("plan", "-c", str(TENANTS), "--people", str(DAY1)), ("audit",), ("tenants",)):
        r = subprocess_run(
            emu,
            *cmd,
            env={"GENESYSCLOUD_OAUTHCLIENT_SECRET": "wrong", "PYTHONWARNINGS": "default"},
            cwd=tmp_path,
        )
        assert r.returncode in (1, 2), r.stderr
        assert "rejected the credentials" in r.stderr
        assert "never awaited" not in r.stderr and "Traceback" not in r.stderr
        assert "wrong" not in r.stderr  # the secret is never echoed


def test_audit_with_a_bad_tenants_yaml_exits_2(run: Run, tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text("tenants:\n  acme:\n    divison: Acme\n")
    r = run("audit", "-c", "t.yaml")
    assert r.exit_code == 2
    assert "unknown field 'divison'; did you mean 'division'?" in r.stderr


def test_version_completion_and_help() -> None:
    from importlib.metadata import version

    runner = CliRunner()
    r = runner.invoke(app, ["--version"])
    assert r.exit_code == 0 and r.stdout.strip() == f"tenantry {version('tenantry')}"
    assert "--install-completion" in runner.invoke(app, ["--help"]).stdout
    r = runner.invoke(app, ["--show-completion", "bash"], env={"SHELL": "/bin/bash"})
    assert r.exit_code == 0 and "complete" in r.stdout


def _commands(group: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Every command under `group` (typer's own click: compared by shape, not class)."""
    out = []
    for name, cmd in group.commands.items():
        out.append((prefix + name, cmd))
        if hasattr(cmd, "commands"):
            out += _commands(cmd, f"{prefix}{name} ")
    return out


def test_every_option_has_help_and_booleans_are_flags() -> None:
    root = typer.main.get_command(app)
    commands = _commands(root)
    assert {"plan", "show", "apply", "explain", "tenants", "validate", "import", "doctor"} <= {
        n for n, _ in commands
    }
    missing, not_flags = [], []
    for name, cmd in [("tenantry", root), *commands]:
        for p in cmd.params:
            if p.param_type_name != "option" or p.hidden:
                continue
            if not (p.help or "").strip():
                missing.append(f"{name} {p.opts}")
            if p.type_descriptor.annotation is bool and not p.is_flag:
                not_flags.append(f"{name} {p.opts}")
    assert not missing, missing
    assert not not_flags, not_flags


def test_doctor_profiles_file_is_not_called_config(tmp_path: Path) -> None:
    runner = CliRunner()
    help_text = runner.invoke(app, ["doctor", "--help"], env={"COLUMNS": "200"}).stdout
    assert "--profiles-file" in help_text and "--config" not in help_text
    profiles = tmp_path / "genesys.toml"
    profiles.write_text('[profiles.x]\nregion = "http://127.0.0.1:9"\n')
    for option in ("--profiles-file", "--config"):  # the old name still works, hidden
        r = runner.invoke(app, ["doctor", "-p", "nope", option, str(profiles)], env=NO_CREDENTIALS)
        assert r.exit_code == 2 and "nope" in r.stderr


@pytest.mark.parametrize("terminal", [True, False], ids=["progress-line", "ci-log"])
def test_rate_limit_waits_are_visible(emu: RunningEmulator, terminal: bool) -> None:
    emu.set_rate_limit("6/2s")
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=terminal, width=120)

    async def go() -> None:
        client = GenesysClient(
            resolve_target(emu.base_url), [Credentials.of(emu.client_id, emu.client_secret)], rate_limit=6
        )
        async with client:
            await snapshot_with_progress(client, console)

    asyncio.run(go())
    assert re.search(r"rate limit: waiting \d+ s", buf.getvalue())
