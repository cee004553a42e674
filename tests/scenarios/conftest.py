"""The scenario harness: an embedded server with a test clock, a fresh domain, real workers."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pytest

from botoflowx.client import WorkflowExecutionHandle, make_swf_client, workflow_starter
from botoflowx.server import EmbeddedServer
from botoflowx.worker import (
    ActivityWorker,
    ThreadedActivityExecutor,
    ThreadedWorkflowExecutor,
    WorkflowWorker,
)
from botoflowx.workflow._options import workflow_options

REGION = "us-east-1"

# Activity timeouts long enough never to fire by themselves: only the test clock moves
# time, and only when a scenario advances it.
ACTIVITY_TIMEOUTS: dict[str, Any] = {
    "schedule_to_start_timeout": 300,
    "start_to_close_timeout": 300,
    "schedule_to_close_timeout": 600,
    "heartbeat_timeout": 300,
}

# Below both the sticky list's schedule-to-start timeout (5 s) and a decision
# task's start-to-close timeout (30 s): a step taken just as a task was handed
# out leaves it time to be answered.
QUIET_STEP_SECONDS = 4.0


class Scenario:
    """One fresh domain and task list on the server, with workers, a starter and history.

    Args:
        server: the embedded server (its clock is a test clock).
    """

    def __init__(self, server: EmbeddedServer) -> None:
        self.server = server
        self.endpoint_url = server.endpoint_url
        self.domain = f"sc-{uuid.uuid4().hex[:10]}"
        self.task_list = f"tl-{uuid.uuid4().hex[:10]}"
        self.swf = make_swf_client(endpoint_url=self.endpoint_url)

    # -- workers ---------------------------------------------------------------------------

    @contextmanager
    def workers(
        self,
        definitions: Sequence[type],
        activities: Sequence[Any] = (),
        *,
        task_list: str | None = None,
        activity_threads: int = 4,
        **worker_options: Any,
    ) -> Iterator[None]:
        """Run a threaded workflow executor (if any definitions) and an activity executor
        (if any activities) on ``task_list`` for the block.

        ``worker_options`` go to the WorkflowWorker (e.g. ``cache_size=0`` to replay every
        task from the start). Both are stopped and joined on the way out, even when the
        block fails.
        """
        task_list = task_list or self.task_list
        executors: list[Any] = []
        if definitions:
            executors.append(
                ThreadedWorkflowExecutor(
                    WorkflowWorker(
                        None,
                        REGION,
                        self.domain,
                        task_list,
                        *definitions,
                        endpoint_url=self.endpoint_url,
                        register_domain=True,
                        **worker_options,
                    )
                )
            )
        if activities:
            executors.append(
                ThreadedActivityExecutor(
                    ActivityWorker(
                        None,
                        REGION,
                        self.domain,
                        task_list,
                        *activities,
                        endpoint_url=self.endpoint_url,
                        register_domain=True,
                    )
                )
            )
        started: list[Any] = []
        try:
            for executor in executors:
                if isinstance(executor, ThreadedWorkflowExecutor):
                    executor.start(pollers=1, workers=2)
                else:
                    executor.start(pollers=1, workers=activity_threads)
                started.append(executor)
            yield
        finally:
            for executor in started:
                executor.stop()
            stopped = [executor.join(timeout=30) for executor in started]
            for executor in executors:
                executor.worker.close()
            assert all(stopped), "an executor did not stop within 30 s"

    # -- runs --------------------------------------------------------------------------------

    def start(self, call: Callable[[], Any], **options: Any) -> WorkflowExecutionHandle:
        """Start a run: ``call`` invokes an @execute method inside ``workflow_starter``.

        ``options`` are ``workflow_options`` for the start (workflow_id, tag_list, ...).
        """
        with workflow_starter(
            None, REGION, self.domain, self.task_list, endpoint_url=self.endpoint_url
        ):
            with workflow_options(**options):
                handle = call()
        assert isinstance(handle, WorkflowExecutionHandle)
        return handle

    def handle(self, workflow_id: str, run_id: str, definition: type | None = None) -> Any:
        """A handle of an existing run of this domain."""
        return WorkflowExecutionHandle(
            self.swf, self.domain, workflow_id, run_id, definition=definition
        )

    def history(self, handle: Any) -> list[dict[str, Any]]:
        """Every event of the handle's run, in order."""
        events: list[dict[str, Any]] = []
        paginator = self.swf.get_paginator("get_workflow_execution_history")
        for page in paginator.paginate(
            domain=self.domain,
            execution={"workflowId": handle.workflow_id, "runId": handle.run_id},
        ):
            events.extend(page["events"])
        return events

    def event_types(self, handle: Any) -> list[str]:
        """The event types of the handle's run, in order."""
        return [event["eventType"] for event in self.history(handle)]

    def events(self, handle: Any, event_type: str) -> list[dict[str, Any]]:
        """The attributes of every ``event_type`` event of the handle's run."""
        key = event_type[0].lower() + event_type[1:] + "EventAttributes"
        return [
            event.get(key, {}) for event in self.history(handle) if event["eventType"] == event_type
        ]

    def wait_for_event(self, handle: Any, event_type: str, count: int = 1) -> None:
        """Block until the run's history holds ``count`` events of ``event_type``."""
        self.wait_until(
            lambda: self.event_types(handle).count(event_type) >= count,
            f"{count} x {event_type} in the history of {handle.workflow_id}",
        )

    @staticmethod
    def wait_until(predicate: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
        """Poll ``predicate`` until it is true; fail the test after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                pytest.fail(f"timed out after {timeout} s waiting for {what}")
            time.sleep(0.05)

    def advance_clock(self, seconds: float, *, run: Any = None) -> None:
        """Move the server's clock forward, firing what became due.

        With ``run``, the clock moves in steps of at most ``QUIET_STEP_SECONDS``,
        each taken once the run has no decision task open. One long jump would
        time out a task that a timer firing in real time (the test clock also
        ticks) started just before it; short steps between tasks never do.
        """
        if run is None:
            self.server.advance_clock(seconds)
            return
        while seconds > 0:
            self.wait_until(
                lambda: not self.decision_task_open(run),
                f"the decision tasks of {run.workflow_id} to be answered",
            )
            step = min(seconds, QUIET_STEP_SECONDS)
            self.server.advance_clock(step)
            seconds -= step

    def decision_task_open(self, handle: Any) -> bool:
        """True while a decision task of the run is scheduled or started."""
        types = self.event_types(handle)
        closed = types.count("DecisionTaskCompleted") + types.count("DecisionTaskTimedOut")
        return types.count("DecisionTaskScheduled") > closed


@pytest.fixture(scope="module")
def server() -> Iterator[EmbeddedServer]:
    """An in-process embedded server: in memory, 1 s long polls, a test clock."""
    with EmbeddedServer(port=0, database=":memory:", long_poll_seconds=1, test_clock=True) as srv:
        yield srv


@pytest.fixture
def scenario(server: EmbeddedServer) -> Scenario:
    """A fresh domain and task list on the module's server."""
    return Scenario(server)
