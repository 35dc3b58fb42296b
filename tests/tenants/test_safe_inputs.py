"""Issue 13, items 1–9: inputs that never silently revoke, duplicate or accept junk.

Every test drives the command line (or the services) against the emulator over real HTTP, with a
copy of examples/bpo edited the way a new user would get it wrong.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from genesys_emulator import RunningEmulator
from support.cli import env_for
from tenantry.cli.main import app

from .certs import make_cert, metadata, pem
from .conftest import EXAMPLE, Tenantry, writes

DAY1 = EXAMPLE / "people.csv"
KAI = "kai.santos.3@bpo.example"  # E00003, an ACME agent on line 4 of people.csv


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """A copy of examples/bpo (tenants.yaml, its certificate, the day-1 feed) to edit."""
    d = tmp_path / "ws"
    d.mkdir()
    shutil.copy(EXAMPLE / "tenants.yaml", d / "tenants.yaml")
    shutil.copytree(EXAMPLE / "certs", d / "certs")
    shutil.copy(DAY1, d / "people.csv")
    return d


@pytest.fixture
def run(emu: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    runner = CliRunner()

    def go(*args: str | Path):
        return runner.invoke(app, [str(a) for a in args], env=env_for(emu), catch_exceptions=False)

    return go


@pytest.fixture
def api(emu: RunningEmulator):
    with httpx.Client(
        base_url=emu.base_url, headers={"Authorization": f"Bearer {emu.token()}"}, timeout=30
    ) as c:
        yield c


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def users(api: httpx.Client) -> list[dict]:
    out, page = [], 1
    while True:
        body = api.get(
            "/api/v2/users", params={"pageSize": 500, "pageNumber": page, "state": "active"}
        ).json()
        out += body["entities"]
        if page >= body.get("pageCount", 1):
            return out
        page += 1


def one_line(r) -> str:
    lines = [ln for ln in r.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in r.output, r.stderr
    return lines[0]


# ---- 1. a rule attribute that is not a column of the feed ----------------------------------
def test_rule_on_a_column_the_feed_lacks_is_an_input_error(run, emu: RunningEmulator, ws: Path) -> None:
    feed = ws / "people.csv"
    edit(
        feed,
        "hr_id,email,given_name,family_name,status,client,site,title",
        "hr_id,email,given_name,family_name,status,client,location,title",
    )
    emu.admin.delete("/_emulator/stats")
    r = run(
        "apply",
        "-c",
        ws / "tenants.yaml",
        "--people",
        feed,
        "--auto-approve",
        "--journal",
        f"sqlite:///{ws}/j.db",
    )
    assert r.exit_code == 1, r.output
    line = line_of(ws / "tenants.yaml", "site: [MNL, CEB]")
    assert f"tenants.yaml:{line}: tenants.initech.members.0.site:" in r.stderr
    assert f"not a column of the feed {feed}" in " ".join(r.stderr.split())
    assert writes(emu.stats()) == 0


# ---- 2. identity is hr_id, not the email ----------------------------------------------------
def test_email_change_with_the_same_hr_id_updates_that_user(run, api, ws: Path) -> None:
    cfg, feed, journal = ws / "tenants.yaml", ws / "people.csv", f"sqlite:///{ws}/j.db"
    assert run("apply", "-c", cfg, "--people", feed, "--auto-approve", "--journal", journal).exit_code == 0
    before = {u["email"]: u for u in users(api)}
    kai = before[KAI]
    assert kai["employerInfo"] == {"employeeId": "E00003"}
    edit(feed, f"E00003,{KAI},", "E00003,kai.santos@new.bpo.example,")
    r = run("apply", "-c", cfg, "--people", feed, "--auto-approve", "--journal", journal)
    assert r.exit_code == 0, r.output
    after = {u["email"]: u for u in users(api)}
    assert len(after) == len(before)
    assert KAI not in after
    assert after["kai.santos@new.bpo.example"]["id"] == kai["id"]
    group = next(g for g in api.get("/api/v2/groups", params={"pageSize": 100}).json()["entities"]
                 if g["name"] == "Acme Insurance Agents")  # fmt: skip
    members = {
        m["id"]
        for m in api.get(f"/api/v2/groups/{group['id']}/members", params={"pageSize": 500}).json()["entities"]
    }
    assert kai["id"] in members
    again = run("plan", "-c", cfg, "--people", feed, "--journal", journal, "--detailed-exitcode")
    assert again.exit_code == 0, again.output  # converged: nothing more to do


def test_adopting_users_without_hr_id_matches_by_email_once_then_writes_it(run, api, ws: Path) -> None:
    home = api.get("/api/v2/authorization/divisions/home").json()["id"]
    made = api.post(
        "/api/v2/users", json={"name": "Ivo Ramos", "email": "ivo.ramos.2@bpo.example", "divisionId": home}
    )
    assert made.status_code == 200 and "employerInfo" not in made.json()
    cfg, feed, journal = ws / "tenants.yaml", ws / "people.csv", f"sqlite:///{ws}/j.db"
    r = run("apply", "-c", cfg, "--people", feed, "--auto-approve", "--journal", journal)
    assert r.exit_code == 0, r.output
    ivo = [u for u in users(api) if u["email"] == "ivo.ramos.2@bpo.example"]
    assert len(ivo) == 1 and ivo[0]["id"] == made.json()["id"]
    assert (
        ivo[0]["employerInfo"] == {"employeeId": "E00002"} and ivo[0]["division"]["name"] == "Acme Insurance"
    )


def test_an_email_held_by_another_hr_id_is_an_error(run, api, ws: Path) -> None:
    home = api.get("/api/v2/authorization/divisions/home").json()["id"]
    body = {"name": "Someone Else", "email": "ivo.ramos.2@bpo.example", "divisionId": home,
            "employerInfo": {"employeeId": "X99999"}}  # fmt: skip
    assert api.post("/api/v2/users", json=body).status_code == 200
    r = run(
        "plan", "-c", ws / "tenants.yaml", "--people", ws / "people.csv", "--journal", f"sqlite:///{ws}/j.db"
    )
    assert r.exit_code == 1
    assert "HR id E00002" in r.stderr and "X99999" in r.stderr


# ---- 3. SSO certificates are checked --------------------------------------------------------
@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"not a cert\n", "not an X.509 certificate"),
        (pem(make_cert(start_days=-400, end_days=-2)), "the certificate expired on"),
        (pem(make_cert(start_days=3, end_days=400)), "the certificate is not valid before"),
    ],
)
def test_a_bad_certificate_is_refused_before_anything_is_sent(
    run, emu: RunningEmulator, ws: Path, content: bytes, why: str
) -> None:
    (ws / "certs" / "idp.pem").write_bytes(content)
    emu.admin.delete("/_emulator/stats")
    r = run(
        "apply",
        "-c",
        ws / "tenants.yaml",
        "--people",
        ws / "people.csv",
        "--auto-approve",
        "--journal",
        f"sqlite:///{ws}/j.db",
    )
    assert r.exit_code == 1
    line = line_of(ws / "tenants.yaml", "certificate_file:")
    assert f"tenants.yaml:{line}: org.sso.generic.certificate_file: certs/idp.pem: {why}" in " ".join(
        r.stderr.split()
    )
    assert writes(emu.stats()) == 0


def test_a_certificate_about_to_expire_is_a_warning_and_the_plan_shows_it(run, ws: Path) -> None:
    (ws / "certs" / "idp.pem").write_bytes(pem(make_cert("idp.soon.example", end_days=10.5)))
    r = run(
        "plan", "-c", ws / "tenants.yaml", "--people", ws / "people.csv", "--journal", f"sqlite:///{ws}/j.db"
    )
    assert r.exit_code == 0, r.output
    text = " ".join(r.stdout.split())
    assert "the SSO generic certificate expires in 10 days" in text
    assert "SSO generic certificate: subject CN=idp.soon.example, issuer CN=idp.soon.example, expires" in text
    plan = run(
        "plan",
        "-c",
        ws / "tenants.yaml",
        "--people",
        ws / "people.csv",
        "--journal",
        f"sqlite:///{ws}/j.db",
        "--json",
    )
    assert any("CN=idp.soon.example" in n for n in json.loads(plan.stdout)["notes"])


def test_sso_import_reads_metadata_and_its_block_plans(run, ws: Path) -> None:
    cert = make_cert("idp.imported.example")
    xml = ws / "idp-metadata.xml"
    xml.write_text(metadata(cert))
    r = run("sso", "import", xml, "--name", "Imported IdP")
    assert r.exit_code == 0, r.output
    block = r.stdout
    assert 'issuer_uri: "https://idp.test.example/saml"' in block
    assert 'sso_target_uri: "https://idp.test.example/saml/redirect"' in block  # the Redirect binding
    assert 'certificate_file: "idp-metadata-signing.pem"' in block
    assert (ws / "idp-metadata-signing.pem").read_bytes() == pem(cert)
    cfg = ws / "tenants.yaml"
    text = cfg.read_text()
    start, end = text.index("  sso:"), text.index("\ntenants:")
    cfg.write_text(text[:start] + block.split("\n", 1)[1] + text[end:])
    plan = run(
        "plan", "-c", cfg, "--people", ws / "people.csv", "--journal", f"sqlite:///{ws}/j.db", "--json"
    )
    assert plan.exit_code == 0, plan.output
    data = json.loads(plan.stdout)
    sso = next(b for p in data["phases"] if p["name"] == "sso" for b in p["batches"])
    assert sso["items"][0]["issuerURI"] == "https://idp.test.example/saml"
    assert any("CN=idp.imported.example" in n for n in data["notes"])


def test_sso_import_refuses_unsafe_or_useless_xml(run, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
                    '<x>&b;</x>')  # fmt: skip
    r = run("sso", "import", bomb)
    assert r.exit_code == 1 and "refused unsafe XML" in r.stderr
    expired = tmp_path / "expired.xml"
    expired.write_text(metadata(make_cert(start_days=-30, end_days=-1)))
    r = run("sso", "import", expired)
    assert r.exit_code == 1 and "no usable signing certificate" in r.stderr and "expired" in r.stderr


# ---- 4. move against the feed ---------------------------------------------------------------
def test_move_the_feed_contradicts_is_refused(
    run, tenantry: Tenantry, emu: RunningEmulator, ws: Path
) -> None:
    tenantry.apply(DAY1)
    emu.admin.delete("/_emulator/stats")
    r = run("move", KAI, "--to", "globex", "-c", ws / "tenants.yaml", "--people", ws / "people.csv",
            "--auto-approve", "--journal", f"sqlite:///{ws}/j.db")  # fmt: skip
    assert r.exit_code == 1
    message = " ".join(r.stderr.split())
    assert f"people.csv line 4: {KAI} matches tenant acme" in message
    assert "client: GLOBEX" in message
    assert writes(emu.stats()) == 0
    r = run(
        "move",
        KAI,
        "--to",
        "globex",
        "-c",
        ws / "tenants.yaml",
        "--auto-approve",
        "--journal",
        f"sqlite:///{ws}/j.db",
    )
    assert r.exit_code == 0, r.output
    assert "the next `tenantry apply` of the feed decides" in " ".join(r.stdout.split())


# ---- 5. mover verification against the desired state -----------------------------------------
def test_agent_who_becomes_staff_of_the_tenant_they_left_verifies(run, ws: Path) -> None:
    cfg, feed, journal = ws / "tenants.yaml", ws / "people.csv", f"sqlite:///{ws}/j.db"
    assert run("apply", "-c", cfg, "--people", feed, "--auto-approve", "--journal", journal).exit_code == 0
    edit(
        feed,
        f"E00003,{KAI},Kai,Santos,active,ACME,MNL,Agent",
        f"E00003,{KAI},Kai,Santos,active,BPO,MNL,Team Lead",
    )
    lee = "      - email: lee.wfm@bpo.example\n        roles: [Reporting Viewer]\n"
    edit(cfg, lee, f"{lee}      - email: {KAI}\n        roles: [Supervisor]\n")
    r = run(
        "apply",
        "-c",
        cfg,
        "--people",
        feed,
        "--auto-approve",
        "--allow-mass-revoke",
        "--journal",
        journal,
        "--json",
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["verify"] == []


# ---- 6. a partial feed is not the whole world -------------------------------------------------
def test_reconcile_one_person_with_a_one_row_feed(run, api, tenantry: Tenantry, ws: Path) -> None:
    tenantry.apply(DAY1)
    before = {u["email"] for u in users(api)}
    one = ws / "one.csv"
    one.write_text("hr_id,email,given_name,family_name,status,client,site,title\n"
                   "E09999,new.joiner@bpo.example,New,Joiner,active,ACME,MNL,Agent\n")  # fmt: skip
    r = run(
        "reconcile",
        "new.joiner@bpo.example",
        "-c",
        ws / "tenants.yaml",
        "--people",
        one,
        "--journal",
        f"sqlite:///{ws}/j.db",
    )
    assert r.exit_code == 0, r.output
    after = {u["email"] for u in users(api)}
    assert after == before | {"new.joiner@bpo.example"}
    r = run("plan", "-c", ws / "tenants.yaml", "--people", one, "--only", "new.joiner@bpo.example", "--json",
            "--journal", f"sqlite:///{ws}/j.db")  # fmt: skip
    assert json.loads(r.stdout)["summary"]["revoked_users"] == 0


# ---- 7. people who match no tenant and hold nothing are reported ----------------------------
def test_unmatched_people_are_counted_and_named_with_verbose(run, ws: Path) -> None:
    feed = ws / "people.csv"
    feed.write_text(
        feed.read_text() + "E07777,stray.person@bpo.example,Stray,Person,active,NOBODY,MNL,Agent\n"
    )
    args = ("plan", "-c", ws / "tenants.yaml", "--people", feed, "--journal", f"sqlite:///{ws}/j.db")
    quiet = " ".join(run(*args).stdout.split())
    assert "1 people of the feed match no tenant and hold no access" in quiet
    assert "stray.person@bpo.example" not in quiet and "-v lists them" in quiet
    loud = " ".join(run(*args, "-v").stdout.split())
    assert "stray.person@bpo.example" in loud


# ---- 8. admin-level roles in tenant hands -----------------------------------------------------
def test_admin_level_role_needs_allow_admin_role(run, ws: Path) -> None:
    cfg = ws / "tenants.yaml"
    edit(
        cfg,
        "      Supervisors:\n        roles: [Supervisor]\n",
        "      Supervisors:\n        roles: [Supervisor, User Administrator]\n",
    )
    edit(
        cfg,
        "        roles: [Reporting Viewer]\n        token_ttl_seconds: 3600",
        "        roles: [Security Administrator]\n        token_ttl_seconds: 3600",
    )
    args = ("plan", "-c", cfg, "--people", ws / "people.csv", "--journal", f"sqlite:///{ws}/j.db")
    r = run(*args)
    assert r.exit_code == 1
    err = " ".join(r.stderr.split())
    line = line_of(cfg, "roles: [Supervisor, User Administrator]")
    assert (
        f"tenants.yaml:{line}: tenants.acme.groups.Supervisors.roles.1: "
        "role 'User Administrator' carries admin-level" in err
    )
    assert "tenants.acme.oauth_clients.0.roles.0: role 'Security Administrator'" in err
    assert "allow_admin_role: true" in err
    edit(
        cfg,
        "roles: [Supervisor, User Administrator]\n",
        "roles: [Supervisor, User Administrator]\n        allow_admin_role: true\n",
    )
    r = run(*args)
    assert r.exit_code == 1 and "User Administrator" not in r.stderr and "Security Administrator" in r.stderr


def test_plan_check_and_audit_rule_share_one_definition(run, ws: Path, tenantry: Tenantry) -> None:
    """What the plan refuses without allow_admin_role is what the audit's R07 then reports."""
    from tenantry.audit.engine import audit
    from tenantry.config.tenants import load

    cfg = ws / "tenants.yaml"
    sup = "      Supervisors:\n        roles: [Supervisor"
    edit(cfg, f"{sup}]\n", f"{sup}, User Administrator]\n        allow_admin_role: true\n")
    r = run(
        "apply",
        "-c",
        cfg,
        "--people",
        ws / "people.csv",
        "--auto-approve",
        "--journal",
        f"sqlite:///{ws}/j.db",
    )
    assert r.exit_code == 0, r.output
    import asyncio

    from tenantry.genesys.snapshot import read_snapshot

    async def snap():
        async with tenantry.client() as c:
            return await read_snapshot(c)

    found = [f for f in audit(asyncio.run(snap()), load(cfg)).findings if f.rule == "R07"]
    assert [(f.subject.name, f.role.name) for f in found] == [
        ("Acme Insurance Supervisors", "User Administrator")
    ]


# ---- 9. journal and output paths ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("journal", "why"),
    [
        ("mysql://user@db.example/tenantry", "is not a sqlite:/// or postgresql:// URL"),
        ("postgresql://nobody:pw@127.0.0.1:1/none", "cannot open the journal"),
        ("sqlite:////no/such/folder/j.db", "cannot open the journal"),
        ("not a url", "is not a sqlite:/// or postgresql:// URL"),
    ],
)
def test_bad_journal_is_one_line(run, ws: Path, journal: str, why: str) -> None:
    r = run("plan", "-c", ws / "tenants.yaml", "--people", ws / "people.csv", "--journal", journal)
    assert r.exit_code == 1
    line = one_line(r)
    assert line.startswith("error: --journal:") and why in line
    assert "pw@" not in line  # a password in the URL is never echoed


def test_plan_output_into_a_missing_folder_is_one_line(run, ws: Path) -> None:
    r = run("plan", "-c", ws / "tenants.yaml", "--people", ws / "people.csv", "-o", ws / "nope" / "plan.json")
    assert r.exit_code == 1 and "does not exist" in one_line(r)


def test_journal_and_secrets_default_to_the_folder_of_tenants_yaml(run, ws: Path, tmp_path: Path) -> None:
    cfg = ws / "tenants.yaml"
    edit(cfg, "  journal: sqlite:///tenantry.db  #", "  #")
    r = run("apply", "-c", cfg, "--people", ws / "people.csv", "--auto-approve")
    assert r.exit_code == 0, r.output
    assert (ws / "tenantry.db").is_file()
    assert (ws / "tenantry-secrets" / "acme-reporting.json").is_file()
    cwd = tmp_path / "cwd"
    assert not (cwd / "tenantry.db").exists() and not (cwd / "tenantry-secrets").exists()


# ---- 14. the open directory, asked over HTTP as a tenant's own client ---------------------------
def test_audit_asks_a_tenant_client_whether_the_directory_is_open(
    run, emu: RunningEmulator, ws: Path
) -> None:
    cfg = ws / "tenants.yaml"
    assert run("apply", "-c", cfg, "--people", ws / "people.csv", "--auto-approve").exit_code == 0
    saved = json.loads((ws / "tenantry-secrets" / "acme-reporting.json").read_text())
    # Ground truth, asked directly: what does Acme's reporting client see of /api/v2/users?
    token = httpx.post(
        f"{emu.base_url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(saved["client_id"], saved["client_secret"]),
    ).json()["access_token"]
    seen = httpx.get(
        f"{emu.base_url}/api/v2/users", params={"pageSize": 500}, headers={"Authorization": f"Bearer {token}"}
    )
    open_now = seen.status_code == 200 and any(
        u["division"]["name"] != "Acme Insurance" for u in seen.json()["entities"]
    )
    out = ws / "audit.json"
    r = run("audit", "-c", cfg, "--format", "json", "-o", out, "--fail-on", "critical")
    assert r.exit_code == 0, r.output
    data = json.loads(out.read_text())
    assert data["evidence"]["directory"] == {"open": open_now, "probed_with": "acme-reporting"}
    r12 = [f for f in data["findings"] if f["rule"] == "R12"]
    assert bool(r12) == open_now
    if open_now:  # the emulator of the fidelity branch: the directory is open by default
        assert {f["subject"]["name"] for f in r12} >= {"the org's directory", "acme-reporting"}
