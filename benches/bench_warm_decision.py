"""Warm decision: decider CPU per task when the workflow instance is cached (sticky execution).

At each history length (about 100, 1,000, 10,000 and 25,000 events of ``SeqWorkflow``) the run
is first replayed in full (untimed), as a cache miss would. Then ``--tasks`` consecutive decision
tasks are decided warm, each from the raw bytes of the one reverse-order page that carries only
its 6 new events (what the sticky decider reads on a hit): parse, ``Replayer.extend``, the
activation, the decision diff, the decisions. The figure is the thread CPU time per task; the
goal is under 1 ms and flat across lengths.

The object measured is what the worker's sticky cache keeps per run,
``botoflowx.worker._decider.WorkflowRun`` (its ``Replayer`` and ``WorkflowInstance``), fed each
delta through ``WorkflowRun.decide``; the page fetch over HTTP is not included (see
``bench_lifetime.py`` for the whole decider).

Correct means every warm task answered exactly one ScheduleActivityTask for the next activity.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import environment, percentile, print_table, write_result

GOAL_MS = 1.0


class WarmRun:
    """A cached workflow run, as the sticky cache keeps it: a ``WorkflowRun`` kept across tasks."""

    def __init__(self, first_pages: list[bytes], started_event_id: int) -> None:
        """Replay the run in full from ``first_pages`` (the cache-miss path)."""
        from historygen import RUN_ID, WORKFLOW_ID
        from workloads import SeqWorkflow

        from botoflowx._replay import DecisionTaskPage
        from botoflowx.worker._decider import WorkflowRun

        self._parse = DecisionTaskPage.parse
        definitions = {
            key: (SeqWorkflow, meta) for key, meta in SeqWorkflow.__workflow_types__.items()
        }
        self.run = WorkflowRun(definitions, workflow_id=WORKFLOW_ID, run_id=RUN_ID)
        pages = [self._parse(page) for page in first_pages]
        self.initial_decisions = self.run.decide(pages, started_event_id).decisions

    def decide(self, body: bytes, started_event_id: int) -> list[dict[str, Any]]:
        """One warm decision task: raw delta bytes in, new decisions out."""
        return self.run.decide([self._parse(body)], started_event_id).decisions

    def estimated_bytes(self) -> int:
        """The sticky cache's own estimate of the run's memory."""
        return self.run.estimated_bytes()

    def close(self) -> None:
        """Discard the run's coroutines."""
        self.run.close()


def measure(k: int, tasks: int) -> dict[str, Any]:
    """Decide ``tasks`` warm tasks after a full replay at ``k`` activities."""
    import historygen

    first, deltas = historygen.warm_tasks(k, tasks)
    run = WarmRun(first.pages, first.started_event_id)
    cpu: list[float] = []
    wall: list[float] = []
    correct = True
    try:
        for offset, (started, body) in enumerate(deltas):
            cpu_start = time.thread_time()
            wall_start = time.perf_counter()
            decisions = run.decide(body, started)
            wall.append((time.perf_counter() - wall_start) * 1e3)
            cpu.append((time.thread_time() - cpu_start) * 1e3)
            expected = str(k + offset + 2)
            correct &= (
                len(decisions) == 1
                and decisions[0]["scheduleActivityTaskDecisionAttributes"]["activityId"] == expected
            )
    finally:
        run.close()
    return {
        "activities": k,
        "events": first.events,
        "tasks": tasks,
        "new_events_per_task": 6,
        "cpu_ms_median": statistics.median(cpu),
        "cpu_ms_mean": statistics.fmean(cpu),
        "cpu_ms_p99": percentile(cpu, 99),
        "wall_ms_median": statistics.median(wall),
        "wall_ms_p99": percentile(wall, 99),
        "correct": correct,
    }


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; exits 1 when a result was wrong."""
    import historygen

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="~100 and ~1000 events, 5 tasks")
    parser.add_argument("--tasks", type=int, default=200, help="warm tasks per length")
    parser.add_argument("--json", type=Path, help="result file (default benches/results/)")
    args = parser.parse_args(argv)
    if args.quick:
        sizes = {"~100": historygen.SIZES["~100"], "~1000": historygen.SIZES["~1000"]}
        tasks = 5
    else:
        sizes, tasks = dict(historygen.SIZES), args.tasks
    rows = []
    for label, k in sizes.items():
        gc.collect()
        row = measure(k, tasks)
        row["size"] = label
        rows.append(row)
    medians = [row["cpu_ms_median"] for row in rows]
    result = {
        "benchmark": "warm_decision",
        "environment": environment(),
        "config": {"tasks": tasks, "sizes": sizes},
        "implementation": "botoflowx.worker._decider.WorkflowRun kept across tasks",
        "rows": rows,
        "goals": {
            "under_1ms": max(medians) < GOAL_MS,
            # Flat: the largest history costs at most twice the smallest per task.
            "flat": max(medians) <= 2 * min(medians),
        },
        "correct": all(row["correct"] for row in rows),
    }
    print_table(
        f"Warm decision: thread CPU per task, {tasks} consecutive tasks of 6 new events each",
        ["history (events)", "CPU median", "CPU mean", "CPU p99", "wall median", "correct"],
        [
            [
                f"{row['size']} ({row['events']:,})",
                f"{row['cpu_ms_median']:.3f} ms",
                f"{row['cpu_ms_mean']:.3f} ms",
                f"{row['cpu_ms_p99']:.3f} ms",
                f"{row['wall_ms_median']:.3f} ms",
                "yes" if row["correct"] else "NO",
            ]
            for row in rows
        ],
    )
    print(f"\ngoals: {result['goals']}; correct: {result['correct']}")
    write_result("warm_decision", result, args.json)
    return 0 if result["correct"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
