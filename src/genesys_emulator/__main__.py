"""`python -m genesys_emulator`: the process that `running_emulator(process=True)` starts."""

from __future__ import annotations

import argparse
import contextlib

from .app import MAX_BODY, Quirks
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
    ap.add_argument("--org-rate-limit", help="an org-wide ceiling over all tokens, e.g. 600/60s")
    ap.add_argument("--restricted-directory", action="store_true", help="directory search by division")
    ap.add_argument("--stale-version-400", type=float, default=0.0, help="share of 400 version answers")
    ap.add_argument("--index-lag", default="0s", help="how long new objects stay out of listings")
    ap.add_argument("--index-lag-share", type=float, default=1.0)
    ap.add_argument("--quirk-seed", type=int, default=0)
    ap.add_argument("--max-body", type=int, default=MAX_BODY)
    a = ap.parse_args()
    quirks = Quirks(a.stale_version_400, parse_duration(a.index_lag), a.index_lag_share, a.quirk_seed)
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
        a.org_rate_limit,
        quirks,
        a.restricted_directory,
        a.max_body,
    )
    with contextlib.suppress(KeyboardInterrupt):
        serve(opts, announce_json=a.announce_json)


if __name__ == "__main__":
    main()
