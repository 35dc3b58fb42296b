"""Webhook deliveries from the journal to a real receiving server: signed, retried, kept, replayed."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tenantry.cli.main import app
from tenantry.events.model import cloud_event
from tenantry.events.store import EventStore
from tenantry.events.webhooks import Backoff, Dispatcher, Subscriber

from .conftest import SECRET, Receiver


def joiners(n: int) -> list[dict]:
    return [
        cloud_event(
            "joiner", f"p{i}@acme.example", {"tenant": "acme", "person": {"genesys_user_id": f"u{i}"}}
        )
        for i in range(n)
    ]


def dispatcher(store: EventStore, receiver: Receiver, **kw) -> Dispatcher:
    backoff = kw.pop("backoff", Backoff(max_attempts=4, base=0.05, cap=0.2))
    sub = Subscriber(receiver.url, frozenset(kw.pop("types", ["*"])), SECRET)
    return Dispatcher(store, [sub], backoff=backoff, timeout=2.0, **kw)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'journal.db'}"
    return str(request.getfixturevalue("pg_url"))


def test_signed_deliveries_arrive_once_each(receiver: Receiver, store_url: str) -> None:
    store = EventStore(store_url)
    d = dispatcher(store, receiver)
    evs = joiners(12)
    assert store.add(evs, d.urls_for) == 12
    asyncio.run(d.drain(10))
    got = receiver.delivered()
    assert len(got) == 12 and all(r.signature_ok for r in got)
    assert {r.headers["webhook-id"] for r in got} == {e["id"] for e in evs}
    assert got[0].headers["content-type"].startswith("application/cloudevents+json")
    bodies = [json.loads(r.body) for r in got]
    assert {b["data"]["person"]["genesys_user_id"] for b in bodies} == {f"u{i}" for i in range(12)}
    assert len(store.delivered()) == 12 and not store.pending() and not store.failed()


def test_a_500_is_retried_with_backoff(receiver: Receiver, store_url: str) -> None:
    store = EventStore(store_url)
    d = dispatcher(store, receiver)
    receiver.fail_next = 2
    [ev] = joiners(1)
    store.add([ev], d.urls_for)
    asyncio.run(d.drain(10))
    statuses = [r.status for r in receiver.received]
    assert statuses == [500, 500, 204]
    assert all(r.headers["webhook-id"] == ev["id"] for r in receiver.received)  # one message, three attempts
    [done] = store.delivered()
    assert done.attempts == 3 and done.last_status == "204"


def test_a_subscriber_gets_only_the_types_it_asked_for(receiver: Receiver, tmp_path: Path) -> None:
    store = EventStore(f"sqlite:///{tmp_path / 'j.db'}")
    d = dispatcher(store, receiver, types=["leaver"])
    store.add([*joiners(3), cloud_event("leaver", "x@acme.example", {"tenant": "acme"})], d.urls_for)
    asyncio.run(d.drain(5))
    assert [json.loads(r.body)["type"] for r in receiver.received] == ["dev.tenantry.leaver"]
    assert len(store.all_events()) == 4  # every event is kept, delivered or not


def test_downtime_then_events_failed_then_replay(receiver: Receiver, store_url: str, tmp_path: Path) -> None:
    """The receiver is down: attempts run out, `tenantry events failed` lists them; it comes back:
    `tenantry events replay` delivers every one, signed, and nothing is left."""
    port = receiver.port
    receiver.stop()
    store = EventStore(store_url)
    d = dispatcher(store, receiver, backoff=Backoff(max_attempts=3, base=0.02, cap=0.05))
    evs = joiners(5)
    store.add(evs, d.urls_for)
    asyncio.run(d.drain(10))
    assert len(store.failed()) == 5 and all(f.attempts == 3 for f in store.failed())

    config = tmp_path / "tenants.yaml"
    config.write_text(
        "org:\n  journal: " + store_url + "\n"
        "events:\n  webhooks:\n    - url: " + receiver.url + "\n      secret_env: HR_HOOK_SECRET\n"
        "tenants:\n  acme:\n    division: Acme\n    members: [{client: ACME}]\n"
        "    groups: {Agents: {roles: [Agent]}}\n"
    )
    runner = CliRunner()
    env = {"HR_HOOK_SECRET": SECRET}
    listed = runner.invoke(app, ["events", "failed", "-c", str(config), "--json"], env=env)
    assert listed.exit_code == 1
    rows = json.loads(listed.stdout)
    assert {r["event_id"] for r in rows} == {e["id"] for e in evs} and rows[0]["url"] == receiver.url
    assert SECRET not in listed.stdout

    missing = runner.invoke(app, ["events", "replay", "-c", str(config)], env={})
    assert missing.exit_code == 2 and "HR_HOOK_SECRET" in missing.output and "tenants.yaml:" in missing.output

    receiver.port = port
    receiver.start()
    replayed = runner.invoke(app, ["events", "replay", "-c", str(config), "--json", "--wait", "10"], env=env)
    assert replayed.exit_code == 0, replayed.output
    assert json.loads(replayed.stdout) == {"requeued": 5, "attempted": 5, "pending": 0, "failed": 0}
    got = receiver.delivered()
    assert {r.headers["webhook-id"] for r in got} == {e["id"] for e in evs} and all(
        r.signature_ok for r in got
    )
    assert runner.invoke(app, ["events", "failed", "-c", str(config)], env=env).exit_code == 0


def test_a_wrong_secret_is_refused_by_the_receiver(receiver: Receiver, tmp_path: Path) -> None:
    store = EventStore(f"sqlite:///{tmp_path / 'j.db'}")
    sub = Subscriber(receiver.url, frozenset(["*"]), "whsec_" + "d3Jvbmc=")
    d = Dispatcher(store, [sub], backoff=Backoff(max_attempts=2, base=0.01, cap=0.02))
    store.add(joiners(1), d.urls_for)
    asyncio.run(d.drain(5))
    assert [r.status for r in receiver.received] == [401, 401] and len(store.failed()) == 1
