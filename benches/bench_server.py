"""Benchmark of the embedded SWF server over HTTP with plain boto3 clients.

Two measurements, both against an in-process ``EmbeddedServer``:

1. Throughput: N workflows, each a full cycle
   start -> decision task -> schedule activity -> activity task -> complete activity
   -> decision task -> complete workflow, driven by P concurrent decider threads and
   P concurrent activity-worker threads. Reports requests/s, workflows/s, p50/p99 per
   operation and end to end, and checks that every workflow completed with the
   right result.
2. Wake-up latency: how long after the call that makes a task available returns
   (StartWorkflowExecution for a decision task, RespondDecisionTaskCompleted for an
   activity task) a long poll that was already waiting returns it.

Run ``.venv/bin/python benches/bench_server.py --help`` for the options.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import queue
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "python"))

from botoflowx.server import EmbeddedServer  # noqa: E402

WORKFLOW = {"name": "BenchWorkflow", "version": "1"}
ACTIVITY = {"name": "bench_activity", "version": "1"}
WAKEUP_GOAL_MS = 5.0


# -- helpers --------------------------------------------------------------------------------------


def make_client(endpoint_url: str) -> Any:
    """A boto3 SWF client with its own session (clients are built on one thread, used on one)."""
    session = boto3.session.Session(
        aws_access_key_id="bench", aws_secret_access_key="bench", region_name="us-east-1"
    )
    return session.client(
        "swf",
        endpoint_url=endpoint_url,
        config=Config(
            read_timeout=70,
            connect_timeout=10,
            retries={"total_max_attempts": 1, "mode": "standard"},
        ),
    )


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile of ``values`` (which need not be sorted)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100.0 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary_ms(samples: list[float]) -> dict[str, float | int]:
    """Count, p50, p99, mean and max of samples given in seconds, reported in ms."""
    return {
        "count": len(samples),
        "p50_ms": round(percentile(samples, 50) * 1e3, 3),
        "p99_ms": round(percentile(samples, 99) * 1e3, 3),
        "mean_ms": round(statistics.fmean(samples) * 1e3, 3) if samples else float("nan"),
        "max_ms": round(max(samples) * 1e3, 3) if samples else float("nan"),
    }


@dataclass
class Timings:
    """Per-operation call latencies, shared by all threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    by_op: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def call(self, op: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
        started = time.perf_counter()
        result = fn(**kwargs)
        elapsed = time.perf_counter() - started
        # An empty poll measures the long-poll hold, not the server: leave it out.
        if op.startswith("PollFor") and not result.get("taskToken"):
            return result
        with self.lock:
            self.by_op[op].append(elapsed)
        return result


def setup_domain(swf: Any, domain: str) -> None:
    swf.register_domain(name=domain, workflowExecutionRetentionPeriodInDays="1")
    swf.register_workflow_type(
        domain=domain,
        **WORKFLOW,
        defaultTaskList={"name": "decisions"},
        defaultTaskStartToCloseTimeout="60",
        defaultExecutionStartToCloseTimeout="3600",
        defaultChildPolicy="TERMINATE",
    )
    swf.register_activity_type(
        domain=domain,
        **ACTIVITY,
        defaultTaskList={"name": "activities"},
        defaultTaskScheduleToStartTimeout="NONE",
        defaultTaskScheduleToCloseTimeout="NONE",
        defaultTaskStartToCloseTimeout="60",
        defaultTaskHeartbeatTimeout="NONE",
    )


# -- measurement 1: throughput ----------------------------------------------------------------


def decide(events: list[dict[str, Any]], started_event_id: int) -> list[dict[str, Any]]:
    """The benchmark workflow: run one activity on the input, then complete with its result."""
    seen = [e for e in events if e["eventId"] <= started_event_id]
    types = {e["eventType"]: e for e in seen}
    if "ActivityTaskCompleted" in types:
        result = types["ActivityTaskCompleted"]["activityTaskCompletedEventAttributes"]["result"]
        return [
            {
                "decisionType": "CompleteWorkflowExecution",
                "completeWorkflowExecutionDecisionAttributes": {"result": result},
            }
        ]
    if "ActivityTaskScheduled" in types:
        return []  # still waiting for the activity
    started = types["WorkflowExecutionStarted"]["workflowExecutionStartedEventAttributes"]
    return [
        {
            "decisionType": "ScheduleActivityTask",
            "scheduleActivityTaskDecisionAttributes": {
                "activityType": ACTIVITY,
                "activityId": "1",
                "input": started["input"],
            },
        }
    ]


def poll_all_pages(
    swf: Any, timings: Timings, domain: str, task_list: str
) -> dict[str, Any] | None:
    task = timings.call(
        "PollForDecisionTask",
        swf.poll_for_decision_task,
        domain=domain,
        taskList={"name": task_list},
    )
    if not task.get("taskToken"):
        return None
    events = list(task["events"])
    token = task.get("nextPageToken")
    while token:
        page = timings.call(
            "PollForDecisionTask",
            swf.poll_for_decision_task,
            domain=domain,
            taskList={"name": task_list},
            nextPageToken=token,
        )
        events.extend(page["events"])
        token = page.get("nextPageToken")
    task["events"] = events
    return task


def run_throughput(
    endpoint_url: str, domain: str, workflows: int, pollers: int, timeout: float
) -> dict[str, Any]:
    timings = Timings()
    stop = threading.Event()
    started_at: dict[str, float] = {}
    completed_at: dict[str, float] = {}
    errors: list[str] = []
    lock = threading.Lock()
    all_done = threading.Event()

    def record_error(where: str, exc: BaseException) -> None:
        if not stop.is_set():
            with lock:
                errors.append(f"{where}: {type(exc).__name__}: {exc}")

    def decider(swf: Any) -> None:
        while not stop.is_set():
            try:
                task = poll_all_pages(swf, timings, domain, "decisions")
                if task is None:
                    continue
                decisions = decide(task["events"], task["startedEventId"])
                timings.call(
                    "RespondDecisionTaskCompleted",
                    swf.respond_decision_task_completed,
                    taskToken=task["taskToken"],
                    decisions=decisions,
                )
                if decisions and decisions[0]["decisionType"] == "CompleteWorkflowExecution":
                    workflow_id = task["workflowExecution"]["workflowId"]
                    with lock:
                        completed_at[workflow_id] = time.perf_counter()
                        if len(completed_at) == workflows:
                            all_done.set()
            except Exception as exc:
                record_error("decider", exc)

    def activity_worker(swf: Any) -> None:
        while not stop.is_set():
            try:
                task = timings.call(
                    "PollForActivityTask",
                    swf.poll_for_activity_task,
                    domain=domain,
                    taskList={"name": "activities"},
                )
                if not task.get("taskToken"):
                    continue
                payload = json.loads(task["input"])
                timings.call(
                    "RespondActivityTaskCompleted",
                    swf.respond_activity_task_completed,
                    taskToken=task["taskToken"],
                    result=json.dumps({"echo": payload, "done": True}),
                )
            except Exception as exc:
                record_error("activity worker", exc)

    clients = [make_client(endpoint_url) for _ in range(2 * pollers + 1)]
    threads = [
        threading.Thread(target=decider, args=(clients[i],), daemon=True, name=f"decider-{i}")
        for i in range(pollers)
    ] + [
        threading.Thread(
            target=activity_worker, args=(clients[pollers + i],), daemon=True, name=f"worker-{i}"
        )
        for i in range(pollers)
    ]
    for thread in threads:
        thread.start()
    starter = clients[-1]
    run_ids: dict[str, str] = {}
    wall_start = time.perf_counter()
    for n in range(workflows):
        workflow_id = f"bench-{n}"
        with lock:
            started_at[workflow_id] = time.perf_counter()
        try:
            response = timings.call(
                "StartWorkflowExecution",
                starter.start_workflow_execution,
                domain=domain,
                workflowId=workflow_id,
                workflowType=WORKFLOW,
                input=json.dumps({"n": n}),
            )
            run_ids[workflow_id] = response["runId"]
        except Exception as exc:
            record_error("starter", exc)
    finished = all_done.wait(timeout)
    wall = time.perf_counter() - wall_start
    stop.set()

    requests = sum(len(v) for v in timings.by_op.values())
    end_to_end = [completed_at[w] - started_at[w] for w in completed_at]
    # Correctness, outside the timed window: every run closed COMPLETED with the right result.
    wrong: list[str] = []
    for n in range(workflows):
        workflow_id = f"bench-{n}"
        run_id = run_ids.get(workflow_id)
        if run_id is None:
            wrong.append(f"{workflow_id}: never started")
            continue
        history = starter.get_workflow_execution_history(
            domain=domain,
            execution={"workflowId": workflow_id, "runId": run_id},
            reverseOrder=True,
            maximumPageSize=1,
        )
        last = history["events"][0]
        expected = {"echo": {"n": n}, "done": True}
        if last["eventType"] != "WorkflowExecutionCompleted":
            wrong.append(f"{workflow_id}: last event {last['eventType']}")
        elif json.loads(last["workflowExecutionCompletedEventAttributes"]["result"]) != expected:
            wrong.append(f"{workflow_id}: wrong result")
    return {
        "workflows": workflows,
        "pollers": pollers,
        "all_finished_in_time": finished,
        "wall_seconds": round(wall, 3),
        "requests": requests,
        "requests_per_second": round(requests / wall, 1),
        "workflows_per_second": round(len(completed_at) / wall, 2),
        "operations": {op: summary_ms(v) for op, v in sorted(timings.by_op.items())},
        "end_to_end": summary_ms(end_to_end),
        "correct": finished and not wrong and not errors,
        "incorrect_workflows": wrong[:20],
        "errors": errors[:20],
        "_threads": threads,
    }


# -- measurement 2: wake-up latency of a waiting long poll -------------------------------------


class WaitingPoller:
    """A thread that issues one long poll when asked and reports when it returned."""

    def __init__(self, swf: Any, kind: str) -> None:
        self._swf = swf
        self._kind = kind
        self._requests: queue.Queue[tuple[str, str] | None] = queue.Queue()
        self.results: queue.Queue[tuple[float, dict[str, Any] | BaseException]] = queue.Queue()
        self.entered = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"waiting-{kind}")
        self._thread.start()

    def poll(self, domain: str, task_list: str) -> None:
        self.entered.clear()
        self._requests.put((domain, task_list))

    def close(self) -> None:
        self._requests.put(None)

    def _run(self) -> None:
        while True:
            request = self._requests.get()
            if request is None:
                return
            domain, task_list = request
            call = (
                self._swf.poll_for_decision_task
                if self._kind == "decision"
                else self._swf.poll_for_activity_task
            )
            self.entered.set()
            try:
                task = call(domain=domain, taskList={"name": task_list})
                self.results.put((time.perf_counter(), task))
            except Exception as exc:
                self.results.put((time.perf_counter(), exc))


def run_wakeup(endpoint_url: str, domain: str, samples: int, settle: float) -> dict[str, Any]:
    main = make_client(endpoint_url)
    decision_poller = WaitingPoller(make_client(endpoint_url), "decision")
    activity_poller = WaitingPoller(make_client(endpoint_url), "activity")
    decision_from_return: list[float] = []
    decision_from_call: list[float] = []
    activity_from_return: list[float] = []
    activity_from_call: list[float] = []
    problems: list[str] = []
    try:
        for i in range(samples):
            decision_list = f"wake-d-{i}"
            activity_list = f"wake-a-{i}"
            workflow_id = f"wake-{i}"

            # A decision task made available by StartWorkflowExecution.
            decision_poller.poll(domain, decision_list)
            decision_poller.entered.wait(5)
            time.sleep(settle)  # let the HTTP request reach the server and start waiting
            call_started = time.perf_counter()
            run = main.start_workflow_execution(
                domain=domain,
                workflowId=workflow_id,
                workflowType=WORKFLOW,
                taskList={"name": decision_list},
                input="{}",
            )
            call_returned = time.perf_counter()
            returned_at, task = decision_poller.results.get(timeout=70)
            if isinstance(task, BaseException) or not task.get("taskToken"):
                problems.append(f"decision sample {i}: no task ({task!r:.200})")
                continue
            decision_from_return.append(returned_at - call_returned)
            decision_from_call.append(returned_at - call_started)

            # An activity task made available by RespondDecisionTaskCompleted.
            activity_poller.poll(domain, activity_list)
            activity_poller.entered.wait(5)
            time.sleep(settle)
            call_started = time.perf_counter()
            main.respond_decision_task_completed(
                taskToken=task["taskToken"],
                decisions=[
                    {
                        "decisionType": "ScheduleActivityTask",
                        "scheduleActivityTaskDecisionAttributes": {
                            "activityType": ACTIVITY,
                            "activityId": "1",
                            "taskList": {"name": activity_list},
                            "input": "{}",
                        },
                    }
                ],
            )
            call_returned = time.perf_counter()
            returned_at, activity = activity_poller.results.get(timeout=70)
            if isinstance(activity, BaseException) or not activity.get("taskToken"):
                problems.append(f"activity sample {i}: no task ({activity!r:.200})")
            else:
                activity_from_return.append(returned_at - call_returned)
                activity_from_call.append(returned_at - call_started)
            main.terminate_workflow_execution(
                domain=domain, workflowId=workflow_id, runId=run["runId"], reason="bench done"
            )
    finally:
        decision_poller.close()
        activity_poller.close()
    return {
        "samples": samples,
        "settle_seconds": settle,
        "decision_after_StartWorkflowExecution_returned": summary_ms(decision_from_return),
        "decision_after_StartWorkflowExecution_called": summary_ms(decision_from_call),
        "activity_after_RespondDecisionTaskCompleted_returned": summary_ms(activity_from_return),
        "activity_after_RespondDecisionTaskCompleted_called": summary_ms(activity_from_call),
        "correct": not problems
        and len(decision_from_return) == samples
        and len(activity_from_return) == samples,
        "problems": problems[:20],
    }


# -- driver -------------------------------------------------------------------------------------


@contextmanager
def server_for(database: str, mode: str) -> Iterator[str]:
    """Run the server for the bench and yield its endpoint URL.

    ``inprocess`` is an EmbeddedServer in this process (it shares the GIL with the
    boto3 clients); ``subprocess`` is ``python -m botoflowx.server`` on its own core.
    """
    with tempfile.TemporaryDirectory(prefix="botoflowx-bench-") as tmp:
        path = ":memory:" if database == "memory" else os.path.join(tmp, "bench.sqlite3")
        if mode == "inprocess":
            with EmbeddedServer(port=0, database=path, long_poll_seconds=5.0) as server:
                yield server.endpoint_url
            return
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "botoflowx.server",
                "--port",
                "0",
                "--database",
                path,
                "--long-poll-seconds",
                "5",
            ],
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            cwd=REPO_ROOT,
            env=dict(os.environ, PYTHONPATH=str(REPO_ROOT / "python")),
        )
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline().strip()
            prefix = "botoflowx server listening: endpoint_url="
            if not line.startswith(prefix):
                raise RuntimeError(f"the server did not start: {line!r}")
            yield line[len(prefix) :]
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def print_table(result: dict[str, Any]) -> None:
    tp = result["throughput"]
    wk = result["wakeup"]
    print()
    print(
        f"botoflowx server bench: {tp['workflows']} workflows, {tp['pollers']} decider + "
        f"{tp['pollers']} activity pollers, database={result['config']['database']}, "
        f"server={result['config']['server']}"
    )
    print(
        f"  {tp['requests']} requests in {tp['wall_seconds']} s: "
        f"{tp['requests_per_second']} req/s, {tp['workflows_per_second']} workflows/s"
    )
    header = f"  {'operation':<40}{'count':>8}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}"
    print(header)
    print("  " + "-" * (len(header) - 2))
    rows = [*tp["operations"].items(), ("end to end (start -> completed)", tp["end_to_end"])]
    for name, s in rows:
        print(f"  {name:<40}{s['count']:>8}{s['p50_ms']:>10}{s['p99_ms']:>10}{s['max_ms']:>10}")
    print()
    print("  wake-up of a waiting long poll (goal: p50 < 5 ms after the call returned)")
    for key in (
        "decision_after_StartWorkflowExecution_returned",
        "decision_after_StartWorkflowExecution_called",
        "activity_after_RespondDecisionTaskCompleted_returned",
        "activity_after_RespondDecisionTaskCompleted_called",
    ):
        s = wk[key]
        print(f"  {key:<54}{s['count']:>6}{s['p50_ms']:>10}{s['p99_ms']:>10}{s['max_ms']:>10}")
    print()
    print(f"  correct: {result['correct']}   wake-up goal met: {result['wakeup_goal_met']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workflows", type=int, default=200, help="workflows to run (200)")
    parser.add_argument("--pollers", type=int, default=4, help="decider and activity threads (4)")
    parser.add_argument("--samples", type=int, default=100, help="wake-up samples (100)")
    parser.add_argument(
        "--database",
        choices=["memory", "file"],
        default="memory",
        help="SQLite :memory: or a temp file",
    )
    parser.add_argument(
        "--server",
        choices=["inprocess", "subprocess"],
        default="inprocess",
        help="EmbeddedServer in this process, or python -m botoflowx.server in a child",
    )
    parser.add_argument("--json", type=Path, default=None, help="write the result here")
    parser.add_argument("--quick", action="store_true", help="a tiny run for CI smoke tests")
    parser.add_argument("--timeout", type=float, default=600.0, help="give up after this long (s)")
    args = parser.parse_args(argv)
    if args.quick:
        args.workflows, args.pollers, args.samples = 10, 2, 10

    with server_for(args.database, args.server) as endpoint_url:
        setup_client = make_client(endpoint_url)
        domain = f"bench-{uuid.uuid4().hex[:8]}"
        setup_domain(setup_client, domain)
        throughput = run_throughput(
            endpoint_url, domain, args.workflows, args.pollers, args.timeout
        )
        threads = throughput.pop("_threads")
        wakeup = run_wakeup(endpoint_url, domain, args.samples, settle=0.02)
    # Stopping the server woke the throughput pollers; they exit on the stop flag.
    for thread in threads:
        thread.join(10)

    wake_p50 = max(
        wakeup["decision_after_StartWorkflowExecution_returned"]["p50_ms"],
        wakeup["activity_after_RespondDecisionTaskCompleted_returned"]["p50_ms"],
    )
    result = {
        "benchmark": "bench_server",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "config": {
            "workflows": args.workflows,
            "pollers": args.pollers,
            "samples": args.samples,
            "database": args.database,
            "server": args.server,
            "quick": args.quick,
        },
        "environment": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "boto3": boto3.__version__,
        },
        "throughput": throughput,
        "wakeup": wakeup,
        "correct": bool(throughput["correct"] and wakeup["correct"]),
        "wakeup_goal_ms": WAKEUP_GOAL_MS,
        "wakeup_goal_met": wake_p50 < WAKEUP_GOAL_MS,
    }
    print_table(result)
    if not result["correct"]:
        for line in throughput["errors"] + throughput["incorrect_workflows"] + wakeup["problems"]:
            print(f"  problem: {line}", file=sys.stderr)
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
        print(f"  result written to {args.json}")
    return 0 if result["correct"] else 1


if __name__ == "__main__":
    sys.exit(main())
