"""Lifetime: one workflow of N sequential activities end to end, sticky cache on and off.

The embedded server runs in its own process; this process runs a real ``WorkflowWorker`` (one
poller) and an ``ActivityWorker``, and starts one ``SeqWorkflow`` of ``--activities`` (default
2,000) activities. The decider's CPU is the thread CPU time (``time.thread_time``) of every
``poll``, ``poll_sticky`` and ``handle`` call of the workflow worker: the page fetches, parsing,
replay and the answer, but none of the activity worker's or the server's work. Wall time is
from the start call until the run is closed. The workflow worker's start (registering its types,
building its transport: once per worker, not per workflow) is reported in its own column.

With the cache off every decision task replays the run from event 1, so the lifetime cost
grows with the square of N; with it on each task reads and applies only its new events. Goal:
cache on costs at most 1/50 of cache off in decider CPU.

On is the worker's default (the sticky cache and its task list); off is
``WorkflowWorker(cache_size=0)``, no cache at all. A worker without that option has no cache:
the run with the cache on is then reported as not measured.

Correct means the run completed with the last activity's result.

``--pin same`` runs the server and this process on one CPU, ``--pin split`` on two (the first
two this process may use; Linux only). Unpinned (the default) the scheduler decides, and on a
virtual machine a wake-up across CPUs costs the waker and the woken thread several times what
it costs on one CPU (``bench_loopback.py``); a cache-on task makes four such wake-ups (two
requests, two answers), so its CPU moves with the placement.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import environment, print_table, write_result
from bench_throughput import server_process

GOAL_RATIO = 1 / 50


def sticky_supported() -> bool:
    """Whether this botoflowx's WorkflowWorker has the sticky cache option."""
    from botoflowx.worker import WorkflowWorker

    return "cache_size" in inspect.signature(WorkflowWorker.__init__).parameters


def measure(endpoint: str, activities: int, cache: bool, timeout: float) -> dict[str, Any]:
    """Run one workflow to completion; returns decider CPU, wall time and correctness."""
    from workloads import SeqActivities, SeqWorkflow, step_result

    from botoflowx.client import make_swf_client
    from botoflowx.worker import (
        ActivityWorker,
        ThreadedActivityExecutor,
        ThreadedWorkflowExecutor,
        WorkflowWorker,
    )

    domain = f"lt-{uuid.uuid4().hex[:8]}"
    task_list = "lifetime"
    swf = make_swf_client(None, "us-east-1", endpoint)
    swf.register_domain(name=domain, workflowExecutionRetentionPeriodInDays="1")

    lock = threading.Lock()
    cpu = {"seconds": 0.0, "tasks": 0, "max_task_s": 0.0}

    def polled(poll: Any) -> Any:
        begin = time.thread_time()
        try:
            return poll()
        finally:
            with lock:
                cpu["seconds"] += time.thread_time() - begin

    class MeasuredWorker(WorkflowWorker):
        """Adds up the thread CPU of every poll (both lists) and decision."""

        def poll(self) -> Any:
            return polled(super().poll)

        def poll_sticky(self) -> Any:
            return polled(super().poll_sticky)

        def handle(self, task: Any) -> None:
            begin = time.thread_time()
            try:
                super().handle(task)
            finally:
                spent = time.thread_time() - begin
                with lock:
                    cpu["seconds"] += spent
                    cpu["tasks"] += 1
                    cpu["max_task_s"] = max(cpu["max_task_s"], spent)

    # Off means no cache at all (cache_size=0): every task replays the run from
    # event 1. (sticky=False alone keeps the cache for tasks of the shared list.)
    options: dict[str, Any] = {} if cache else {"cache_size": 0}
    decider_worker = MeasuredWorker(
        None, "us-east-1", domain, task_list, SeqWorkflow, endpoint_url=endpoint, **options
    )
    activity_worker = ActivityWorker(
        None, "us-east-1", domain, task_list, SeqActivities(), endpoint_url=endpoint
    )
    deciders = ThreadedWorkflowExecutor(decider_worker)
    runners = ThreadedActivityExecutor(activity_worker)
    # Registration and the transport build happen here, once per worker, not per
    # workflow: reported on their own, not in the decider CPU above.
    begin_start = time.thread_time()
    deciders.start(pollers=1, workers=1)
    start_cpu = time.thread_time() - begin_start
    runners.start(pollers=1, workers=1)
    try:
        while True:
            try:
                swf.describe_workflow_type(
                    domain=domain, workflowType={"name": "SeqWorkflow", "version": "1.0"}
                )
                break
            except swf.exceptions.UnknownResourceFault:
                time.sleep(0.05)
        execution = {"workflowId": "lifetime-1"}
        begin = time.perf_counter()
        execution["runId"] = swf.start_workflow_execution(
            domain=domain,
            workflowId=execution["workflowId"],
            workflowType={"name": "SeqWorkflow", "version": "1.0"},
            taskList={"name": task_list},
            input=json.dumps([[activities], {}]),
        )["runId"]
        deadline = time.monotonic() + timeout
        status = "OPEN"
        while time.monotonic() < deadline:
            info = swf.describe_workflow_execution(domain=domain, execution=execution)
            status = info["executionInfo"]["executionStatus"]
            if status != "OPEN":
                break
            time.sleep(0.2)
        wall = time.perf_counter() - begin
        stats = getattr(decider_worker, "cache_stats", None)
        cache_stats = None
        if callable(stats):
            cache_stats = {
                k: v for k, v in vars(stats()).items() if isinstance(v, (int, float, str))
            }
        elif stats is not None:
            cache_stats = {k: v for k, v in vars(stats).items() if isinstance(v, (int, float, str))}
    finally:
        runners.stop()
        deciders.stop()
        runners.join(timeout=30)
        deciders.join(timeout=30)
        decider_worker.close()
        activity_worker.close()
    last = swf.get_workflow_execution_history(
        domain=domain, execution=execution, reverseOrder=True, maximumPageSize=1
    )["events"][0]
    result = last.get("workflowExecutionCompletedEventAttributes", {}).get("result")
    correct = status == "CLOSED" and result == json.dumps(step_result(activities - 1))
    if not correct and result is not None:
        # The converter may format the JSON differently; compare decoded values.
        correct = json.loads(result) == step_result(activities - 1)
    return {
        "cache": cache,
        "decider_cpu_s": cpu["seconds"],
        "decision_tasks": cpu["tasks"],
        "max_task_cpu_ms": cpu["max_task_s"] * 1e3,
        "start_cpu_ms": start_cpu * 1e3,
        "wall_s": wall,
        "status": status,
        "cache_stats": cache_stats,
        "correct": correct,
    }


def pin(server_pid: int, mode: str) -> None:
    """Pin the server process (every thread) and this process for ``--pin``.

    Uses the first two CPUs this process may run on.
    """
    if mode == "none":
        return
    first, second = sorted(os.sched_getaffinity(0))[:2]
    for tid in os.listdir(f"/proc/{server_pid}/task"):
        os.sched_setaffinity(int(tid), {first})
    os.sched_setaffinity(0, {first} if mode == "same" else {second})


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; exits 1 when a result was wrong."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--activities", type=int, default=2000)
    parser.add_argument("--timeout", type=float, default=3600.0, help="per run (s)")
    parser.add_argument("--quick", action="store_true", help="10 activities")
    parser.add_argument("--json", type=Path, help="result file (default benches/results/)")
    parser.add_argument(
        "--pin",
        choices=("none", "same", "split"),
        default="none",
        help="CPU placement: same = server and workers on CPU 0; split = server on 0, workers on 1",
    )
    args = parser.parse_args(argv)
    if args.pin != "none" and (
        not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2
    ):
        parser.error("--pin needs Linux and at least two CPUs")
    activities = 10 if args.quick else args.activities
    supported = sticky_supported()
    rows = []
    with server_process(":memory:", None) as (server, endpoint):
        pin(server.process.pid, args.pin)
        try:
            for cache in (True, False) if supported else (False,):
                rows.append(measure(endpoint, activities, cache, args.timeout))
        finally:
            server.stop()
    by_cache = {row["cache"]: row for row in rows}
    ratio = None
    if True in by_cache and False in by_cache and by_cache[False]["decider_cpu_s"] > 0:
        ratio = by_cache[True]["decider_cpu_s"] / by_cache[False]["decider_cpu_s"]
    result = {
        "benchmark": "lifetime",
        "environment": environment(),
        "config": {"activities": activities, "pin": args.pin},
        "sticky_cache_available": supported,
        "rows": rows,
        "cpu_ratio_on_over_off": ratio,
        "goal_met": None if ratio is None else ratio <= GOAL_RATIO,
        "correct": all(row["correct"] for row in rows),
    }
    print_table(
        f"Lifetime: one workflow of {activities} sequential activities on the embedded server",
        [
            "cache",
            "decider CPU",
            "tasks",
            "CPU per task",
            "max task CPU",
            "worker start CPU",
            "wall",
            "correct",
        ],
        [
            [
                "on" if row["cache"] else "off",
                f"{row['decider_cpu_s']:.2f} s",
                row["decision_tasks"],
                f"{row['decider_cpu_s'] / max(1, row['decision_tasks']) * 1e3:.2f} ms",
                f"{row['max_task_cpu_ms']:.1f} ms",
                f"{row['start_cpu_ms']:.1f} ms",
                f"{row['wall_s']:.1f} s",
                "yes" if row["correct"] else "NO",
            ]
            for row in rows
        ],
    )
    if ratio is None:
        print("\ncache on not measured: this WorkflowWorker has no sticky cache option")
    else:
        print(f"\ndecider CPU, cache on / off: 1/{1 / ratio:.0f} (goal <= 1/50)")
    write_result("lifetime", result, args.json)
    return 0 if result["correct"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
