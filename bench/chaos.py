"""The chaos run: onboarding, then a movers-and-leavers round, against a faulty emulator while
the apply process is killed with SIGKILL at random moments and restarted each time.

The org must end identical to the org of a fault-free run of the same input: the same users,
divisions, grants, group and queue memberships, no duplicate, nothing missing.

    python -m bench.chaos [--people N] [--kills K] [--seed S]      (make chaos)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from genesys_emulator import RunningEmulator, running_emulator

from . import scale_org

FAULTS = "429:0.05,500:0.03,503:0.03,timeout:0.02,reset:0.02,hang:1s,version:0.03,408:0.02"
CONSISTENCY = "0.2s"
# the platform's habits (issue 12): stale versions answered 400, listings and search lagging a create
QUIRKS = {"staleVersion400": 0.5, "indexLag": "300ms", "indexLagShare": 0.5}
TENANTS = 4


@dataclass
class ChaosResult:
    people: int
    kills: int = 0
    runs: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    retries: int = 0
    client_calls: int = 0
    differences: list[str] = field(default_factory=list)
    duplicates: int = 0
    seconds: float = 0.0

    def table(self) -> str:
        faults = ", ".join(f"{k}: {v}" for k, v in sorted(self.faults.items())) or "none"
        return (
            "\n".join(
                [
                    f"### Chaos run: {self.people:,} people, onboarding then movers and leavers\n",
                    "| figure | value |",
                    "|---|---|",
                    f"| emulator faults | `{FAULTS}`, consistency delay {CONSISTENCY}, quirks {QUIRKS} |",
                    f"| faults injected | {sum(self.faults.values()):,} ({faults}) |",
                    f"| SIGKILLs of apply | {self.kills} |",
                    f"| apply runs (killed ones included) | {self.runs} |",
                    f"| client calls / retries (completed runs) | {self.client_calls:,} / {self.retries:,} |",
                    f"| duplicate users | {self.duplicates} |",
                    f"| differences from the fault-free org | **{len(self.differences)}** |",
                    f"| wall time | {self.seconds:.0f} s |",
                ]
            )
            + "\n"
        )


def _feeds(tmp: Path, people: int) -> tuple[Path, Path, Path]:
    (tmp / "tenants.yaml").write_text(scale_org.config_text(TENANTS))
    day1 = scale_org.people(people, TENANTS)
    day2 = scale_org.people(people, TENANTS, movers=max(1, people // 10))
    leavers = {p.email for p in day2[-max(1, people // 20) :]}
    rows = ["hr_id,email,given_name,family_name,status,client,title"]

    def write(name: str, persons, leave: set[str]) -> Path:
        lines = rows + [
            f"{p.hr_id},{p.email},{p.given_name},{p.family_name},"
            f"{'leaver' if p.email in leave else 'active'},{p.attributes['client']},Agent"
            for p in persons
        ]
        path = tmp / name
        path.write_text("\n".join(lines) + "\n")
        return path

    return tmp / "tenants.yaml", write("day1.csv", day1, set()), write("day2.csv", day2, leavers)


def _diff(a: dict, b: dict, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{path}/{k}: only in {'chaos' if k in a else 'reference'}")
            else:
                out += _diff(a[k], b[k], f"{path}/{k}")
        return out
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def _env(emu: RunningEmulator) -> dict[str, str]:
    return os.environ | {
        "GENESYSCLOUD_OAUTHCLIENT_ID": emu.client_id,
        "GENESYSCLOUD_OAUTHCLIENT_SECRET": emu.client_secret,
        "GENESYSCLOUD_API_REGION": emu.base_url,
    }


def _apply_cmd(cfg: Path, feed: Path, journal: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "tenantry.cli.main",
        "apply",
        "-c",
        str(cfg),
        "--people",
        str(feed),
        "--auto-approve",
        "--allow-mass-revoke",
        "--journal",
        journal,
        "--json",
    ]


def users_by_email(emu: RunningEmulator) -> Counter:
    """How many user objects (any state but deleted) carry each email: duplicates show as > 1."""
    h = {"Authorization": f"Bearer {emu.token()}"}
    seen: Counter = Counter()
    for state in ("active", "inactive"):
        page = 1
        while True:
            r = emu.admin.get(
                "/api/v2/users", params={"pageSize": 500, "pageNumber": page, "state": state}, headers=h
            ).json()
            seen.update(u["email"].lower() for u in r["entities"])
            if page >= r["pageCount"]:
                break
            page += 1
    return seen


def run_chaos(people: int = 300, kills: int = 5, seed: int = 7, rate: str = "150/1s") -> ChaosResult:
    rng = random.Random(seed)
    result = ChaosResult(people)
    start = time.perf_counter()
    with (
        tempfile.TemporaryDirectory() as tmp_name,
        running_emulator(seed="empty", rate_limit=rate, token_rate_limit="100000/60s", process=True) as emu,
    ):
        tmp = Path(tmp_name)
        cfg, day1, day2 = _feeds(tmp, people)
        env = _env(emu)
        for i, feed in enumerate((day1, day2)):  # the reference: no faults, no kills
            done = subprocess.run(
                _apply_cmd(cfg, feed, f"sqlite:///{tmp}/ref.db"),
                env=env,
                cwd=tmp,
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert done.returncode == 0, f"reference round {i + 1} failed: {done.stderr[-2000:]}"
        reference = emu.summary()

        emu.reset("empty")
        env = _env(emu)
        emu.admin.put("/_emulator/consistency", json={"delay": CONSISTENCY}).raise_for_status()
        emu.set_faults(FAULTS, seed)
        emu.set_quirks(**QUIRKS, seed=seed)
        journal = f"sqlite:///{tmp}/chaos.db"
        # the kills are spread over both rounds; a kill that finds the run already finished carries
        # over, and the last round is rerun (a rerun of a converged org still reads it) until all land
        longest = min(4.0, max(0.8, people / 150))
        left = kills
        for i, feed in enumerate((day1, day2)):
            quota = left - left // 2 if i == 0 else left
            while True:
                proc = subprocess.Popen(
                    _apply_cmd(cfg, feed, journal),
                    env=env,
                    cwd=tmp,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    text=True,
                )
                result.runs += 1
                if quota:
                    time.sleep(rng.uniform(0.2, longest))
                    if proc.poll() is None:
                        proc.send_signal(signal.SIGKILL)
                        proc.wait()
                        result.kills += 1
                        quota -= 1
                        left -= 1
                        continue
                out, _ = proc.communicate(timeout=900)
                if proc.returncode == 0:
                    data = json.loads(out[out.index("{") :]) if "{" in out else {}
                    result.client_calls += data.get("client", {}).get("total_calls", 0)
                    result.retries += data.get("client", {}).get("total_retries", 0)
                    if i == 1 and quota:
                        continue
                    break
                if result.runs > 60:
                    raise RuntimeError("apply kept failing under faults")
        result.faults = emu.stats()["faults"]
        emu.set_faults(None)
        result.differences = _diff(emu.summary(), reference)
        result.duplicates = sum(n - 1 for n in users_by_email(emu).values() if n > 1)
    result.seconds = time.perf_counter() - start
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=2000)
    ap.add_argument("--kills", type=int, default=5)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    r = run_chaos(a.people, a.kills, a.seed)
    print(r.table())
    for d in r.differences[:20]:
        print("  difference:", d)
    sys.exit(1 if r.differences or r.duplicates or r.kills < a.kills else 0)


if __name__ == "__main__":
    main()
