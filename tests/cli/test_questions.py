"""The questions operators ask: explain, tenants, validate, import — the real commands on the emulator."""

from __future__ import annotations

import json
from pathlib import Path

from genesys_emulator import RunningEmulator
from tenantry.config import tenants as config_mod
from tenantry.inputs import people

from .conftest import DAY1, NO_CREDENTIALS, TENANTS, Run, writes


def _api(emu: RunningEmulator) -> tuple[dict, dict, dict]:
    headers = {"Authorization": f"Bearer {emu.token()}"}
    get = lambda path, **p: emu.admin.get(path, params=p, headers=headers).json()["entities"]  # noqa: E731
    divs = {d["name"]: d["id"] for d in get("/api/v2/authorization/divisions")}
    roles = {r["name"]: r["id"] for r in get("/api/v2/authorization/roles", pageSize=100)}
    users = {u["email"]: u["id"] for u in get("/api/v2/users", pageSize=500)}
    return divs, roles, users | {"_headers": headers}


def _globex_agent() -> str:
    return next(
        p.email
        for p in people.load(DAY1)
        if p.attributes["client"] == "GLOBEX" and p.attributes["title"] == "Agent" and p.active
    )


def test_explain_traces_each_grant_and_compares_with_the_desired_state(
    applied: Run, emu: RunningEmulator
) -> None:
    who = _globex_agent()
    r = applied("explain", who, "-c", str(TENANTS), "--people", str(DAY1), "--json")
    assert r.exit_code == 0, r.output
    ex = json.loads(r.stdout)
    assert ex["tenant"] == "globex" and ex["home_division"] == "Globex Telecom"
    agent = next(a for a in ex["access"] if a["role"] == "Agent")
    assert agent["division"] == "Globex Telecom" and agent["source"] == "group"
    assert agent["via"] == "Globex Telecom Agents (tenants.globex.groups.Agents)"
    assert agent["desired"] is True and ex["agrees"] is True
    assert "Globex Telecom Agents" in ex["groups"]
    # a direct grant in another tenant's division: traced as direct, and not desired
    divs, roles, users = _api(emu)
    emu.admin.post(
        f"/api/v2/authorization/subjects/{users[who]}/bulkadd",
        json={"grants": [{"roleId": roles["Agent"], "divisionId": divs["Acme Insurance"]}]},
        headers=users["_headers"],
    ).raise_for_status()
    ex = json.loads(applied("explain", who, "-c", str(TENANTS), "--people", str(DAY1), "--json").stdout)
    leak = next(a for a in ex["access"] if a["division"] == "Acme Insurance")
    assert (leak["source"], leak["desired"], leak["division_tenant"]) == ("direct", False, "acme")
    assert ex["agrees"] is False
    human = applied("explain", who, "-c", str(TENANTS), "--people", str(DAY1))
    assert "Acme Insurance (tenant acme)" in human.stdout and "apply would revoke it" in human.stdout
    # an OAuth client is explained by its roleDivisions
    ex = json.loads(applied("explain", "acme-reporting", "-c", str(TENANTS), "--json").stdout)
    assert ex["kind"] == "oauth_client" and ex["tenant"] == "acme"
    assert {(a["role"], a["division"], a["source"]) for a in ex["access"]} == {
        ("Reporting Viewer", "Acme Insurance", "oauth client")
    }


def test_tenants_lists_each_tenant_with_counts_and_last_apply(run: Run, journal: str) -> None:
    before = json.loads(run("tenants", "-c", str(TENANTS), "--json", "--journal", journal).stdout)["tenants"]
    assert all(t["last_apply"] is None for t in before)
    assert next(t for t in before if t["tenant"] == "initech")["division_exists"] is False
    r = run(
        "apply", "-c", str(TENANTS), "--people", str(DAY1), "--auto-approve", "--journal", journal, "--json"
    )
    assert r.exit_code == 0
    after = {
        t["tenant"]: t
        for t in json.loads(run("tenants", "-c", str(TENANTS), "--json", "--journal", journal).stdout)[
            "tenants"
        ]
    }
    feed = people.load(DAY1)
    acme_feed = sum(1 for p in feed if p.active and p.attributes["client"] == "ACME")
    assert after["acme"]["division"] == "Acme Insurance"
    assert after["acme"]["groups"] == 2 and after["acme"]["clients"] == 1
    assert after["acme"]["people"] >= acme_feed
    assert after["initech"]["division_exists"] is True and after["initech"]["queues"] == 1
    assert all(t["last_apply"] for t in after.values())
    human = run("tenants", "-c", str(TENANTS), "--journal", journal)
    assert "Globex Telecom" in human.stdout and "never" not in human.stdout


def test_validate_without_credentials_checks_everything_but_roles(run: Run, tmp_path: Path) -> None:
    ok = run("validate", "-c", str(TENANTS), "--people", str(DAY1), env=NO_CREDENTIALS)
    assert ok.exit_code == 0, ok.output
    assert "role names not checked against the org" in ok.stdout and "valid" in ok.stdout
    text = TENANTS.read_text()
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "idp.pem").write_text(
        "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n"
    )
    bad = text.replace("client: ACME", "clinet: ACME", 1).replace(
        "title: {contains: Supervisor}", "title: {pattern: '(['}", 1
    )
    (tmp_path / "t.yaml").write_text(bad)
    r = run("validate", "-c", "t.yaml", "--people", str(DAY1), "--json", env=NO_CREDENTIALS)
    assert r.exit_code == 1
    msgs = [f"{p['field']}: {p['message']}" for p in json.loads(r.stdout)["problems"]]
    assert any("invalid regular expression" in m for m in msgs), msgs
    # the regex fails schema validation first; fix it and the rule's misspelt column is found
    (tmp_path / "t.yaml").write_text(text.replace("client: ACME", "clinet: ACME", 1))
    r = run("validate", "-c", "t.yaml", "--people", str(DAY1), "--json", env=NO_CREDENTIALS)
    problems = json.loads(r.stdout)["problems"]
    assert r.exit_code == 1
    assert any(
        p["field"] == "tenants.acme.members.0.clinet" and "not a column" in p["message"] for p in problems
    )
    assert any(
        "base64" in p["message"] and p["field"] == "org.sso.generic.certificate_file" for p in problems
    )


def test_validate_checks_role_names_only_with_credentials(
    run: Run, tmp_path: Path, emu: RunningEmulator
) -> None:
    (tmp_path / "t.yaml").write_text(TENANTS.read_text().replace("roles: [Agent", "roles: [Agnet", 1))
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "idp.pem").write_text((TENANTS.parent / "certs" / "idp.pem").read_text())
    assert run("validate", "-c", "t.yaml", env=NO_CREDENTIALS).exit_code == 0
    emu.admin.delete("/_emulator/stats")
    r = run("validate", "-c", "t.yaml")
    assert r.exit_code == 1 and "role 'Agnet' does not exist in the org" in r.stdout
    assert writes(emu.stats()) == 0


def test_input_errors_say_what_is_wrong_in_words(run: Run, tmp_path: Path) -> None:
    rows = DAY1.read_text().splitlines()
    (tmp_path / "semi.csv").write_text("\n".join(r.replace(",", ";") for r in rows[:5]) + "\n")
    quoted = rows[:6]
    quoted[3] = quoted[3].replace(",", ',"', 1)  # a quote opened on line 4 and never closed
    (tmp_path / "quote.csv").write_text("\n".join(quoted) + "\n")
    r = run("validate", "-c", str(TENANTS), "--people", "semi.csv", env=NO_CREDENTIALS)
    assert r.exit_code == 1 and "looks ';'-separated: use commas" in r.stdout
    r = run("validate", "-c", str(TENANTS), "--people", "quote.csv", env=NO_CREDENTIALS)
    assert r.exit_code == 1 and "quote.csv:4: unbalanced quote" in r.stdout


def test_import_writes_a_draft_that_loads_and_marks_decisions(applied: Run, tmp_path: Path) -> None:
    r = applied("import", "-o", "draft.yaml")
    assert r.exit_code == 0, r.output
    draft = (tmp_path / "draft.yaml").read_text()
    cfg = config_mod.load(tmp_path / "draft.yaml")  # a valid tenants.yaml as written
    by_division = {t.division: t for t in cfg.tenants.values()}
    assert {"Acme Insurance", "Globex Telecom", "Initech Bank"} <= set(by_division)
    acme = by_division["Acme Insurance"]
    assert acme.groups["Agents"].roles == ["Agent", "employee"]
    assert acme.groups["Supervisors"].roles == ["Supervisor"]
    assert [(s.email, s.roles) for s in acme.staff] == [("lee.wfm@bpo.example", ["Reporting Viewer"])]
    queues = {q.name: sorted(q.groups) for q in acme.queues}
    assert queues["Acme Claims"] == ["Agents", "Supervisors"]
    assert [(c.name, c.roles) for c in acme.oauth_clients] == [("acme-reporting", ["Reporting Viewer"])]
    assert "DECIDE" in draft and draft.count("members:") >= 3
    again = applied("import", "-o", "draft.yaml", "--json")
    assert again.exit_code == 1 and "exists" in json.loads(again.stdout)["error"]
