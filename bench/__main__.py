"""`python -m bench [name ...]`: run the benchmarks and print their markdown tables."""

from __future__ import annotations

import importlib
import platform
import sys
import time

BENCHES = ("bench_emulator", "bench_client", "bench_plan", "bench_audit", "bench_onboarding", "bridge_cycle")


def main(argv: list[str]) -> int:
    names = argv or list(BENCHES)
    print(
        f"# tenantry benchmarks — {time.strftime('%Y-%m-%d %H:%M')} — "
        f"{platform.processor() or platform.machine()}, Python {platform.python_version()}\n"
    )
    for name in names:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ImportError as exc:
            print(f"({name}: not available: {exc})\n")
            continue
        start = time.perf_counter()
        print(module.run())
        print(f"_{name}: {time.perf_counter() - start:.1f} s_\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
