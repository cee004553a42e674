"""``botoflowx demo``: Hello World end to end with nothing installed or running beforehand."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from botoflowx._cli._common import EXIT_OK, CliError, format_seconds, non_negative_float
from botoflowx._cli._history import print_timeline, show_value

DEMO_DOMAIN = "botoflowx-demo"
DEMO_TASK_LIST = "hello"
# The port `botoflowx server` listens on by default (the hints use it).
DEFAULT_SERVER_URL = "http://127.0.0.1:9191"


def add_parser(commands: Any, common: list[argparse.ArgumentParser]) -> None:
    """Register ``botoflowx demo``."""
    parser = commands.add_parser(
        "demo",
        parents=common,
        help="run Hello World on an embedded server in this process",
        description=(
            "Start an SWF-compatible server in this process (in memory), a workflow worker "
            "and an activity worker, run Hello World, print its history and the commands to "
            "try next. Needs no AWS account and nothing running."
        ),
    )
    parser.add_argument(
        "--timeout",
        type=non_negative_float,
        default=60.0,
        metavar="SECONDS",
        help="give up waiting for the workflow after this long (default: %(default)s)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the demo and print what happened."""
    from botoflowx._demo import HelloWorldActivities, HelloWorldWorkflow
    from botoflowx.client import workflow_starter
    from botoflowx.replayer import WorkflowReplayer
    from botoflowx.server import EmbeddedServer
    from botoflowx.worker import (
        ActivityWorker,
        ThreadedActivityExecutor,
        ThreadedWorkflowExecutor,
        WorkflowWorker,
    )

    out = sys.stdout
    out.write("botoflowx demo: Hello World on an embedded SWF server, in this process\n\n")
    # Short long polls: stopping the workers at the end then takes a second, not a minute.
    with EmbeddedServer(port=0, database=":memory:", long_poll_seconds=1) as server:
        endpoint = server.endpoint_url
        common: dict[str, Any] = {"endpoint_url": endpoint, "register_domain": True}
        workflows = ThreadedWorkflowExecutor(
            WorkflowWorker(None, None, DEMO_DOMAIN, DEMO_TASK_LIST, HelloWorldWorkflow, **common)
        )
        activities = ThreadedActivityExecutor(
            ActivityWorker(
                None,
                None,
                DEMO_DOMAIN,
                DEMO_TASK_LIST,
                HelloWorldActivities(interactive=True),
                **common,
            )
        )
        out.write(
            f"  server     {endpoint} (SQLite in memory)\n"
            f"  domain     {DEMO_DOMAIN}\n"
            f"  task list  {DEMO_TASK_LIST}\n"
            "  workers    1 workflow worker, 1 activity worker (threads)\n\n"
        )
        out.flush()
        workflows.start(pollers=1)
        activities.start(pollers=1, workers=2)
        try:
            with workflow_starter(
                None, domain=DEMO_DOMAIN, task_list=DEMO_TASK_LIST, endpoint_url=endpoint
            ):
                handle = HelloWorldWorkflow.hello_world()
            out.write(
                f"started HelloWorldWorkflow 1.0: workflow id {handle.workflow_id}\n"
                "activity output:\n"
            )
            out.flush()
            began = time.monotonic()
            try:
                result = handle.wait_for_completion(timeout=args.timeout, poll_interval=0.1)
            except TimeoutError:
                raise CliError(
                    f"Hello World did not finish within {format_seconds(args.timeout)}"
                ) from None
            took = time.monotonic() - began
            out.write(f"\ncompleted in {format_seconds(took)}, result: {show_value(result)}\n\n")
            out.write("What happened, as SWF recorded it (botoflowx history):\n\n")
            replayer = WorkflowReplayer(HelloWorldWorkflow, endpoint_url=endpoint)
            try:
                history = replayer.fetch_history(DEMO_DOMAIN, handle.workflow_id, handle.run_id)
                outcome = replayer.replay(history)
            finally:
                replayer.close()
            print_timeline(history, out)
            out.write(
                f"\nreplayed against the code: {'matches' if outcome.ok else 'MISMATCH'} "
                "(botoflowx replay)\n"
            )
        finally:
            workflows.stop()
            activities.stop()
    workflows.join()
    activities.join()
    out.write(_NEXT_STEPS.format(url=DEFAULT_SERVER_URL))
    out.flush()
    return EXIT_OK


_NEXT_STEPS = """
Try it with a server that keeps running (each block in its own terminal):

  botoflowx server                      # SWF on {url}, stored in SQLite

  export BOTOFLOWX_ENDPOINT_URL={url} BOTOFLOWX_DOMAIN=demo
  botoflowx domain register demo
  botoflowx worker botoflowx._demo --task-list hello

  export BOTOFLOWX_ENDPOINT_URL={url} BOTOFLOWX_DOMAIN=demo
  botoflowx start HelloWorldWorkflow --wait
  botoflowx list --closed
  botoflowx history WORKFLOW_ID
  botoflowx replay botoflowx._demo --workflow-id WORKFLOW_ID

The code is in botoflowx/_demo.py; `botoflowx --help` lists every command.
"""
