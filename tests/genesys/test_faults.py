"""Done-when: a mixed workload under faults ends in the same org as a fault-free run, with no
failed operation, no duplicate, and no secret in any log line.

The default size keeps the suite fast; TENANTRY_WORKLOAD_CALLS=5000 runs the full size.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from typing import Any

import pytest

from tenantry.genesys import RetryPolicy, api

from .conftest import emu_client
from .workload import run_workload

FAULTS = "429:0.1,500:0.05,503:0.05,timeout:0.02,reset:0.02"
CALLS = int(os.environ.get("TENANTRY_WORKLOAD_CALLS", "600"))


def _client(emu: Any) -> Any:
    # The emulator hangs 5 s on a timeout fault; the client gives up after 1 s and retries.
    policy = RetryPolicy(max_attempts=15, max_elapsed=120.0, base_delay=0.05, max_delay=2.0)
    return emu_client(emu, timeout=1.0, retry=policy, max_concurrency=24)


async def _run(emu: Any, faults: str | None) -> tuple[dict, Any, dict, Counter[str]]:
    emu.set_faults(None)
    emu.reset("empty")
    emu.admin.delete("/_emulator/stats")
    emu.set_faults(faults, seed=20261125)
    async with _client(emu) as client:
        outcome = await run_workload(client, CALLS)
        metrics = client.metrics.snapshot()
    stats = emu.stats()
    emu.set_faults(None)
    async with emu_client(emu) as reader:  # duplicates that a name-keyed summary would hide
        names = Counter(c.name for c in await api.oauth_clients.list_oauth_clients(reader))
        names.update(g.name for g in await api.groups.list_groups(reader))
        names.update(d.name for d in await api.divisions.list_divisions(reader))
        names.update(q.name for q in await api.queues.list_queues(reader))
        for state in ("active", "inactive"):
            names.update(u.email for u in (await api.users.list_users(reader, state=state)).users)
    return emu.summary(), outcome, {"client": metrics, "server": stats}, names


async def test_faulty_run_matches_fault_free_run_without_duplicates_or_leaked_secrets(
    demo: Any, caplog: pytest.LogCaptureFixture
) -> None:
    clean, clean_outcome, _, clean_names = await _run(demo, None)

    caplog.set_level(logging.DEBUG)  # every logger, every level: httpx, httpcore, ours
    faulty, outcome, numbers, names = await _run(demo, FAULTS)

    assert outcome.total >= CALLS
    assert outcome.operations == clean_outcome.operations
    injected = numbers["server"]["faults"]
    assert all(injected.get(kind, 0) > 0 for kind in ("429", "500", "503", "timeout", "reset")), injected
    assert numbers["client"]["total_retries"] >= sum(injected.values()) * 0.9

    assert faulty == clean
    assert [n for n, c in names.items() if c > 1] == []
    assert names == clean_names

    text = caplog.text + "".join(str(r.exc_info) for r in caplog.records if r.exc_info)
    assert "genesys method=POST path=/api/v2/users status=" in text  # the log was really captured
    tokens = list(demo.emulator.org.tokens)
    assert tokens and outcome.secrets
    for secret in [demo.client_secret, *outcome.secrets, *tokens]:
        assert secret not in text
    assert "password" not in text.lower()
    assert "Bearer " not in text and "Basic " not in text
