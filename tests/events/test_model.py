"""Events built from batches and findings (pure): who, what, why, and never a secret."""

from __future__ import annotations

from types import SimpleNamespace

from tenantry.events.model import BatchFacts, Who, batch_events, finding_events
from tenantry.events.redact import REDACTED, scrub
from tenantry.events.webhooks import sign, verify

PEOPLE = {"ann@acme.example": Who("HR-7", "people feed p.csv line 3 (status active)")}
IDS = {"ann@acme.example": "u-ann"}


def facts(
    op: str, target: str, items: list, result: dict | None = None, tenant: str | None = "acme"
) -> BatchFacts:
    return BatchFacts("run-1", "b-1", "people", op, target, items, tenant, result or {})


def events(f: BatchFacts) -> list[dict]:
    return batch_events(f, PEOPLE, IDS.get)


def test_a_joiner_carries_its_new_genesys_user_id_and_its_hr_row() -> None:
    [e] = events(
        facts("user.create", "ann@acme.example", [{"name": "Ann", "division": "Acme"}], {"id": "u-new"})
    )
    assert (
        e["specversion"] == "1.0"
        and e["type"] == "dev.tenantry.joiner"
        and e["subject"] == "ann@acme.example"
    )
    assert e["datacontenttype"] == "application/json" and e["id"] and e["source"] and e["time"].endswith("Z")
    assert e["data"]["person"] == {"email": "ann@acme.example", "hr_id": "HR-7", "genesys_user_id": "u-new"}
    assert e["data"]["reason"] == "people feed p.csv line 3 (status active)"
    assert (
        e["data"]["tenant"] == "acme" and e["data"]["run_id"] == "run-1" and e["data"]["division"] == "Acme"
    )


def test_each_person_of_a_bulk_batch_gets_an_event() -> None:
    evs = events(facts("group.members.add", "Acme Agents", ["ann@acme.example", "bob@acme.example"]))
    assert [e["subject"] for e in evs] == ["ann@acme.example", "bob@acme.example"]
    assert {e["type"] for e in evs} == {"dev.tenantry.membership"}
    assert evs[0]["data"]["group"] == "Acme Agents" and evs[0]["data"]["action"] == "added"
    assert (
        evs[0]["data"]["person"]["genesys_user_id"] == "u-ann" and evs[1]["data"]["person"]["hr_id"] is None
    )
    movers = events(facts("user.move", "Globex Telecom", ["ann@acme.example"]))
    assert movers[0]["type"] == "dev.tenantry.mover" and movers[0]["data"]["division"] == "Globex Telecom"


def test_lifecycle_and_access_types() -> None:
    kinds = [
        ("user.update", "ann@acme.example", [{"state": "active"}], "rejoiner"),
        ("user.deactivate", "ann@acme.example", [], "leaver"),
        ("user.grants.add", "ann@acme.example", [["Reporting Viewer", "Acme"]], "grant"),
        ("user.grants.remove", "ann@acme.example", [["Agent", "Globex"]], "revoke"),
        ("queue.members.remove", "Acme Claims", ["ann@acme.example"], "membership"),
        ("sso.put", "generic", [{"issuerURI": "x", "certificate": "MII"}], "sso_changed"),
        ("division.create", "Acme", [], "object_changed"),
    ]
    for op, target, items, kind in kinds:
        [e] = events(facts(op, target, items))
        assert e["type"] == f"dev.tenantry.{kind}", op
    [g] = events(facts("user.grants.add", "ann@acme.example", [["Reporting Viewer", "Acme"]]))
    assert g["data"]["grants"] == [{"role": "Reporting Viewer", "division": "Acme"}]


def test_an_oauth_client_event_never_holds_its_secret() -> None:
    result = {"id": "c-1", "secret_file": "tenantry-secrets/acme-reporting.json", "secret": "s3cr3t-value"}
    [e] = events(
        facts(
            "client.create",
            "acme-reporting",
            [{"grants": [["Reporting Viewer", "Acme"]], "ttl": 3600}],
            result,
        )
    )
    assert e["type"] == "dev.tenantry.oauth_client_created" and e["data"]["client_id"] == "c-1"
    assert "s3cr3t-value" not in repr(e) and "secret_file" not in repr(e)


def test_scrub_redacts_by_name_and_bearer_shape() -> None:
    dirty = {
        "password": "p",
        "nested": [{"client_secret": "s", "Authorization": "Bearer abc"}],
        "note": "sent Bearer abcdefgh12345 to x",
        "secret_env": "HR_HOOK",
    }
    clean = scrub(dirty)
    assert clean["password"] == REDACTED and clean["nested"][0] == {
        "client_secret": REDACTED,
        "Authorization": REDACTED,
    }
    assert "abcdefgh12345" not in clean["note"] and clean["secret_env"] == "HR_HOOK"


def test_findings_become_leak_events() -> None:
    ref = SimpleNamespace
    f = ref(
        rule="R02",
        severity="critical",
        subject=ref(type="user", id="u1", name="ann@acme.example"),
        tenant="acme",
        division=ref(name="Globex Telecom"),
        role=ref(name="Agent"),
        path="direct",
        why="holds Agent in Globex",
        fix="revoke it",
    )
    [e] = finding_events([f], "audit-1")
    assert e["type"] == "dev.tenantry.leak_found" and e["data"]["rule"] == "R02"
    assert e["data"]["severity"] == "critical" and e["data"]["reason"].startswith("audit rule R02")


def test_standard_webhooks_signature() -> None:
    """The Standard Webhooks specification's own example."""
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = '{"test": 2432232314}'
    sig = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
    assert sig == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    headers = {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": sig,
    }
    assert verify(secret, headers, body, now=1614265330 + 10)
    assert not verify(secret, headers, body + " ", now=1614265330)
    assert not verify(secret, headers, body, now=1614265330 + 3600)  # replayed too late
