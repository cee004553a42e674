"""Hello World, botoflow's first program, end to end on the embedded SWF server.

Starts an embedded SWF-compatible server in this process (in memory), a
workflow worker and an activity worker on thread pools, then starts the
workflow and waits for it. The same code runs against Amazon SWF: drop the
server and the ``endpoint_url``.

Run it with ``.venv/bin/python examples/hello_world.py``; ``make demo`` runs
``botoflowx demo``, which does the same and prints the history.
"""

from __future__ import annotations

import sys

from botoflowx import (
    ActivityWorker,
    ThreadedActivityExecutor,
    ThreadedWorkflowExecutor,
    WorkflowWorker,
    workflow_starter,
)

# The definitions live in the package so `botoflowx demo` and `botoflowx worker
# botoflowx._demo` run the very same code; read them in python/botoflowx/_demo.py.
from botoflowx._demo import HelloWorldActivities, HelloWorldWorkflow
from botoflowx.server import EmbeddedServer


def main() -> int:
    with EmbeddedServer(database=":memory:") as server:
        common = dict(endpoint_url=server.endpoint_url)
        workflows = ThreadedWorkflowExecutor(
            WorkflowWorker(
                None,
                "us-east-1",
                "domain1",
                "tasklist1",
                HelloWorldWorkflow,
                register_domain=True,
                **common,
            )
        )
        activities = ThreadedActivityExecutor(
            ActivityWorker(
                None,
                "us-east-1",
                "domain1",
                "tasklist1",
                HelloWorldActivities(interactive=True),
                register_domain=True,
                **common,
            )
        )
        workflows.start(pollers=1)
        activities.start(pollers=1, workers=2)
        try:
            with workflow_starter(
                None, aws_region="us-east-1", domain="domain1", task_list="tasklist1", **common
            ):
                handle = HelloWorldWorkflow.hello_world()
            print(f"started workflow {handle.workflow_id} (run {handle.run_id})", flush=True)
            result = handle.wait_for_completion(timeout=60)
            print(f"workflow completed: {result}", flush=True)
        finally:
            # Stop polling first; leaving the server block then wakes the polls still
            # waiting (they come back empty), so join() returns without sitting out
            # the 60-second long poll.
            workflows.stop()
            activities.stop()
    workflows.join()
    activities.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
