"""The chaos run must be able to fail: plant known bugs, one at a time, in a scratch copy of the
code, run the CI-sized chaos against each, and show it failing (and passing on the clean copy).

    python -m bench.mutants [--only NAME] [--seed S]        (make mutants)

Each mutant is a textual change of one place; the script refuses to run one whose original text
is gone (the code moved: update the mutant), so the table never silently tests nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).parents[1]


@dataclass(frozen=True)
class Mutant:
    name: str
    what: str
    path: str
    old: str
    new: str
    journal: str = "sqlite"
    every: bool = False  # replace every occurrence (else exactly one must exist)


MUTANTS = (
    Mutant(
        "blind-create-retry",
        "after a create's answer is lost, create again without looking the object up by its natural key",
        "src/tenantry/genesys/http.py",
        "            found = await self.look_patiently(lookup)\n",
        "            found = None  # MUTANT: blind create retry\n",
    ),
    Mutant(
        "missing-leaver-record",
        "deactivate a leaver without recording it in the journal",
        "src/tenantry/execution/handlers/user.py",
        "    ctx.journal.mark_leaver(b.target, since=time.time(), restart=active)  # before: crash-safe clock\n",
        "    pass  # MUTANT: no leaver record\n",
    ),
    Mutant(
        "leaver-recorded-after",
        "record the leaver only after deactivating it (a kill in between loses its clock)",
        "src/tenantry/execution/handlers/user.py",
        "    ctx.journal.mark_leaver(b.target, since=time.time(), restart=active)  # before: crash-safe clock\n"
        "    if uid is not None and active:\n"
        '        await users.set_user_state(ctx.client, uid, "inactive")\n',
        "    if uid is not None and active:\n"
        '        await users.set_user_state(ctx.client, uid, "inactive")\n'
        "    await asyncio.sleep(0.5)  # MUTANT: the record comes after (the sleep widens the window)\n"
        "    ctx.journal.mark_leaver(b.target, since=time.time(), restart=active)\n",
    ),
    Mutant(
        "revoke-after-grant",
        "run the revoke phase after the grant phase",
        "src/tenantry/planning/batching.py",
        '    "revoke",  # memberships and grants removed, leavers deactivated\n'
        '    "people",  # joiners created, movers moved, re-joiners reactivated, profiles updated\n'
        '    "grant",  # memberships and grants added\n',
        '    "people",  # joiners created, movers moved, re-joiners reactivated, profiles updated\n'
        '    "grant",  # memberships and grants added\n'
        '    "revoke",  # MUTANT: revoke moved after grant\n',
    ),
    Mutant(
        "no-stalled-job-recovery",
        "never retry the jobs of a killed PostgreSQL worker",
        "src/tenantry/execution/distributed.py",
        "await recover(app, run_id)",
        "None  # MUTANT: no stalled-job recovery",
        journal="postgresql",
        every=True,
    ),
)


def scratch_copy(into: Path) -> None:
    for part in ("src", "bench", "examples", "tests/support"):
        shutil.copytree(ROOT / part, into / part, ignore=shutil.ignore_patterns("__pycache__", "*.db*"))


def plant(root: Path, m: Mutant) -> None:
    path = root / m.path
    text = path.read_text()
    if text.count(m.old) < 1 or (text.count(m.old) > 1 and not m.every):
        raise SystemExit(f"mutant {m.name}: its original text is not (once) in {m.path}; update the mutant")
    text = text.replace(m.old, m.new)
    if "asyncio.sleep" in m.new and "import asyncio" not in text:
        text = text.replace("import time\n", "import asyncio\nimport time\n", 1)
    path.write_text(text)


def run(root: Path, journal: str, seed: int) -> tuple[int, list[str], float]:
    env = os.environ | {"PYTHONPATH": f"{root / 'src'}{os.pathsep}{root}"}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bench.chaos", "--quick", "--journal", journal, "--seed", str(seed)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    found = [ln.strip().removeprefix("problem: ") for ln in done.stdout.splitlines() if "problem:" in ln]
    if done.returncode != 0 and not found:  # a traceback, not a failed check: it proves nothing
        found.append(
            f"crashed: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}"
        )
    return done.returncode, found, time.perf_counter() - start


def kinds(problems: list[str]) -> str:
    """The checks that failed, e.g. 'duplicate ×2, journal ×5'."""
    counts: dict[str, int] = {}
    for p in problems:
        k = re.split(r"[:(]", p, maxsplit=1)[0].strip()
        counts[k] = counts.get(k, 0) + 1
    return ", ".join(f"{k} ×{n}" for k, n in counts.items()) or "none"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", action="append", help="mutant name (repeatable); 'clean' for the clean copy")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    chosen = [m for m in MUTANTS if not a.only or m.name in a.only]
    rows = [
        "| mutant | planted bug | journal | chaos exit | failed checks | first problem | s |",
        "|---|---|---|---|---|---|---|",
    ]
    caught_all = True
    runs: list[tuple[str, str, str, Mutant | None]] = []
    if not a.only or "clean" in a.only:
        runs += [("clean", "none", j, None) for j in ("sqlite", "postgresql")]
    runs += [(m.name, m.what, m.journal, m) for m in chosen]
    for name, what, journal, m in runs:
        with tempfile.TemporaryDirectory(prefix=f"mutant-{name}-") as tmp:
            root = Path(tmp)
            scratch_copy(root)
            if m is not None:
                plant(root, m)
            code, problems, seconds = run(root, journal, a.seed)
        crashed = any(p.startswith("crashed") for p in problems)
        expected = (code == 0) if m is None else (code != 0 and not crashed)
        caught_all = caught_all and expected
        first = (problems[0][:90] if problems else "").replace("|", "/")
        rows.append(
            f"| {name} | {what} | {journal} | {code} {'✓' if expected else '✗'} | {kinds(problems)} | {first} | {seconds:.0f} |"
        )
        print(rows[-1], flush=True)
    print("\n".join(rows))
    sys.exit(0 if caught_all else 1)


if __name__ == "__main__":
    main()
