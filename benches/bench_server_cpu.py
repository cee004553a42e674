"""Server CPU per workflow: the embedded server alone, driven by canned raw HTTP requests.

The end-to-end benchmarks spend most of their CPU in the clients (botocore, the workers), so
they show a server change only dimly. Here the clients cost almost nothing: each of
``--threads`` threads holds one keep-alive connection and runs whole single-activity workflows
on a task list of its own with pre-built requests (the headers a botocore client sends, an
unchecked SigV4 ``Authorization``): StartWorkflowExecution, PollForDecisionTask,
RespondDecisionTaskCompleted (ScheduleActivityTask), PollForActivityTask,
RespondActivityTaskCompleted, PollForDecisionTask, RespondDecisionTaskCompleted
(CompleteWorkflowExecution). Every poll finds its task already queued, so nothing waits.

Reported: the server process's CPU per workflow and per request (from ``/proc/PID/stat``,
before and after the load) and requests per second. It is the figure to compare before and
after a change to the server: ``--source DIR`` (repeatable) runs the server from another
source tree, e.g. ``git worktree``-free ``git archive <commit> python | tar -x -C DIR``, and
``--rounds R`` alternates the trees R times so machine drift hits them alike. Correct means
every call succeeded and every run completed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import SOURCE_DIR, environment, print_table, write_result
from bench_throughput import server_process

REQUESTS_PER_WORKFLOW = 7


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process, from /proc (Linux)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


class RawClient:
    """One keep-alive connection sending SWF JSON requests with botocore-like headers."""

    def __init__(self, endpoint: str) -> None:
        host, _, port = endpoint.removeprefix("http://").partition(":")
        self._conn = http.client.HTTPConnection(host, int(port), timeout=60)
        self._host = f"{host}:{port}"

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(params).encode()
        amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        headers = {
            "Host": self._host,
            "X-Amz-Target": f"SimpleWorkflowService.{operation}",
            "Content-Type": "application/x-amz-json-1.0",
            "User-Agent": "Boto3/1.44.8 md/Botocore#1.44.8 ua/2.1 os/linux lang/python#3.11.7",
            "X-Amz-Date": amz_date,
            "Authorization": (
                f"AWS4-HMAC-SHA256 Credential=bench/{amz_date[:8]}/us-east-1/swf/aws4_request, "
                "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" + "0" * 64
            ),
            "amz-sdk-invocation-id": str(uuid.uuid4()),
            "amz-sdk-request": "attempt=1",
            "Content-Length": str(len(body)),
        }
        self._conn.request("POST", "/", body, headers)
        response = self._conn.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"{operation}: HTTP {response.status}: {data[:300]!r}")
        return json.loads(data) if data else {}

    def close(self) -> None:
        self._conn.close()


def drive(endpoint: str, domain: str, thread: int, workflows: int, failures: list[str]) -> None:
    """Run ``workflows`` whole workflows on this thread's own task lists."""
    client = RawClient(endpoint)
    decisions, activities = f"d-{thread}", f"a-{thread}"
    try:
        for index in range(workflows):
            client.call(
                "StartWorkflowExecution",
                {
                    "domain": domain,
                    "workflowId": f"w-{thread}-{index}",
                    "workflowType": {"name": "CpuWorkflow", "version": "1"},
                    "taskList": {"name": decisions},
                    "input": "[[1], {}]",
                },
            )
            poll = {"domain": domain, "taskList": {"name": decisions}, "identity": "bench"}
            task = client.call("PollForDecisionTask", poll)
            attributes = {
                "activityType": {"name": "CpuActivity", "version": "1"},
                "activityId": "1",
                "taskList": {"name": activities},
                "input": "[[1], {}]",
            }
            client.call(
                "RespondDecisionTaskCompleted",
                {
                    "taskToken": task["taskToken"],
                    "decisions": [
                        {
                            "decisionType": "ScheduleActivityTask",
                            "scheduleActivityTaskDecisionAttributes": attributes,
                        }
                    ],
                },
            )
            activity = client.call(
                "PollForActivityTask",
                {"domain": domain, "taskList": {"name": activities}, "identity": "bench"},
            )
            client.call(
                "RespondActivityTaskCompleted", {"taskToken": activity["taskToken"], "result": "2"}
            )
            task = client.call("PollForDecisionTask", poll)
            client.call(
                "RespondDecisionTaskCompleted",
                {
                    "taskToken": task["taskToken"],
                    "decisions": [
                        {
                            "decisionType": "CompleteWorkflowExecution",
                            "completeWorkflowExecutionDecisionAttributes": {"result": "2"},
                        }
                    ],
                },
            )
    except Exception as exc:  # reported as a wrong result, not a crash of the bench
        failures.append(f"thread {thread}: {exc!r}")
    finally:
        client.close()


def _register(setup: RawClient, domain: str) -> None:
    setup.call("RegisterDomain", {"name": domain, "workflowExecutionRetentionPeriodInDays": "1"})
    setup.call(
        "RegisterWorkflowType",
        {
            "domain": domain,
            "name": "CpuWorkflow",
            "version": "1",
            "defaultTaskStartToCloseTimeout": "60",
            "defaultExecutionStartToCloseTimeout": "3600",
            "defaultChildPolicy": "TERMINATE",
        },
    )
    setup.call(
        "RegisterActivityType",
        {
            "domain": domain,
            "name": "CpuActivity",
            "version": "1",
            "defaultTaskScheduleToStartTimeout": "NONE",
            "defaultTaskScheduleToCloseTimeout": "NONE",
            "defaultTaskStartToCloseTimeout": "60",
            "defaultTaskHeartbeatTimeout": "NONE",
        },
    )


def measure(
    workflows: int, threads: int, database: str, profile: str | None, source: str | None
) -> dict[str, Any]:
    """One run against a fresh server process; returns its figures."""
    per_thread = max(1, workflows // threads)
    workflows = per_thread * threads
    domain = "cpu"
    with server_process(database, profile, source) as (server, endpoint):
        setup = RawClient(endpoint)
        _register(setup, domain)
        failures: list[str] = []
        pid = server.process.pid
        cpu_before = process_cpu_seconds(pid)
        begin = time.perf_counter()
        drivers = [
            threading.Thread(target=drive, args=(endpoint, domain, t, per_thread, failures))
            for t in range(threads)
        ]
        for driver in drivers:
            driver.start()
        for driver in drivers:
            driver.join()
        wall = time.perf_counter() - begin
        cpu = process_cpu_seconds(pid) - cpu_before
        closed = setup.call(
            "CountClosedWorkflowExecutions",
            {
                "domain": domain,
                "startTimeFilter": {"oldestDate": 0},
                "closeStatusFilter": {"status": "COMPLETED"},
            },
        )["count"]
        setup.close()
        server.stop()
    requests = workflows * REQUESTS_PER_WORKFLOW
    return {
        "source": source or str(SOURCE_DIR),
        "workflows": workflows,
        "server_cpu_s": cpu,
        "server_cpu_ms_per_workflow": cpu / workflows * 1e3,
        "server_cpu_us_per_request": cpu / requests * 1e6,
        "requests_per_second": requests / wall,
        "workflows_per_second": workflows / wall,
        "wall_s": wall,
        "completed": closed,
        "failures": failures[:10],
        "correct": not failures and closed == workflows,
    }


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; exits 1 when a result was wrong."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workflows", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--database", default=":memory:", help=":memory: or a file path")
    parser.add_argument("--profile", help="write a cProfile (thread CPU) of the server here")
    parser.add_argument(
        "--source",
        action="append",
        help="run the server from this source tree (repeat to compare trees, alternating)",
    )
    parser.add_argument("--rounds", type=int, default=1, help="measurements per source tree")
    parser.add_argument("--quick", action="store_true", help="40 workflows")
    parser.add_argument("--json", type=Path, help="result file (default benches/results/)")
    args = parser.parse_args(argv)
    workflows = 40 if args.quick else args.workflows
    sources: list[str | None] = list(args.source) if args.source else [None]
    runs: list[dict[str, Any]] = []
    # Alternating the trees round by round spreads the machine's drift over all of them.
    for _ in range(args.rounds):
        for source in sources:
            runs.append(measure(workflows, args.threads, args.database, args.profile, source))
    by_source: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        by_source.setdefault(run["source"], []).append(run)
    summary = [
        {
            "source": source,
            "rounds": len(items),
            "server_cpu_ms_per_workflow_median": statistics.median(
                r["server_cpu_ms_per_workflow"] for r in items
            ),
            "server_cpu_ms_per_workflow_min": min(r["server_cpu_ms_per_workflow"] for r in items),
            "requests_per_second_median": statistics.median(
                r["requests_per_second"] for r in items
            ),
            "workflows_per_second_median": statistics.median(
                r["workflows_per_second"] for r in items
            ),
        }
        for source, items in by_source.items()
    ]
    result = {
        "benchmark": "server_cpu",
        "environment": environment(),
        "config": {
            "workflows": runs[0]["workflows"],
            "threads": args.threads,
            "database": args.database,
            "rounds": args.rounds,
        },
        "runs": runs,
        "summary": summary,
        "correct": all(run["correct"] for run in runs),
    }
    print_table(
        f"Server CPU: {runs[0]['workflows']} workflows over raw HTTP, {args.threads} connections "
        f"({args.database}), {args.rounds} round(s) per source tree",
        ["server source", "CPU / workflow (median)", "(min)", "requests/s", "workflows/s"],
        [
            [
                row["source"],
                f"{row['server_cpu_ms_per_workflow_median']:.2f} ms",
                f"{row['server_cpu_ms_per_workflow_min']:.2f} ms",
                f"{row['requests_per_second_median']:.0f}",
                f"{row['workflows_per_second_median']:.0f}",
            ]
            for row in summary
        ],
    )
    bad = [run for run in runs if not run["correct"]]
    print(f"\ncorrect: {not bad}" + (f" ({bad[0]['failures'][:1]})" if bad else ""))
    write_result("server_cpu", result, args.json)
    return 0 if result["correct"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
