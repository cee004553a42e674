"""Shared helpers of the benchmarks: timing, percentiles, environment facts, tables, JSON."""

from __future__ import annotations

import gc
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"

# BOTOFLOWX_BENCH_SOURCE points a benchmark process at another source tree (for example
# a checkout of an older commit), so two server builds can be compared side by side.
SOURCE_DIR = Path(os.environ.get("BOTOFLOWX_BENCH_SOURCE") or REPO_ROOT / "python")
if str(SOURCE_DIR) not in sys.path:
    sys.path.insert(0, str(SOURCE_DIR))

__all__ = [
    "BENCH_DIR",
    "REPO_ROOT",
    "RESULTS_DIR",
    "SOURCE_DIR",
    "environment",
    "percentile",
    "print_table",
    "round_robin",
    "write_result",
]


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of ``values`` (which need not be sorted); NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100.0 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def environment() -> dict[str, Any]:
    """Facts about the machine and interpreter a figure was measured on."""
    try:
        load: list[float] | None = [round(x, 2) for x in os.getloadavg()]
    except OSError:  # not on every platform
        load = None
    return {
        "python": sys.version.split()[0],
        "executable": sys.executable,
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": load,
        "time_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def round_robin(
    methods: Sequence[tuple[str, Callable[[], object]]],
    *,
    repeat: int,
    min_seconds: float,
) -> dict[str, dict[str, float]]:
    """Time each method ``repeat`` times, round-robin so drift hits every method alike.

    Each sample calls its method in a loop until ``min_seconds`` have passed (at
    least once) and records the mean wall and CPU time per call. The garbage
    collector stays on, as in production; a collection runs before each sample
    so one method's garbage is not charged to the next.

    Returns:
        Per method: median wall ms, median CPU ms and the interquartile range of wall ms.
    """
    wall: dict[str, list[float]] = {name: [] for name, _ in methods}
    cpu: dict[str, list[float]] = {name: [] for name, _ in methods}
    for _ in range(repeat):
        for name, method in methods:
            gc.collect()
            calls = 0
            cpu_start = time.process_time()
            start = time.perf_counter()
            while True:
                method()
                calls += 1
                elapsed = time.perf_counter() - start
                if elapsed >= min_seconds:
                    break
            cpu_elapsed = time.process_time() - cpu_start
            wall[name].append(elapsed / calls * 1e3)
            cpu[name].append(cpu_elapsed / calls * 1e3)
    result: dict[str, dict[str, float]] = {}
    for name, _ in methods:
        samples = wall[name]
        quartiles = statistics.quantiles(samples, n=4) if len(samples) >= 2 else samples * 3
        result[name] = {
            "wall_ms": statistics.median(samples),
            "cpu_ms": statistics.median(cpu[name]),
            "wall_ms_q1": quartiles[0],
            "wall_ms_q3": quartiles[-1],
            "samples": len(samples),
        }
    return result


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print a Markdown table (so a run's output can be pasted into a report as is)."""
    print(f"\n{title}\n")
    cells = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(str(h)), *(len(row[i]) for row in cells)) for i, h in enumerate(header)]
    print("| " + " | ".join(str(h).ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 1) + ":" for w in widths) + "|")
    for row in cells:
        print("| " + " | ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) + " |")


def write_result(name: str, result: dict[str, Any], path: Path | None) -> Path:
    """Write ``result`` as JSON to ``path`` (default ``benches/results/<name>.json``)."""
    target = path if path is not None else RESULTS_DIR / f"{name}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(result, indent=2, sort_keys=True, default=str) + "\n")
    print(f"\nresult written to {target}")
    return target
