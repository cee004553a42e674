"""Memory: resident size of a decider holding 1,000 cached idle workflow runs.

Each cached run is what the sticky cache keeps between decision tasks, a ``WorkflowRun``: the
Rust ``Replayer`` with the run's applied history and the ``WorkflowInstance`` with its suspended
generators, here a ``SeqWorkflow`` replayed to its 4th activity (27 events) and waiting on it.
The cache's own per-run estimate (``WorkflowRun.estimated_bytes``) is reported beside it. The figure
is the growth of the process's resident set size (RSS, from ``/proc/self/statm``) from before
the runs are built to after, divided by the number of runs, after a full garbage collection
each time. Goal: under 20 KB per run.

Correct means every run answered its open task with the ScheduleActivityTask of activity 5.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import environment, print_table, write_result
from bench_warm_decision import WarmRun

GOAL_KB = 20.0
COMPLETED_ACTIVITIES = 4


def rss_bytes() -> int:
    """The current resident set size (peak RSS where /proc is missing)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return usage if sys.platform == "darwin" else usage * 1024


def measure(runs: int) -> dict[str, Any]:
    """Build ``runs`` cached runs; returns RSS before/after and per run."""
    import historygen

    history = historygen.generate(COMPLETED_ACTIVITIES)
    # Warm every code path once so imports and caches are not charged to the runs.
    WarmRun(history.pages, history.started_event_id).close()
    gc.collect()
    before = rss_bytes()
    held: list[WarmRun] = []
    correct = True
    expected = history.expected_activity_id
    for _ in range(runs):
        run = WarmRun(history.pages, history.started_event_id)
        decisions = run.initial_decisions
        correct &= (
            len(decisions) == 1
            and decisions[0]["scheduleActivityTaskDecisionAttributes"]["activityId"] == expected
        )
        # A cache keeps the run, not the answer already sent.
        run.initial_decisions = []
        held.append(run)
    gc.collect()
    after = rss_bytes()
    per_run = (after - before) / runs
    estimate = held[0].estimated_bytes() if held else 0
    for run in held:
        run.close()
    held.clear()
    return {
        "runs": runs,
        "events_per_run": history.events,
        "rss_before_mb": before / 2**20,
        "rss_after_mb": after / 2**20,
        "per_run_kb": per_run / 1024,
        "cache_estimate_kb": estimate / 1024,
        "correct": correct,
    }


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; exits 1 when a result was wrong."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="50 runs")
    parser.add_argument("--json", type=Path, help="result file (default benches/results/)")
    args = parser.parse_args(argv)
    runs = 50 if args.quick else args.runs
    row = measure(runs)
    result = {
        "benchmark": "memory",
        "environment": environment(),
        "config": {"runs": runs, "completed_activities": COMPLETED_ACTIVITIES},
        **row,
        "goal_met": row["per_run_kb"] < GOAL_KB,
    }
    print_table(
        f"Memory: a decider holding {runs} cached idle runs ({row['events_per_run']} events each)",
        ["RSS before", "RSS after", "per run", "cache's estimate", "goal", "correct"],
        [
            [
                f"{row['rss_before_mb']:.1f} MB",
                f"{row['rss_after_mb']:.1f} MB",
                f"{row['per_run_kb']:.1f} KB",
                f"{row['cache_estimate_kb']:.1f} KB",
                f"< {GOAL_KB:.0f} KB: {'met' if result['goal_met'] else 'NOT met'}",
                "yes" if row["correct"] else "NO",
            ]
        ],
    )
    write_result("memory", result, args.json)
    return 0 if row["correct"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
