"""`tenantry doctor --json`: one JSON document on stdout, whatever the outcome, and doctor's exit codes."""

from __future__ import annotations

import json
import socket

import httpx

from .conftest import Run, subprocess_run

CHECKS = {"target", "credentials", "token", "permissions", "rate limit"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_doctor_json_over_the_emulator(run: Run) -> None:
    r = run("doctor", "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)  # the whole of stdout is the one document
    assert doc["ok"] is True and "error" not in doc
    assert {c["name"] for c in doc["checks"]} == CHECKS
    assert all(c["ok"] and c["detail"] for c in doc["checks"])


def test_doctor_json_names_a_failed_check_and_exits_1(run: Run, api: httpx.Client) -> None:
    """A client holding one role lacks most permissions: exit 1, the failure in the document."""
    roles = api.get("/api/v2/authorization/roles", params={"name": "User Administrator"}).json()["entities"]
    role = next(x for x in roles if x["name"] == "User Administrator")
    body = {
        "name": "doctor json",
        "authorizedGrantType": "CLIENT-CREDENTIALS",
        "roleDivisions": [{"roleId": role["id"], "divisionId": "*"}],
    }
    created = api.post("/api/v2/oauth/clients", json=body).raise_for_status().json()
    env = {"GENESYSCLOUD_OAUTHCLIENT_ID": created["id"], "GENESYSCLOUD_OAUTHCLIENT_SECRET": created["secret"]}
    r = run("doctor", "--json", env=env)
    assert r.exit_code == 1, r.output
    doc = json.loads(r.stdout)
    assert doc["ok"] is False and "error" not in doc
    failed = [c for c in doc["checks"] if not c["ok"]]
    assert [c["name"] for c in failed] == ["permissions"]
    assert "routing:queue:add" in failed[0]["detail"]


def test_doctor_json_wrong_secret_is_one_document_exit_2(run: Run) -> None:
    r = run("doctor", "--json", env={"GENESYSCLOUD_OAUTHCLIENT_SECRET": "wrong-secret-xyz"})
    assert r.exit_code == 2, r.output
    doc = json.loads(r.stdout)
    assert doc["ok"] is False and "rejected the credentials" in doc["error"]
    assert "wrong-secret-xyz" not in r.stdout + r.stderr


def test_doctor_json_unreachable_target_is_still_one_document() -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    creds = {"GENESYSCLOUD_OAUTHCLIENT_ID": "x", "GENESYSCLOUD_OAUTHCLIENT_SECRET": "y"}
    r = subprocess_run(None, "doctor", "--json", env=creds | {"GENESYSCLOUD_API_REGION": url})
    assert r.returncode == 2, r.stderr
    doc = json.loads(r.stdout)
    assert f"cannot reach {url}" in doc["error"]
    assert "Traceback" not in r.stderr


def test_doctor_json_no_credentials_is_one_document() -> None:
    r = subprocess_run(None, "doctor", "--json", env={"TENANTRY_GENESYS_CONFIG": "/nonexistent/genesys.toml"})
    assert r.returncode == 2, r.stderr
    assert set(json.loads(r.stdout)) == {"error"}
