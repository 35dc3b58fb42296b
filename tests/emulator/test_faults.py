"""Injected faults: reproducible from a seed; resets and hangs as the client sees them; a fault on a
write may strike after the write took effect."""

from __future__ import annotations

import contextlib

import httpx
import pytest

from genesys_emulator import RunningEmulator

SPEC = "429:0.1,500:0.1,503:0.1,reset:0.1"


def _outcomes(emu: RunningEmulator, token: str, n: int) -> list[str]:
    """The same sequential request sequence every time; each answer as a status, or "dropped" for a
    connection the server cut (the client sees a protocol or read error, as timing has it)."""
    out: list[str] = []
    with httpx.Client(base_url=emu.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=5) as c:
        for i in range(n):
            try:
                if i % 3 == 2:
                    r = c.post("/api/v2/analytics/conversations/details/query", json={"interval": "x/y"})
                else:
                    r = c.get("/api/v2/authorization/divisions/home")
                out.append(str(r.status_code))
            except httpx.TimeoutException:
                out.append("timeout")
            except httpx.TransportError:
                out.append("dropped")
    return out


def test_same_spec_and_seed_give_the_same_fault_sequence(emu: RunningEmulator) -> None:
    token = emu.token()
    emu.set_faults(SPEC, seed=42)
    first = _outcomes(emu, token, 60)
    emu.set_faults(SPEC, seed=42)
    second = _outcomes(emu, token, 60)
    emu.set_faults(SPEC, seed=7)
    other = _outcomes(emu, token, 60)
    assert first == second
    assert first != other
    kinds = set(first)
    # every kind of the spec struck at least once, and most requests went through
    assert {"429", "500", "503"} <= kinds
    assert "dropped" in kinds
    assert first.count("200") + first.count("400") > 20
    stats = emu.stats()
    assert sum(stats["faults"].values()) == sum(1 for x in other if x not in ("200", "400"))


def test_reset_is_a_connection_error_at_the_client(emu: RunningEmulator) -> None:
    emu.set_faults("reset:1", seed=1)
    with (
        httpx.Client(base_url=emu.base_url, headers={"Authorization": f"Bearer {emu.token()}"}) as c,
        pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)),
    ):
        c.get("/api/v2/authorization/divisions/home")
    emu.set_faults(None)
    assert emu.stats()["faults"] == {}  # cleared with the spec
    with httpx.Client(base_url=emu.base_url, headers={"Authorization": f"Bearer {emu.token()}"}) as c:
        assert c.get("/api/v2/authorization/divisions/home").status_code == 200


def test_timeout_hangs_past_the_client_timeout(emu: RunningEmulator) -> None:
    emu.set_faults("timeout:1,hang:1s", seed=1)
    with (
        httpx.Client(
            base_url=emu.base_url, headers={"Authorization": f"Bearer {emu.token()}"}, timeout=0.3
        ) as c,
        pytest.raises(httpx.ReadTimeout),
    ):
        c.get("/api/v2/authorization/divisions/home")


def test_error_faults_answer_the_platform_error_body(emu: RunningEmulator, error_body) -> None:
    emu.set_faults("503:1", seed=3)
    with httpx.Client(base_url=emu.base_url, headers={"Authorization": f"Bearer {emu.token()}"}) as c:
        r = c.get("/api/v2/authorization/divisions/home")
    error_body(r, 503)
    emu.set_faults("429:1", seed=3)
    with httpx.Client(base_url=emu.base_url, headers={"Authorization": f"Bearer {emu.token()}"}) as c:
        r = c.get("/api/v2/authorization/divisions/home")
    error_body(r, 429)
    assert r.headers["Retry-After"] == "1"


def test_fault_on_a_write_may_strike_after_the_write_took_effect(
    emu: RunningEmulator, api: httpx.Client, name
) -> None:
    """With every write faulted, some divisions exist although their create failed, others do not."""
    emu.set_faults("500:0.5,reset:0.5", seed=5)
    token = emu.token()
    failed: list[tuple[str, str]] = []
    with httpx.Client(base_url=emu.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=5) as c:
        for _ in range(12):
            div = name("Faulted")
            try:
                r = c.post("/api/v2/authorization/divisions", json={"name": div})
                failed.append((div, str(r.status_code)))
            except httpx.TransportError as exc:
                failed.append((div, type(exc).__name__))
    emu.set_faults(None)
    assert all(outcome != "200" for _div, outcome in failed)
    exists = {
        div: bool(api.get("/api/v2/authorization/divisions", params={"name": div}).json()["entities"])
        for div, _outcome in failed
    }
    took_effect = [(d, o) for d, o in failed if exists[d]]
    lost = [(d, o) for d, o in failed if not exists[d]]
    assert took_effect and lost, failed
    # both kinds of fault can strike after the effect: a 500 and a dropped connection
    assert {o for _d, o in took_effect} >= {"500"}
    assert any(o != "500" for _d, o in took_effect)
    # and the same seed gives the same split
    emu.reset("demo")
    emu.set_faults("500:0.5,reset:0.5", seed=5)
    token = emu.token()
    again = []
    with httpx.Client(base_url=emu.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=5) as c:
        for div, _o in failed:
            with contextlib.suppress(httpx.TransportError):
                c.post("/api/v2/authorization/divisions", json={"name": div})
    emu.set_faults(None)
    with httpx.Client(base_url=emu.base_url, headers={"Authorization": f"Bearer {emu.token()}"}) as c:
        for div, _o in failed:
            again.append(
                bool(c.get("/api/v2/authorization/divisions", params={"name": div}).json()["entities"])
            )
    assert again == [exists[d] for d, _o in failed]


def test_gets_never_strike_after_effect_and_latency_slows_every_answer(emu: RunningEmulator) -> None:
    emu.set_faults("latency:150ms", seed=1)
    with httpx.Client(base_url=emu.base_url, headers={"Authorization": f"Bearer {emu.token()}"}) as c:
        r = c.get("/api/v2/authorization/divisions/home")
    assert r.status_code == 200
    assert r.elapsed.total_seconds() >= 0.14
