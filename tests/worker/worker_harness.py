"""A harness running real workers on an SWF endpoint: fresh domain, executors, starter."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from botoflowx.client import WorkflowExecutionHandle, make_swf_client, workflow_starter
from botoflowx.worker import (
    ActivityWorker,
    ThreadedActivityExecutor,
    ThreadedWorkflowExecutor,
    WorkflowWorker,
)

REGION = "us-east-1"


class Harness:
    """One fresh domain and task list on a server, with helpers to run workers and start runs."""

    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url
        self.domain = f"wk-{uuid.uuid4().hex[:10]}"
        self.task_list = f"tl-{uuid.uuid4().hex[:10]}"
        self.swf = make_swf_client(endpoint_url=endpoint_url)

    def workflow_worker(self, *definitions: type) -> WorkflowWorker:
        return WorkflowWorker(
            None,
            REGION,
            self.domain,
            self.task_list,
            *definitions,
            endpoint_url=self.endpoint_url,
            register_domain=True,
        )

    def activity_worker(self, *objects: Any) -> ActivityWorker:
        return ActivityWorker(
            None,
            REGION,
            self.domain,
            self.task_list,
            *objects,
            endpoint_url=self.endpoint_url,
            register_domain=True,
        )

    @contextmanager
    def workers(
        self,
        definitions: Sequence[type],
        activities: Sequence[Any],
        *,
        decider_pollers: int = 1,
        decider_threads: int | None = None,
        activity_pollers: int = 1,
        activity_threads: int = 4,
    ) -> Iterator[tuple[ThreadedWorkflowExecutor, ThreadedActivityExecutor]]:
        """Run a workflow executor and an activity executor for the block."""
        deciders = ThreadedWorkflowExecutor(self.workflow_worker(*definitions))
        runners = ThreadedActivityExecutor(self.activity_worker(*activities))
        deciders.start(pollers=decider_pollers, workers=decider_threads)
        try:
            runners.start(pollers=activity_pollers, workers=activity_threads)
            try:
                yield deciders, runners
            finally:
                runners.stop()
                assert runners.join(timeout=30), "activity executor did not stop"
        finally:
            deciders.stop()
            assert deciders.join(timeout=30), "workflow executor did not stop"
            deciders.worker.close()
            runners.worker.close()

    def start(self, call: Callable[[], Any]) -> WorkflowExecutionHandle:
        """Start a run: ``call`` invokes an @execute method inside workflow_starter.

        The method must be looked up inside the block (``lambda: Wf.run(1)``),
        because that is when the @execute descriptor sees the starter.
        """
        with workflow_starter(
            None, REGION, self.domain, self.task_list, endpoint_url=self.endpoint_url
        ):
            handle = call()
        assert isinstance(handle, WorkflowExecutionHandle)
        return handle

    def history(self, handle: WorkflowExecutionHandle) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        paginator = self.swf.get_paginator("get_workflow_execution_history")
        for page in paginator.paginate(
            domain=self.domain,
            execution={"workflowId": handle.workflow_id, "runId": handle.run_id},
        ):
            events.extend(page["events"])
        return events
