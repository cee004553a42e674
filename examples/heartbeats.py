"""A long-running activity with heartbeats: progress that survives a stuck worker.

An activity copies a large file in chunks and reports its progress with
``get_context().heartbeat(...)`` after every chunk. Heartbeats are throttled for you
(at most one call to SWF per half heartbeat timeout; the latest progress is always the
one sent), so calling it in a tight loop is fine.

Halfway through, the first attempt hangs, as a worker does when its disk stalls or
its process is frozen. It stops heartbeating, so after the 2-second heartbeat timeout
SWF declares the attempt dead (ActivityTaskTimedOut, HEARTBEAT) and records the last
progress it heard. The activity's ``RetryPolicy`` schedules it again after a durable
1-second wait, and the new attempt reads that progress
(``get_context().decode_heartbeat_details()``) and resumes where the first one
stopped instead of starting over.

Everything runs in this process on an in-memory embedded SWF server; the same code
runs against Amazon SWF without the server and the ``endpoint_url``.

Run it with ``.venv/bin/python examples/heartbeats.py``.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Generator
from typing import Any

from botoflowx import (
    ActivityWorker,
    ThreadedActivityExecutor,
    ThreadedWorkflowExecutor,
    WorkflowDefinition,
    WorkflowWorker,
    activities,
    activity,
    execute,
    get_context,
    make_swf_client,
    workflow_starter,
)
from botoflowx.activity import RetryPolicy
from botoflowx.server import EmbeddedServer

DOMAIN = "examples"
TASK_LIST = "copies"
CHUNKS = 20
HANG_AT = 8


@activities(start_to_close_timeout=300, schedule_to_start_timeout=60)
class CopyActivities:
    def __init__(self) -> None:
        self.attempts = 0
        # Set at the end of the program: lets the stuck first attempt finish (its late
        # answer is refused, since SWF already gave the task to a new attempt).
        self.unfreeze = threading.Event()

    @activity(version="1.0", heartbeat_timeout=2, retry=RetryPolicy(1, maximum_attempts=3))
    def copy_file(self, name: str, chunks: int) -> dict[str, Any]:
        self.attempts += 1
        attempt = self.attempts
        context = get_context()
        progress = context.decode_heartbeat_details(default={"done": 0})
        start = progress["done"]
        if start:
            print(f"[attempt {attempt}] resuming {name} at chunk {start}", flush=True)
        else:
            print(f"[attempt {attempt}] copying {name} from the start", flush=True)
        for chunk in range(start, chunks):
            if attempt == 1 and chunk == HANG_AT:
                print(
                    f"[attempt {attempt}] stuck at chunk {chunk} (no more heartbeats)", flush=True
                )
                self.unfreeze.wait()
                return {"copied": chunk, "late": True}
            time.sleep(0.05)  # copy one chunk
            context.heartbeat({"done": chunk + 1})
        return {"copied": chunks - start, "resumed_at": start, "attempt": attempt}


class CopyWorkflow(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def copy(self, name: str) -> Generator[Any, Any, Any]:
        report = yield CopyActivities.copy_file(name, CHUNKS)
        return report


def main() -> int:
    acts = CopyActivities()
    with EmbeddedServer(database=":memory:") as server:
        common: dict[str, Any] = {"endpoint_url": server.endpoint_url, "register_domain": True}
        deciders = ThreadedWorkflowExecutor(
            WorkflowWorker(None, "us-east-1", DOMAIN, TASK_LIST, CopyWorkflow, **common)
        )
        runners = ThreadedActivityExecutor(
            ActivityWorker(None, "us-east-1", DOMAIN, TASK_LIST, acts, **common)
        )
        deciders.start(pollers=1)
        runners.start(pollers=1, workers=2)
        try:
            with workflow_starter(
                None, "us-east-1", DOMAIN, TASK_LIST, endpoint_url=server.endpoint_url
            ):
                handle = CopyWorkflow.copy("backup.tar")
            report = handle.wait_for_completion(timeout=60)
            print(f"workflow completed: {report}", flush=True)
            swf = make_swf_client(endpoint_url=server.endpoint_url)
            events = swf.get_workflow_execution_history(
                domain=DOMAIN,
                execution={"workflowId": handle.workflow_id, "runId": handle.run_id},
            )["events"]
            for event in events:
                if event["eventType"] == "ActivityTaskTimedOut":
                    attrs = event["activityTaskTimedOutEventAttributes"]
                    print(
                        f"history: ActivityTaskTimedOut ({attrs['timeoutType']}), last "
                        f"heartbeat details {attrs.get('details')}",
                        flush=True,
                    )
        finally:
            acts.unfreeze.set()
            deciders.stop()
            runners.stop()
    deciders.join()
    runners.join()
    expected = {"copied": CHUNKS - HANG_AT, "resumed_at": HANG_AT, "attempt": 2}
    if report != expected:
        print(f"unexpected report {report!r}, expected {expected!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
