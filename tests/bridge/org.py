"""What the emulated org says about a person: their user, their tenant access now and over time."""

from __future__ import annotations

import time
from typing import Any

from genesys_emulator import RunningEmulator
from tenantry.bridge.server import RunningBridge

TENANT_DIVISIONS = ("Acme Insurance", "Globex Telecom", "Initech Bank")


def wait_idle(serve: RunningBridge, timeout: float = 60) -> None:
    """Until the bridge has nothing pending nor running (the settle window included)."""
    deadline = time.monotonic() + timeout
    time.sleep(0.05)
    while not serve.bridge.queue.idle:
        if time.monotonic() > deadline:
            raise AssertionError(f"the reconcile queue did not drain: {serve.bridge.queue.pending} pending")
        time.sleep(0.05)


def _get(emu: RunningEmulator, path: str, **params: Any) -> Any:
    r = emu.admin.get(path, params=params, headers={"Authorization": f"Bearer {emu.token()}"})
    r.raise_for_status()
    return r.json()


def divisions(emu: RunningEmulator) -> dict[str, str]:
    """division id → name."""
    return {
        d["id"]: d["name"] for d in _get(emu, "/api/v2/authorization/divisions", pageSize=500)["entities"]
    }


def user(emu: RunningEmulator, email: str) -> dict[str, Any] | None:
    for state in ("active", "inactive"):
        page = 1
        while True:
            body = _get(emu, "/api/v2/users", pageSize=500, pageNumber=page, state=state)
            for u in body["entities"]:
                if u["email"].lower() == email.lower():
                    return u
            if page >= body["pageCount"]:
                break
            page += 1
    return None


def tenant_access(emu: RunningEmulator, email: str) -> set[str]:
    """The tenant divisions the person can reach now (grants, group grants, queues), by name."""
    u = user(emu, email)
    if u is None:
        return set()
    events = emu.timeline(u["id"])
    if not events:
        return set()
    names = divisions(emu)
    return {names.get(d, d) for d in events[-1].get("access", [])} & set(TENANT_DIVISIONS)


def access_history(emu: RunningEmulator, email: str) -> list[set[str]]:
    """The person's tenant access after every change the org recorded, in order."""
    u = user(emu, email)
    if u is None:
        return []
    names = divisions(emu)
    return [
        {names.get(d, d) for d in e.get("access", [])} & set(TENANT_DIVISIONS) for e in emu.timeline(u["id"])
    ]
