"""Worker threads of a test environment: sort definitions from activities, run, stop."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from types import TracebackType
from typing import Any

from botoflowx.worker import (
    ActivityWorker,
    ThreadedActivityExecutor,
    ThreadedWorkflowExecutor,
    WorkflowWorker,
)

__all__ = ["RunningWorkers", "split_workers", "start_workers"]

log = logging.getLogger(__name__)


def is_workflow_definition(obj: Any) -> bool:
    """True for a ``WorkflowDefinition`` subclass with ``@execute`` methods."""
    return isinstance(obj, type) and bool(getattr(obj, "__workflow_types__", None))


def split_workers(workers: Iterable[Any]) -> tuple[list[type], list[Any]]:
    """Split what a user passes into workflow definitions and activity objects.

    Returns:
        ``(definitions, activity_objects)``, each in the given order.

    Raises:
        ValueError: nothing was given.
    """
    definitions: list[type] = []
    activity_objects: list[Any] = []
    for obj in workers:
        (definitions if is_workflow_definition(obj) else activity_objects).append(obj)
    if not definitions and not activity_objects:
        raise ValueError(
            "run_workers() needs WorkflowDefinition subclasses and/or activities objects, "
            "got nothing"
        )
    return definitions, activity_objects


class RunningWorkers:
    """The executors :meth:`WorkflowEnvironment.run_workers` started, until stopped.

    Use it as a context manager to stop the workers at the end of a block;
    otherwise they run until the environment stops.

    Attributes:
        task_list: the task list the workers poll.
        workflow_executor: runs the workflow definitions (None if none were given).
        activity_executor: runs the activities (None if none were given).
    """

    def __init__(
        self,
        task_list: str,
        workflow_executor: ThreadedWorkflowExecutor | None,
        activity_executor: ThreadedActivityExecutor | None,
        *,
        workflow_pollers: int,
        activity_pollers: int,
        on_stopped: Callable[[RunningWorkers], None],
    ) -> None:
        self.task_list = task_list
        self.workflow_executor = workflow_executor
        self.activity_executor = activity_executor
        self._workflow_pollers = workflow_pollers
        self._activity_pollers = activity_pollers
        self._on_stopped = on_stopped
        self._lock = threading.Lock()
        self._stopping = False
        self._stopped = False

    @property
    def executors(self) -> list[ThreadedWorkflowExecutor | ThreadedActivityExecutor]:
        """The executors that run (workflow first)."""
        found: list[ThreadedWorkflowExecutor | ThreadedActivityExecutor] = []
        if self.workflow_executor is not None:
            found.append(self.workflow_executor)
        if self.activity_executor is not None:
            found.append(self.activity_executor)
        return found

    @property
    def stopped(self) -> bool:
        """True once :meth:`stop` (or :meth:`request_stop`) was called."""
        with self._lock:
            return self._stopping

    def expected_pollers(self) -> dict[str, int]:
        """How many long polls these workers keep waiting when idle, by poll kind.

        Returns:
            ``{"decision": n, "activity": m}`` (0 after stop).
        """
        with self._lock:
            if self._stopping:
                return {"decision": 0, "activity": 0}
        return {
            "decision": self._workflow_pollers if self.workflow_executor is not None else 0,
            "activity": self._activity_pollers if self.activity_executor is not None else 0,
        }

    def busy(self) -> bool:
        """True while one of the executors is processing a task."""
        return any(executor.in_flight for executor in self.executors)

    def request_stop(self) -> None:
        """Tell the pollers to stop after their current poll; returns at once."""
        with self._lock:
            if self._stopping:
                return
            self._stopping = True
        # Activities first, as a worker process would: no new activity work while the
        # deciders still answer what is already done.
        for executor in reversed(self.executors):
            executor.stop()

    def join(self, timeout: float = 30.0) -> bool:
        """Wait for the pollers and tasks in flight, then close the workers' connections.

        Args:
            timeout: seconds to wait per executor.

        Returns:
            True when everything stopped in time; False leaves a stuck executor
            running (its threads are daemons) and logs which one.
        """
        stopped = True
        for executor in reversed(self.executors):
            if not executor.join(timeout=timeout):
                stopped = False
                log.warning(
                    "%s executor on task list %s did not stop within %.0f s (a task is still "
                    "running)",
                    executor.kind,
                    self.task_list,
                    timeout,
                )
        with self._lock:
            first_time = not self._stopped
            self._stopped = True
        if first_time:
            for executor in self.executors:
                _close_worker(executor)
            self._on_stopped(self)
        return stopped

    def stop(self, timeout: float = 30.0) -> None:
        """Stop polling, wait for tasks in flight and close the connections.

        Args:
            timeout: seconds to wait per executor.

        Raises:
            RuntimeError: an executor did not stop within ``timeout``.
        """
        self.request_stop()
        if not self.join(timeout):
            raise RuntimeError(
                f"workers on task list {self.task_list} did not stop within {timeout} s: "
                "an activity or decision is still running"
            )

    def __enter__(self) -> RunningWorkers:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_workers(
    *,
    definitions: Sequence[type],
    activity_objects: Sequence[Any],
    make_workflow_worker: Callable[..., WorkflowWorker],
    make_activity_worker: Callable[..., ActivityWorker],
    task_list: str,
    decider_pollers: int,
    decider_threads: int | None,
    activity_pollers: int,
    activity_threads: int | None,
    on_stopped: Callable[[RunningWorkers], None],
) -> RunningWorkers:
    """Build and start the executors for ``definitions`` and ``activity_objects``.

    Raises:
        ValueError: a poller or thread count is below 1, or a worker rejects what
            it was given.
        botocore.exceptions.ClientError: registering the types failed.
    """
    workflow_executor = activity_executor = None
    try:
        if definitions:
            workflow_executor = ThreadedWorkflowExecutor(
                make_workflow_worker(*definitions, task_list=task_list)
            )
            workflow_executor.start(pollers=decider_pollers, workers=decider_threads)
        if activity_objects:
            activity_executor = ThreadedActivityExecutor(
                make_activity_worker(*activity_objects, task_list=task_list)
            )
            activity_executor.start(pollers=activity_pollers, workers=activity_threads)
    except BaseException:
        for executor in (activity_executor, workflow_executor):
            if executor is not None:
                executor.stop(wait=True, timeout=30)
                _close_worker(executor)
        raise
    # A poller holds a task slot while it polls, so no more than the slot count poll at once.
    return RunningWorkers(
        task_list,
        workflow_executor,
        activity_executor,
        workflow_pollers=min(decider_pollers, decider_threads or decider_pollers),
        activity_pollers=min(activity_pollers, activity_threads or activity_pollers),
        on_stopped=on_stopped,
    )


def _close_worker(executor: ThreadedWorkflowExecutor | ThreadedActivityExecutor) -> None:
    # The executor types its worker by the polling protocol only; ours have close().
    worker: Any = executor.worker
    worker.close()
