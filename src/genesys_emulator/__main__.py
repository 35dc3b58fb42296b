"""`python -m genesys_emulator`: the process that `running_emulator(process=True)` starts."""

from __future__ import annotations

import argparse
import contextlib

from .faults import parse_duration
from .server import Options, serve


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m genesys_emulator")
    ap.add_argument("--seed", default="demo")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--rate-limit", default="300/60s")
    ap.add_argument("--token-rate-limit", default="120/60s")
    ap.add_argument("--faults")
    ap.add_argument("--fault-seed", type=int, default=0)
    ap.add_argument("--consistency-delay", default="0s")
    ap.add_argument("--state")
    ap.add_argument("--announce-json", action="store_true")
    a = ap.parse_args()
    opts = Options(
        a.seed,
        a.host,
        a.port,
        a.rate_limit,
        a.token_rate_limit,
        a.faults,
        a.fault_seed,
        parse_duration(a.consistency_delay),
        a.state,
    )
    with contextlib.suppress(KeyboardInterrupt):
        serve(opts, announce_json=a.announce_json)


if __name__ == "__main__":
    main()
