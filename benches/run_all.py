"""Run every benchmark (what ``make bench`` runs) and write ``benches/results/*.json``.

Each benchmark runs in its own Python process, so one's heap and imports do not weigh on
the next. ``--quick`` runs each at a tiny size (the CI smoke run); ``--only NAME`` picks some.
Exits 1 when any benchmark failed or produced a wrong result.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"

# name -> script; in the order they run.
BENCHMARKS = {
    "cold_decision": "bench_cold_decision.py",
    "warm_decision": "bench_warm_decision.py",
    "lifetime": "bench_lifetime.py",
    "throughput": "bench_throughput.py",
    "memory": "bench_memory.py",
    "server_cpu": "bench_server_cpu.py",
    "server": "bench_server.py",
    "loopback": "bench_loopback.py",
}


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (CI smoke run)")
    parser.add_argument("--only", action="append", choices=sorted(BENCHMARKS), help="repeatable")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR, help="JSON output directory")
    args = parser.parse_args(argv)
    args.results.mkdir(parents=True, exist_ok=True)
    failed: list[str] = []
    for name in args.only or list(BENCHMARKS):
        command = [sys.executable, str(BENCH_DIR / BENCHMARKS[name])]
        command += ["--json", str(args.results / f"{name}.json")]
        if args.quick:
            command.append("--quick")
        print(f"\n=== {name}: {' '.join(command[1:])}", flush=True)
        begin = time.perf_counter()
        status = subprocess.call(command)
        print(f"=== {name}: exit {status} after {time.perf_counter() - begin:.1f} s", flush=True)
        if status:
            failed.append(name)
    print(f"\n{len(failed)} failed: {', '.join(failed)}" if failed else "\nall benchmarks correct")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
