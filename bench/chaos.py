"""`make chaos`: the chaos run at full size on both journals (or `--quick`, the size the mutation
check runs). The harness itself is tests/support/chaos.py, shared with tests/test_chaos.py.

    python -m bench.chaos [--people N] [--journal sqlite|postgresql|both] [--seed S] [--kills SPEC]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from support.chaos import run_chaos  # tests/ is put on the path just above

QUICK = "writes:10,phase:people;phase:revoke,phase:grant;phase:people"
QUICK_PG = "writes:10,phase:people@worker;phase:revoke,phase:grant@worker;phase:people"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=600)
    ap.add_argument("--tenants", type=int, default=4)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--journal", choices=("sqlite", "postgresql", "both"), default="both")
    ap.add_argument("--kills", default=None, help="per day, ';'-separated: writes:N,phase:P[@worker],…")
    ap.add_argument("--quick", action="store_true", help="the CI size: 60 people, few kills")
    a = ap.parse_args()
    kinds = ("sqlite", "postgresql") if a.journal == "both" else (a.journal,)
    ok = True
    for kind in kinds:
        if a.quick:
            quick = QUICK_PG if kind == "postgresql" else QUICK
            r = run_chaos(60, 3, a.seed, kind, a.kills or quick, rate="200/1s", run_timeout=75)
        else:
            r = run_chaos(a.people, a.tenants, a.seed, kind, a.kills)
        print(r.table())
        for p in r.problems[:30]:
            print("  problem:", p)
        ok = ok and r.ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
