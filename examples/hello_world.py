"""Hello World, botoflow's first program, end to end on the embedded SWF server.

Starts an embedded SWF-compatible server in this process (in memory), a
workflow worker and an activity worker on thread pools, then starts the
workflow and waits for it. The same code runs against Amazon SWF: drop the
server and the ``endpoint_url``.

Run it with ``make demo`` (or ``.venv/bin/python examples/hello_world.py``).
"""

from __future__ import annotations

import sys

from botoflowx import (
    MINUTES,
    ActivityWorker,
    ThreadedActivityExecutor,
    ThreadedWorkflowExecutor,
    WorkflowDefinition,
    WorkflowWorker,
    activity,
    execute,
    workflow_starter,
)
from botoflowx.server import EmbeddedServer


class HelloWorldActivities:
    @activity(version="1.0", start_to_close_timeout=60)
    def get_name(self) -> str:
        # Ask only when a person is at the keyboard; CI and pipes get "World".
        if sys.stdin.isatty():
            return input("What is your name? ").strip() or "World"
        return "World"

    @activity(version="1.0", start_to_close_timeout=60)
    def print_greeting(self, name: str) -> None:
        print(f"Hello {name}!", flush=True)


class HelloWorldWorkflow(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=1 * MINUTES)
    def hello_world(self):
        name = yield HelloWorldActivities.get_name()
        yield HelloWorldActivities.print_greeting(name)


def main() -> int:
    with EmbeddedServer(database=":memory:") as server:
        common = dict(endpoint_url=server.endpoint_url)
        workflows = ThreadedWorkflowExecutor(
            WorkflowWorker(None, "us-east-1", "domain1", "tasklist1", HelloWorldWorkflow,
                           register_domain=True, **common)
        )
        activities = ThreadedActivityExecutor(
            ActivityWorker(None, "us-east-1", "domain1", "tasklist1", HelloWorldActivities(),
                           register_domain=True, **common)
        )
        workflows.start(pollers=1)
        activities.start(pollers=1, workers=2)
        try:
            with workflow_starter(None, aws_region="us-east-1", domain="domain1",
                                  task_list="tasklist1", **common):
                handle = HelloWorldWorkflow.hello_world()
            print(f"started workflow {handle.workflow_id} (run {handle.run_id})", flush=True)
            handle.wait_for_completion(timeout=60)
            print("workflow completed", flush=True)
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
