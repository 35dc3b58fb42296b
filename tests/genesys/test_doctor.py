"""`tenantry doctor` against the emulator: passes with the admin client, fails clearly otherwise."""

from __future__ import annotations

from typing import Any

import typer
from typer.testing import CliRunner

from tenantry.cli.doctor import doctor_command
from tenantry.genesys import Credentials, GenesysSettings, api, resolve_target
from tenantry.genesys.doctor import REQUIRED_PERMISSIONS, run_doctor
from tenantry.genesys.models import RoleDivision

from .conftest import emu_client


def _settings(emu: Any, client_id: str, secret: str) -> GenesysSettings:
    return GenesysSettings(resolve_target(emu.base_url), (Credentials.of(client_id, secret),))


async def _client_with_role(emu: Any, role_name: str, division: str = "*") -> tuple[str, str]:
    async with emu_client(emu) as admin:
        role = await api.roles.find_role(admin, role_name)
        assert role
        if division != "*":
            found = await api.divisions.find_division(admin, division)
            assert found
            division = found.id
        created = await api.oauth_clients.create_oauth_client(
            admin, f"doctor {role_name}", [RoleDivision(role_id=role.id, division_id=division)]
        )
    assert created.secret
    return created.id, created.secret.get_secret_value()


def _cli(env: dict[str, str]) -> Any:
    app = typer.Typer()
    app.command("doctor")(doctor_command)
    app.command("version")(lambda: None)  # a second command, so `doctor` is a subcommand as in tenantry
    return CliRunner().invoke(app, ["doctor"], env=env)


async def test_doctor_passes_against_the_demo_emulator(demo: Any) -> None:
    report = await run_doctor(_settings(demo, demo.client_id, demo.client_secret))
    assert report.ok, report.checks
    rows = {c.name: c for c in report.checks}
    assert set(rows) == {"target", "credentials", "token", "permissions", "rate limit"}
    assert rows["permissions"].detail == f"all {len(REQUIRED_PERMISSIONS)} needed, in all divisions"
    assert rows["rate limit"].detail.startswith("100000 requests per window")


async def test_doctor_names_the_missing_permissions(demo: Any) -> None:
    cid, secret = await _client_with_role(demo, "User Administrator")
    report = await run_doctor(_settings(demo, cid, secret))
    assert not report.ok and report.credentials_error is None
    permissions = next(c for c in report.checks if c.name == "permissions")
    assert not permissions.ok
    assert "routing:queue:add (create tenant queues)" in permissions.detail
    assert (
        "oauth:client:add" in permissions.detail and "analytics:conversationDetail:view" in permissions.detail
    )
    assert "directory:user:add" not in permissions.detail  # this one it holds
    assert all(c.ok for c in report.checks if c.name != "permissions")


async def test_doctor_fails_a_client_scoped_to_one_division(demo: Any) -> None:
    cid, secret = await _client_with_role(demo, "Master Admin", division="Acme Insurance")
    report = await run_doctor(_settings(demo, cid, secret))
    permissions = next(c for c in report.checks if c.name == "permissions")
    assert not permissions.ok and "held only in some divisions, not all (*)" in permissions.detail


async def test_doctor_fails_a_client_that_cannot_read_its_own_grants(demo: Any) -> None:
    cid, secret = await _client_with_role(demo, "employee")
    report = await run_doctor(_settings(demo, cid, secret))
    permissions = next(c for c in report.checks if c.name == "permissions")
    assert not permissions.ok and "cannot read the client's own grants" in permissions.detail
    assert "oauth:client:view" in permissions.detail
    assert next(c for c in report.checks if c.name == "rate limit").ok


def test_cli_exit_codes_and_messages(demo: Any) -> None:
    env = {
        "GENESYSCLOUD_OAUTHCLIENT_ID": demo.client_id,
        "GENESYSCLOUD_OAUTHCLIENT_SECRET": demo.client_secret,
        "GENESYSCLOUD_API_REGION": demo.base_url,
    }
    good = _cli(env)
    assert good.exit_code == 0, good.output
    assert "All checks passed." in good.output and "FAIL" not in good.output

    wrong = _cli({**env, "GENESYSCLOUD_OAUTHCLIENT_SECRET": "not-the-secret"})
    assert wrong.exit_code == 2
    assert "rejected the credentials of OAuth client" in wrong.output
    assert "Traceback" not in wrong.output and "not-the-secret" not in wrong.output

    missing = _cli(
        {"GENESYSCLOUD_OAUTHCLIENT_ID": "", "GENESYSCLOUD_OAUTHCLIENT_SECRET": "", "HOME": "/nonexistent"}
    )
    assert missing.exit_code == 2
    assert "No Genesys Cloud credentials" in missing.output and "Traceback" not in missing.output


def test_cli_exits_1_when_a_permission_is_missing(demo: Any) -> None:
    import asyncio

    cid, secret = asyncio.run(_client_with_role(demo, "Reporting Viewer"))
    result = _cli(
        {
            "GENESYSCLOUD_OAUTHCLIENT_ID": cid,
            "GENESYSCLOUD_OAUTHCLIENT_SECRET": secret,
            "GENESYSCLOUD_API_REGION": demo.base_url,
        }
    )
    assert result.exit_code == 1
    assert "FAIL" in result.output and "check(s) failed" in result.output


def test_cli_reports_an_unreachable_target() -> None:
    result = _cli(
        {
            "GENESYSCLOUD_OAUTHCLIENT_ID": "x",
            "GENESYSCLOUD_OAUTHCLIENT_SECRET": "y",
            "GENESYSCLOUD_API_REGION": "http://127.0.0.1:9",
        }
    )
    assert result.exit_code == 2  # README: 2 = missing or wrong credentials / target
    assert "cannot reach http://127.0.0.1:9" in result.output


async def test_doctor_flags_roles_for_tenant_clients_that_tenantry_does_not_hold(demo: Any) -> None:
    """The platform lets a caller give an OAuth client only roles it holds itself."""
    cid, secret = await _client_with_role(demo, "User Administrator")
    wanted = {"Acme reporting": ["Reporting Viewer"], "Acme users": ["User Administrator"]}
    report = await run_doctor(_settings(demo, cid, secret), client_roles=wanted)
    roles = next(c for c in report.checks if c.name == "client roles")
    assert not roles.ok and "Reporting Viewer (for Acme reporting)" in roles.detail
    assert "User Administrator" not in roles.detail
    admin = await run_doctor(_settings(demo, demo.client_id, demo.client_secret), client_roles=wanted)
    assert next(c for c in admin.checks if c.name == "client roles").ok


def test_cli_doctor_reads_client_roles_from_tenants_yaml(demo: Any, tmp_path: Any) -> None:
    from pathlib import Path

    example = Path(__file__).parents[2] / "examples" / "bpo" / "tenants.yaml"
    env = {
        "GENESYSCLOUD_API_REGION": demo.base_url,
        "GENESYSCLOUD_OAUTHCLIENT_ID": demo.client_id,
        "GENESYSCLOUD_OAUTHCLIENT_SECRET": demo.client_secret,
    }
    app = typer.Typer()
    app.command("doctor")(doctor_command)
    app.command("version")(lambda: None)
    result = CliRunner().invoke(app, ["doctor", "--tenants", str(example)], env=env)
    assert result.exit_code == 0, result.output
    assert "client roles" in result.output
    bad = tmp_path / "tenants.yaml"
    bad.write_text("org: [\n")
    result = CliRunner().invoke(app, ["doctor", "--tenants", str(bad)], env=env)
    assert result.exit_code == 2
