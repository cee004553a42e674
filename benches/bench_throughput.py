"""Throughput: N single-activity workflows end to end on the embedded server, one process per role.

The server runs in its own process (``_procs.py server``), the deciders and the activity workers
in others (real ``WorkflowWorker`` / ``ActivityWorker`` on threaded executors), so the GIL of one
does not serialise the rest. This process registers the domain and starts the N workflows of
``SingleWorkflow`` (one activity, then complete with its result) from a few starter threads as
fast as the server takes them, then waits until all are closed.

Reported: completed workflows per second (N over the time from the first start to the last
close, by the server's timestamps), p50/p99 start-to-close latency, and the CPU each process
used (with ``--profile DIR``, a cProfile of every process, merged over its threads, in DIR).
Goal: at least 150
workflows per second on the project's 2-core machine.

Correct means every workflow closed COMPLETED with twice its input as its result.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BENCH_DIR, environment, percentile, print_table, write_result

GOAL_WORKFLOWS_PER_SECOND = 150.0
PROCS = str(BENCH_DIR / "_procs.py")


@dataclass
class Child:
    """A benchmark child process and its role."""

    role: str
    process: subprocess.Popen[str]

    def stop(self) -> dict[str, Any]:
        """SIGTERM, wait, and return the CPU report it printed last."""
        self.process.terminate()
        out, _ = self.process.communicate(timeout=60)
        lines = [line for line in out.splitlines() if line.startswith("{")]
        return json.loads(lines[-1]) if lines else {"role": self.role, "error": "no report"}


def profile_args(directory: str | None, name: str) -> list[str]:
    """``--profile DIR/NAME.prof`` when profiling, else nothing."""
    if not directory:
        return []
    Path(directory).mkdir(parents=True, exist_ok=True)
    return ["--profile", str(Path(directory) / f"{name}.prof")]


def spawn(role: str, *args: str) -> Child:
    """Start ``_procs.py role args`` and wait for its first line."""
    process = subprocess.Popen(
        [sys.executable, PROCS, role, *args],
        stdout=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    assert process.stdout is not None
    process.stdout.readline()  # endpoint_url=... or ready
    return Child(role, process)


@contextmanager
def server_process(
    database: str, profile: str | None, source: str | None = None
) -> Iterator[tuple[Child, str]]:
    """The server in its own process; yields it and its endpoint URL.

    Args:
        database: ``:memory:`` or a file path.
        profile: write a cProfile of the server here (None: no profiling).
        source: run the server from this source tree instead of the repository's.
    """
    args = ["--database", database]
    if profile:
        args += ["--profile", profile]
    env = dict(os.environ)
    if source:
        env["BOTOFLOWX_BENCH_SOURCE"] = source
    process = subprocess.Popen(
        [sys.executable, PROCS, "server", *args],
        stdout=subprocess.PIPE,
        text=True,
        bufsize=1,
        env=env,
    )
    assert process.stdout is not None
    first = process.stdout.readline().strip()
    if not first.startswith("endpoint_url="):
        process.kill()
        raise RuntimeError(f"server did not start: {first!r}")
    child = Child("server", process)
    try:
        yield child, first.partition("=")[2]
    finally:
        if process.poll() is None:
            process.kill()


def wait_for_types(swf: Any, domain: str, timeout: float = 60.0) -> None:
    """Wait until the workers have registered the workload's types."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            swf.describe_workflow_type(
                domain=domain, workflowType={"name": "SingleWorkflow", "version": "1.0"}
            )
            swf.describe_activity_type(
                domain=domain, activityType={"name": "SingleActivities.double", "version": "1.0"}
            )
            return
        except swf.exceptions.UnknownResourceFault:
            time.sleep(0.1)
    raise TimeoutError("the workers did not register their types")


def start_all(endpoint: str, domain: str, task_list: str, n: int, threads: int) -> float:
    """Start n workflows from ``threads`` threads; returns the wall seconds it took."""
    from botoflowx.client import make_swf_client

    def starter(indices: range) -> None:
        swf = make_swf_client(None, "us-east-1", endpoint)
        for index in indices:
            swf.start_workflow_execution(
                domain=domain,
                workflowId=f"tp-{index}",
                workflowType={"name": "SingleWorkflow", "version": "1.0"},
                taskList={"name": task_list},
                input=json.dumps([[index], {}]),
            )

    begin = time.perf_counter()
    workers = [
        threading.Thread(target=starter, args=(range(i, n, threads),)) for i in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - begin


def closed_executions(swf: Any, domain: str) -> list[dict[str, Any]]:
    """Every closed execution of the domain, with its start and close timestamps."""
    paginator = swf.get_paginator("list_closed_workflow_executions")
    infos: list[dict[str, Any]] = []
    for page in paginator.paginate(
        domain=domain, startTimeFilter={"oldestDate": 0}, maximumPageSize=1000
    ):
        infos.extend(page["executionInfos"])
    return infos


def check_results(swf: Any, domain: str, infos: list[dict[str, Any]]) -> int:
    """How many executions completed with twice their input (reads every history)."""
    good = 0
    for info in infos:
        if info["closeStatus"] != "COMPLETED":
            continue
        index = int(info["execution"]["workflowId"].rpartition("-")[2])
        events = swf.get_workflow_execution_history(
            domain=domain, execution=info["execution"], reverseOrder=True, maximumPageSize=1
        )["events"]
        attributes = events[0].get("workflowExecutionCompletedEventAttributes", {})
        if json.loads(attributes.get("result", "null")) == 2 * index:
            good += 1
    return good


def run(args: argparse.Namespace) -> dict[str, Any]:
    """One measurement; returns the JSON result."""
    from botoflowx.client import make_swf_client

    domain = f"tp-{uuid.uuid4().hex[:8]}"
    task_list = "throughput"
    self_before = resource.getrusage(resource.RUSAGE_SELF)
    server_profile = profile_args(args.profile, "server")
    with server_process(args.database, server_profile[1] if server_profile else None) as (
        server,
        endpoint,
    ):
        swf = make_swf_client(None, "us-east-1", endpoint)
        swf.register_domain(name=domain, workflowExecutionRetentionPeriodInDays="1")
        common = ["--endpoint", endpoint, "--domain", domain, "--task-list", task_list]
        children = [
            spawn(
                "decider",
                *common,
                "--pollers",
                str(args.pollers),
                *profile_args(args.profile, f"decider-{i}"),
            )
            for i in range(args.deciders)
        ]
        children += [
            spawn(
                "activity",
                *common,
                "--pollers",
                str(args.pollers),
                *profile_args(args.profile, f"activity-{i}"),
            )
            for i in range(args.activity_workers)
        ]
        try:
            wait_for_types(swf, domain)
            starting = time.perf_counter()
            start_seconds = start_all(endpoint, domain, task_list, args.workflows, args.starters)
            deadline = time.monotonic() + args.timeout
            closed = 0
            while time.monotonic() < deadline:
                closed = swf.count_closed_workflow_executions(
                    domain=domain, startTimeFilter={"oldestDate": 0}
                )["count"]
                if closed >= args.workflows:
                    break
                time.sleep(0.2)
            wall_seconds = time.perf_counter() - starting
            # The bench's own CPU up to here: the starts and the completion polls.
            self_after = resource.getrusage(resource.RUSAGE_SELF)
            infos = closed_executions(swf, domain)
            good = check_results(swf, domain, infos)
        finally:
            reports = [child.stop() for child in children]
        reports.append(server.stop())
    reports.append(
        {
            "role": "bench (starters)",
            "cpu_user_s": self_after.ru_utime - self_before.ru_utime,
            "cpu_system_s": self_after.ru_stime - self_before.ru_stime,
        }
    )
    starts = [info["startTimestamp"].timestamp() for info in infos]
    closes = [info["closeTimestamp"].timestamp() for info in infos]
    latencies = [close - start for start, close in zip(starts, closes, strict=True)]
    span = (max(closes) - min(starts)) if infos else float("nan")
    rate = len(infos) / span if infos and span > 0 else 0.0
    return {
        "benchmark": "throughput",
        "environment": environment(),
        "config": {
            key: getattr(args, key)
            for key in (
                "workflows",
                "deciders",
                "activity_workers",
                "pollers",
                "starters",
                "database",
            )
        },
        "completed": len(infos),
        "correct_results": good,
        "workflows_per_second": rate,
        "span_seconds": span,
        "wall_seconds": wall_seconds,
        "start_phase_seconds": start_seconds,
        "latency_p50_ms": percentile(latencies, 50) * 1e3,
        "latency_p99_ms": percentile(latencies, 99) * 1e3,
        "latency_max_ms": max(latencies, default=float("nan")) * 1e3,
        "cpu": reports,
        "profile": args.profile,
        "goal_met": rate >= GOAL_WORKFLOWS_PER_SECOND,
        "correct": good == args.workflows,
    }


def report(result: dict[str, Any]) -> None:
    """Print the result as tables."""
    print_table(
        f"Throughput: {result['config']['workflows']} single-activity workflows, "
        f"{result['config']['deciders']} decider + {result['config']['activity_workers']} "
        f"activity process(es), server in its own process ({result['config']['database']})",
        ["workflows/s", "p50 start-to-close", "p99 start-to-close", "completed", "correct"],
        [
            [
                f"{result['workflows_per_second']:.1f}",
                f"{result['latency_p50_ms']:.0f} ms",
                f"{result['latency_p99_ms']:.0f} ms",
                f"{result['completed']}",
                f"{result['correct_results']}/{result['config']['workflows']}",
            ]
        ],
    )
    total = sum(r.get("cpu_user_s", 0) + r.get("cpu_system_s", 0) for r in result["cpu"])
    print_table(
        "Where the CPU went",
        ["process", "user s", "system s", "share"],
        [
            [
                r["role"],
                f"{r.get('cpu_user_s', 0):.2f}",
                f"{r.get('cpu_system_s', 0):.2f}",
                f"{(r.get('cpu_user_s', 0) + r.get('cpu_system_s', 0)) / total:.0%}"
                if total
                else "-",
            ]
            for r in result["cpu"]
        ],
    )
    if result["profile"]:
        print(f"\nprofiles (thread CPU) in {result['profile']}: python -m pstats <file>.prof")
    print(f"\ngoal >= {GOAL_WORKFLOWS_PER_SECOND:.0f}/s met: {result['goal_met']}")


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; exits 1 when a result was wrong."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workflows", type=int, default=2000)
    parser.add_argument("--deciders", type=int, default=1, help="decider processes")
    parser.add_argument("--activity-workers", type=int, default=1, help="activity processes")
    parser.add_argument("--pollers", type=int, default=4, help="pollers per worker process")
    parser.add_argument("--starters", type=int, default=4, help="starter threads")
    parser.add_argument("--database", default=":memory:", help=":memory: or a file path")
    parser.add_argument("--timeout", type=float, default=600.0, help="give up after (s)")
    parser.add_argument("--profile", metavar="DIR", help="write a cProfile of each process here")
    parser.add_argument("--quick", action="store_true", help="20 workflows")
    parser.add_argument("--json", type=Path, help="result file (default benches/results/)")
    args = parser.parse_args(argv)
    if args.quick:
        args.workflows = 20
        args.timeout = min(args.timeout, 120.0)
    result = run(args)
    report(result)
    write_result("throughput", result, args.json)
    return 0 if result["correct"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
