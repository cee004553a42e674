"""Warm decision: decider CPU per task when the workflow instance is cached (sticky execution).

At each history length (about 100, 1,000, 10,000 and 25,000 events of ``SeqWorkflow``) the run
is first replayed in full (untimed), as a cache miss would. Then ``--tasks`` consecutive decision
tasks are decided warm, each from the raw bytes of the one reverse-order page that carries only
its 6 new events (what the sticky decider reads on a hit): parse, ``Replayer.extend``, the
activation, the decision diff, the decisions. The figure is the thread CPU time per task; the
goal is under 1 ms and flat across lengths.

The worker's sticky cache (``botoflowx.worker._sticky``) is built in the same session as this
benchmark; until it lands this measures the same steps with the objects the cache keeps: a
long-lived ``Replayer`` and ``WorkflowInstance`` fed each delta with ``extend``.

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
    """A cached workflow run: the replay state and the live instance, kept across tasks."""

    def __init__(self, first_pages: list[bytes], started_event_id: int) -> None:
        """Replay the run in full from ``first_pages`` (the cache-miss path)."""
        from historygen import RUN_ID, WORKFLOW_ID
        from workloads import SeqWorkflow

        from botoflowx._replay import DecisionTaskPage, Replayer
        from botoflowx.workflow._instance import WorkflowInstance

        self._parse = DecisionTaskPage.parse
        self.replayer = Replayer()
        self.replayer.extend([self._parse(page) for page in first_pages], started_event_id)
        started = self.replayer.workflow_started
        assert started is not None
        (meta,) = SeqWorkflow.__workflow_types__.values()
        self.instance = WorkflowInstance(
            SeqWorkflow, meta, workflow_id=WORKFLOW_ID, run_id=RUN_ID, started=started
        )
        self.initial_decisions = self._drain()

    def _drain(self) -> list[dict[str, Any]]:
        decisions: list[dict[str, Any]] = []
        replayer, instance = self.replayer, self.instance
        while (activation := replayer.next_activation()) is not None:
            commands = instance.activate(activation)
            new = replayer.complete_activation([command.as_replay_tuple() for command in commands])
            decisions.extend(commands[index].decision for index in new)
        return decisions

    def decide(self, body: bytes, started_event_id: int) -> list[dict[str, Any]]:
        """One warm decision task: raw delta bytes in, new decisions out."""
        self.replayer.extend([self._parse(body)], started_event_id)
        return self._drain()

    def close(self) -> None:
        """Discard the instance's coroutines."""
        self.instance.close()


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


def sticky_api_available() -> bool:
    """Whether the worker's sticky cache module has landed."""
    try:
        import botoflowx.worker._sticky  # noqa: F401
    except ImportError:
        return False
    return True


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
        "implementation": "Replayer+WorkflowInstance kept across tasks (sticky cache equivalent)",
        "sticky_module_present": sticky_api_available(),
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
