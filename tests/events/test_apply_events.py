"""Events from real runs: `tenantry apply` and `audit` against the emulator, with the audit log,
webhooks to a receiving server, `history`, the metrics file and JSON logs — and a scan of all of
them for secrets."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from genesys_emulator import RunningEmulator
from tenantry.cli.main import app
from tenantry.events.metrics import render_metrics
from tenantry.events.store import EventStore
from tenantry.execution.journal import Journal
from tenantry.inputs import people

from .conftest import SECRET, Receiver

EXAMPLE = Path(__file__).parents[2] / "examples" / "bpo"
EVENTS_YAML = """
events:
  audit_log: audit/events.jsonl
  webhooks:
    - url: {url}
      events: ["*"]
      secret_env: HR_HOOK_SECRET
"""


@pytest.fixture
def workdir(tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(EXAMPLE, tmp_path / "bpo")
    cfg = tmp_path / "bpo" / "tenants.yaml"
    cfg.write_text(cfg.read_text() + EVENTS_YAML.format(url=receiver.url))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def cli(emu: RunningEmulator, workdir: Path, *args: str, journal: bool = True):
    env = {
        "GENESYSCLOUD_OAUTHCLIENT_ID": emu.client_id,
        "GENESYSCLOUD_OAUTHCLIENT_SECRET": emu.client_secret,
        "GENESYSCLOUD_API_REGION": emu.base_url,
        "HR_HOOK_SECRET": SECRET,
    }
    extra = ["--journal", f"sqlite:///{workdir / 'journal.db'}"] if journal else []  # audit: tenants.yaml's
    return CliRunner().invoke(app, [*args, *extra], env=env, catch_exceptions=False)


def apply(emu: RunningEmulator, workdir: Path, feed: str, *extra: str):
    return cli(
        emu,
        workdir,
        "apply",
        "-c",
        "bpo/tenants.yaml",
        "--people",
        f"bpo/{feed}",
        "--auto-approve",
        "--json",
        *extra,
    )


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in text_string_to_metric_families(text)
        for s in fam.samples
    }


def total(found: dict, name: str, **labels: str) -> float:
    return sum(
        v for (n, ls), v in found.items() if n == name and all((k, x) in ls for k, x in labels.items())
    )


def user_ids(emu: RunningEmulator) -> dict[str, str]:
    h = {"Authorization": f"Bearer {emu.token()}"}
    out, page = {}, 1
    while True:
        body = emu.admin.get("/api/v2/users", params={"pageSize": 500, "pageNumber": page}, headers=h).json()
        out |= {u["email"]: u["id"] for u in body["entities"]}
        if page >= body["pageCount"]:
            return out
        page += 1


def test_apply_emits_who_what_why_to_log_journal_and_webhook(
    emu: RunningEmulator, workdir: Path, receiver: Receiver
) -> None:
    before = samples(render_metrics().decode())
    r = apply(emu, workdir, "people.csv", "--metrics-file", "day1.prom", "--log-format", "json")
    assert r.exit_code == 0, r.output
    done = json.loads(r.stdout)["done"]
    lines = (workdir / "bpo" / "audit" / "events.jsonl").read_text().splitlines()
    events = [json.loads(x) for x in lines]
    assert all(
        e["specversion"] == "1.0" and e["id"] and e["source"] and e["type"].startswith("dev.tenantry.")
        for e in events
    )
    kinds = {e["type"].rsplit(".", 1)[1] for e in events}
    assert {"joiner", "membership", "grant", "oauth_client_created", "sso_changed", "object_changed"} <= kinds

    # a joiner carries the Genesys user id the org gave it, and the HR row it came from
    ids = user_ids(emu)
    feed = {p.email: p for p in people.load(EXAMPLE / "people.csv")}
    joiners = [e for e in events if e["type"] == "dev.tenantry.joiner"]
    run = Journal(f"sqlite:///{workdir / 'journal.db'}").batch_rows(json.loads(r.stdout)["run_id"])
    created = {b["target"] for b in run if b["op"] == "user.create"}
    assert {e["subject"] for e in joiners} == created and len(joiners) == len(created) == 300
    for e in joiners:
        who = e["data"]["person"]
        assert who["genesys_user_id"] == ids[who["email"]] and who["hr_id"] == feed[who["email"]].hr_id
        assert e["data"]["reason"].startswith("people feed bpo/people.csv line ")
        assert e["data"]["tenant"] in ("acme", "globex", "initech") and e["data"]["run_id"]

    # the journal keeps the same events; the receiver got every one, signed, once
    store = EventStore(f"sqlite:///{workdir / 'journal.db'}")
    assert [e["id"] for e in store.all_events()] == [e["id"] for e in events]
    got = receiver.delivered()
    assert sorted(x.headers["webhook-id"] for x in got) == sorted(e["id"] for e in events)
    assert all(x.signature_ok for x in got) and not store.pending() and not store.failed()

    # the metrics file parses, and counts this run
    after = samples((workdir / "day1.prom").read_text())
    assert (
        total(after, "tenantry_batches_total", outcome="done")
        - total(before, "tenantry_batches_total", outcome="done")
        == done
    )
    assert total(after, "tenantry_events_total") - total(before, "tenantry_events_total") == len(events)
    delivered = total(after, "tenantry_webhook_deliveries_total", outcome="delivered")
    assert delivered - total(before, "tenantry_webhook_deliveries_total", outcome="delivered") == len(events)
    assert total(after, "tenantry_people", tenant="acme") == sum(
        1 for p in feed.values() if p.active and p.attributes.get("client") == "ACME"
    )
    assert total(after, "tenantry_genesys_api_calls_total", status="200") > 0
    assert total(after, "tenantry_reconcile_seconds_count", kind="apply") >= 1
    assert any(n == "tenantry_rate_budget_utilisation" for n, _ in after)

    # JSON logs with run, batch and tenant context
    logs = [json.loads(x) for x in r.stderr.splitlines() if x.startswith("{")]
    applied = [x for x in logs if x["event"] == "batch applied"]
    assert len(applied) == done and all(x["run_id"] and x["batch_id"] for x in applied)
    assert {x["tenant"] for x in applied} >= {"acme", "globex", "initech"}
    assert any(x.get("logger") == "tenantry.genesys" for x in logs)


def test_day_two_movers_leavers_and_history(emu: RunningEmulator, workdir: Path, receiver: Receiver) -> None:
    assert apply(emu, workdir, "people.csv").exit_code == 0
    r = apply(emu, workdir, "people-day2.csv", "--allow-mass-revoke")
    assert r.exit_code == 0, r.output
    events = [json.loads(x) for x in (workdir / "bpo" / "audit" / "events.jsonl").read_text().splitlines()]
    day2 = [e for e in events if e["data"].get("run_id") == json.loads(r.stdout)["run_id"]]
    kinds = {e["type"].rsplit(".", 1)[1] for e in day2}
    assert {"joiner", "leaver", "mover", "membership"} <= kinds, kinds
    leaver = next(e for e in day2 if e["type"] == "dev.tenantry.leaver")
    assert leaver["data"]["person"]["hr_id"] and leaver["data"]["reason"].startswith("people feed")
    assert "status leaver" in leaver["data"]["reason"]
    # a mover who joined on day 1 (the seeded org's own users are adopted, not joiners)
    joined = {e["subject"] for e in events if e["type"] == "dev.tenantry.joiner"}
    mover = next(e for e in day2 if e["type"] == "dev.tenantry.mover" and e["subject"] in joined)
    email = mover["subject"]
    assert mover["data"]["person"]["genesys_user_id"] == user_ids(emu)[email]

    h = cli(emu, workdir, "history", email, "-c", "bpo/tenants.yaml", "--json")
    assert h.exit_code == 0, h.output
    timeline = [e["type"].rsplit(".", 1)[1] for e in json.loads(h.stdout)]
    assert timeline[0] == "joiner" and "mover" in timeline
    assert timeline.index("joiner") < timeline.index("mover")
    table = cli(emu, workdir, "history", email, "-c", "bpo/tenants.yaml")
    assert "mover" in table.stdout and "joiner" in table.stdout
    assert len(receiver.delivered()) == len(events)


def test_audit_reports_a_leak_as_an_event(emu: RunningEmulator, workdir: Path, receiver: Receiver) -> None:
    assert apply(emu, workdir, "people.csv").exit_code == 0
    h = {"Authorization": f"Bearer {emu.token()}"}
    divs = {
        d["name"]: d["id"]
        for d in emu.admin.get("/api/v2/authorization/divisions", headers=h).json()["entities"]
    }
    roles = {
        x["name"]: x["id"] for x in emu.admin.get("/api/v2/authorization/roles", headers=h).json()["entities"]
    }
    uid = user_ids(emu)["agent1@acme.bpo.example"]
    emu.admin.post(
        f"/api/v2/authorization/subjects/{uid}/bulkadd",
        headers=h,
        json={"grants": [{"roleId": roles["Supervisor"], "divisionId": divs["Globex Telecom"]}]},
    ).raise_for_status()
    r = cli(emu, workdir, "audit", "-c", "bpo/tenants.yaml", "--metrics-file", "audit.prom", journal=False)
    assert r.exit_code == 1, r.output
    leaks = [
        json.loads(x)
        for x in (workdir / "bpo" / "audit" / "events.jsonl").read_text().splitlines()
        if '"dev.tenantry.leak_found"' in x
    ]
    leaks = [e for e in leaks if e["data"]["rule"] != "R12"]  # the open directory: an org-level finding
    assert [(e["subject"], e["data"]["rule"], e["data"]["division"]) for e in leaks] == [
        ("agent1@acme.bpo.example", "R02", "Globex Telecom")
    ]
    assert leaks[0]["id"] in {x.headers["webhook-id"] for x in receiver.delivered()}
    found = samples((workdir / "audit.prom").read_text())
    assert total(found, "tenantry_audit_findings", rule="R02", severity="critical") == 1


def test_no_secret_in_any_event_delivery_log_or_metric(
    emu: RunningEmulator, workdir: Path, receiver: Receiver
) -> None:
    """The seed mailed temporary passwords to the HR webhook; tenantry carries no secret anywhere."""
    r1 = apply(emu, workdir, "people.csv", "--metrics-file", "m1.prom", "--log-format", "json")
    r2 = apply(
        emu,
        workdir,
        "people-day2.csv",
        "--allow-mass-revoke",
        "--metrics-file",
        "m2.prom",
        "--log-format",
        "json",
    )
    assert r1.exit_code == 0 and r2.exit_code == 0
    created = [json.loads(p.read_text()) for p in (workdir / "bpo" / "tenantry-secrets").glob("*.json")]
    assert len(created) == 2  # acme-reporting, initech-wfm-integration: their secrets exist, on disk only
    secrets = {emu.client_secret, SECRET, SECRET.removeprefix("whsec_")} | {
        c["client_secret"] for c in created
    }
    assert emu.emulator is not None
    secrets |= set(emu.emulator.org.tokens)  # every bearer token the org handed out
    assert len(secrets) >= 6 and all(len(s) >= 16 for s in secrets)

    con = sqlite3.connect(workdir / "journal.db")
    journal_dump = "\n".join(con.iterdump())
    con.close()
    haystacks = {
        "audit log": (workdir / "bpo" / "audit" / "events.jsonl").read_text(),
        "journal (events, deliveries, batches)": journal_dump,
        "deliveries received": "\n".join(x.body + json.dumps(x.headers) for x in receiver.received),
        "logs and output": r1.stdout + r1.stderr + r2.stdout + r2.stderr,
        "metrics": (workdir / "m1.prom").read_text() + (workdir / "m2.prom").read_text(),
    }
    assert "tenantry_events" in journal_dump and len(receiver.received) > 300
    for where, text in haystacks.items():
        leaked = [s[:6] + "…" for s in secrets if s in text]
        assert not leaked, f"{where} holds secrets {leaked}"
        assert "password" not in text.lower(), where


def test_a_distributed_run_emits_from_the_journal(
    emu: RunningEmulator, workdir: Path, receiver: Receiver, pg_url: str
) -> None:
    """With a PostgreSQL journal the batches run as procrastinate jobs; their events are read back."""
    env = {
        "GENESYSCLOUD_OAUTHCLIENT_ID": emu.client_id,
        "GENESYSCLOUD_OAUTHCLIENT_SECRET": emu.client_secret,
        "GENESYSCLOUD_API_REGION": emu.base_url,
        "HR_HOOK_SECRET": SECRET,
    }
    args = ["apply", "-c", "bpo/tenants.yaml", "--people", "bpo/people.csv", "--auto-approve", "--json"]
    r = CliRunner().invoke(app, [*args, "--journal", pg_url], env=env, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    done = json.loads(r.stdout)["done"]
    events = [json.loads(x) for x in (workdir / "bpo" / "audit" / "events.jsonl").read_text().splitlines()]
    assert len({e["data"]["batch_id"] for e in events}) == done
    ids = user_ids(emu)
    joiners = [e for e in events if e["type"] == "dev.tenantry.joiner"]
    assert len(joiners) == 300
    assert all(e["data"]["person"]["genesys_user_id"] == ids[e["subject"]] for e in joiners)
    members = [e for e in events if e["type"] == "dev.tenantry.membership"]
    assert members and all(e["data"]["person"]["genesys_user_id"] == ids[e["subject"]] for e in members)
    assert sorted(x.headers["webhook-id"] for x in receiver.delivered()) == sorted(e["id"] for e in events)
    assert EventStore(pg_url).failed() == []


def test_plan_writes_metrics_and_json_logs(emu: RunningEmulator, workdir: Path) -> None:
    r = cli(
        emu,
        workdir,
        "plan",
        "-c",
        "bpo/tenants.yaml",
        "--people",
        "bpo/people.csv",
        "--json",
        "--metrics-file",
        "plan.prom",
        "--log-format",
        "json",
    )
    assert r.exit_code == 0, r.output
    found = samples((workdir / "plan.prom").read_text())
    feed = people.load(EXAMPLE / "people.csv")
    for tenant, client in (("acme", "ACME"), ("globex", "GLOBEX")):
        assert total(found, "tenantry_people", tenant=tenant) == sum(
            1 for p in feed if p.active and p.attributes.get("client") == client
        )
    logs = [json.loads(x) for x in r.stderr.splitlines() if x.startswith("{")]
    assert logs and all(x["logger"].startswith("tenantry") and "level" in x for x in logs)
    assert json.loads(r.stdout)["summary"]["tenants"]["acme"]["joiners"] > 0  # stdout stays pure JSON
    bad = cli(
        emu, workdir, "plan", "-c", "bpo/tenants.yaml", "--people", "bpo/people.csv", "--log-format", "xml"
    )
    assert bad.exit_code == 2 and "json or text" in bad.output
