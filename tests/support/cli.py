"""The real `tenantry` in its own process against the emulator: what kill -9, locks and races need,
and the emulator's credentials and write count that every such test asks for."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from genesys_emulator import RunningEmulator

EXAMPLE = Path(__file__).parents[2] / "examples" / "bpo"
TENANTS, DAY1, DAY2 = EXAMPLE / "tenants.yaml", EXAMPLE / "people.csv", EXAMPLE / "people-day2.csv"


def env_for(emu: RunningEmulator, client: tuple[str, str] | None = None) -> dict[str, str]:
    """Credentials of the emulator's admin client (or of `client`) in the environment tenantry reads."""
    cid, secret = client or (emu.client_id, emu.client_secret)
    return {
        "GENESYSCLOUD_OAUTHCLIENT_ID": cid,
        "GENESYSCLOUD_OAUTHCLIENT_SECRET": secret,
        "GENESYSCLOUD_API_REGION": emu.base_url,
    }


def writes(stats: dict) -> int:
    """API write calls (the token endpoint aside) in an emulator stats answer."""
    return sum(
        n
        for key, by in stats["calls"].items()
        for n in by.values()
        if not key.startswith("GET") and "/oauth/token" not in key and "/_emulator" not in key
    )


def tenantry_cmd(*args: str) -> list[str]:
    """The command line of the installed entry point, as a separate process runs it."""
    return [sys.executable, "-m", "tenantry.cli.main", *args]


def apply_args(journal: str, *extra: str, feed: Path = DAY1, config: Path = TENANTS) -> list[str]:
    """`apply` of the example without a prompt, its result as one JSON document."""
    return [
        "apply",
        "-c",
        str(config),
        "--people",
        str(feed),
        "--auto-approve",
        "--journal",
        journal,
        "--json",
        *extra,
    ]


def spawn(
    emu: RunningEmulator, cwd: Path, *args: str, client: tuple[str, str] | None = None
) -> subprocess.Popen:
    """`tenantry …` as a separate process (what kill -9 and races need), output piped."""
    return subprocess.Popen(
        tenantry_cmd(*args),
        env=os.environ | env_for(emu, client),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until(cond: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)
