"""WorkflowEnvironment: an in-process server, workers on threads and time skipping, for tests."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from botoflowx.client import make_swf_client
from botoflowx.client._slot import installed_context
from botoflowx.server import EmbeddedServer
from botoflowx.testing._starting import EnvironmentStarter, TestWorkflowHandle, resolve_execute
from botoflowx.testing._time_skipping import DEFAULT_CHECK_INTERVAL, TimeSkipper
from botoflowx.testing._workers import RunningWorkers, split_workers, start_workers
from botoflowx.worker import ActivityWorker, WorkflowWorker

__all__ = ["WorkflowEnvironment"]

log = logging.getLogger(__name__)

DEFAULT_DOMAIN = "botoflowx-test"
DEFAULT_TASK_LIST = "botoflowx-test"
DEFAULT_REGION = "us-east-1"
# Short long polls: stopping workers waits for the polls in flight to come back, so
# this bounds how long leaving a ``with env.run_workers(...)`` block can take.
DEFAULT_LONG_POLL_SECONDS = 1.0
# SWF's longest retention. Closed runs are deleted when it ends; with a clock that
# jumps by days, a short retention would delete histories a test still reads.
DEFAULT_RETENTION_DAYS = 90
# How long stopping waits for each executor's tasks in flight.
DEFAULT_SHUTDOWN_TIMEOUT = 30.0


class WorkflowEnvironment:
    """An embedded SWF server in this process, workers on threads, and a clock tests control.

    It starts an :class:`~botoflowx.server.EmbeddedServer` on a free loopback port
    with an in-memory database and a test clock, registers a domain, runs the
    workflow definitions and activities it is given on worker threads, and tears
    all of it down at the end. Named after Temporal's ``WorkflowEnvironment``
    (``start_time_skipping()``), which needs a separate Java test server; this one
    is the project's own server and runs wherever Python does.

    Example::

        with WorkflowEnvironment(HelloWorkflow, HelloActivities()) as env:
            handle = env.start_workflow(HelloWorkflow.hello, "World")
            assert handle.result(timeout=10) == "Hello World!"

    **Time skipping** (on by default): while a test waits for a run's result
    (``handle.result()`` on a handle from :meth:`start_workflow` or
    :meth:`starter`) and the whole server is idle, the clock jumps to the next
    due timer or timeout, so ``yield workflow_time.sleep(DAYS)`` finishes in
    milliseconds. Idle means no decision or activity task is scheduled, started
    or being completed anywhere on the server, and every worker this
    environment runs waits in a long poll. An activity that is running is a
    started task, so time never jumps under it and its start-to-close or
    heartbeat timeout fires only if real time runs out. A task nobody polls for
    (another task list, a manual activity) also keeps the clock from jumping.
    As in Temporal's time-skipping server, time does not jump while nobody
    waits for a result, so a test can start a run and then signal it without
    racing the run's timers; :meth:`auto_time_skipping_disabled` holds it back
    even during a wait. With ``time_skipping=False`` the clock runs at real
    speed; :meth:`advance_clock` moves it by hand in both modes.

    Args:
        *workers: workflow definitions and activities objects to run from the
            start (see :meth:`run_workers`).
        time_skipping: jump the clock to the next due time while a test waits
            for a result and all is idle.
        domain: the domain to register and work in.
        task_list: the default task list of workers and starts.
        region: the region the server sees.
        data_converter: the default converter for starts and results.
        long_poll_seconds: how long an empty poll waits on the server.
        retention_days: the domain's retention of closed runs (days, 0 to 90).
        shutdown_timeout: seconds :meth:`stop` waits for each executor's tasks.
    """

    def __init__(
        self,
        *workers: Any,
        time_skipping: bool = True,
        domain: str = DEFAULT_DOMAIN,
        task_list: str = DEFAULT_TASK_LIST,
        region: str = DEFAULT_REGION,
        data_converter: Any = None,
        long_poll_seconds: float = DEFAULT_LONG_POLL_SECONDS,
        retention_days: int = DEFAULT_RETENTION_DAYS,
        shutdown_timeout: float = DEFAULT_SHUTDOWN_TIMEOUT,
    ) -> None:
        if not 0 <= retention_days <= DEFAULT_RETENTION_DAYS:
            raise ValueError(f"retention_days must be in 0..90, not {retention_days!r}")
        if workers:
            split_workers(workers)  # reject a bad argument now, not at start()
        self.domain = domain
        self.task_list = task_list
        self.region = region
        self.data_converter = data_converter
        self.time_skipping = time_skipping
        self.shutdown_timeout = shutdown_timeout
        self._initial_workers = workers
        self._long_poll_seconds = long_poll_seconds
        self._retention_days = retention_days
        self._lock = threading.RLock()
        self._server: EmbeddedServer | None = None
        self._client: Any = None
        self._skipper: TimeSkipper | None = None
        self._groups: list[RunningWorkers] = []
        self._loose_workers: list[WorkflowWorker | ActivityWorker] = []

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> WorkflowEnvironment:
        """Start the server, register the domain, start the workers and time skipping.

        Returns:
            self.

        Raises:
            RuntimeError: the environment is already running.
            botocore.exceptions.ClientError: registering the domain or types failed.
        """
        with self._lock:
            if self._server is not None:
                raise RuntimeError("this WorkflowEnvironment is already running")
            server = EmbeddedServer(
                port=0,
                database=":memory:",
                long_poll_seconds=self._long_poll_seconds,
                test_clock=True,
            ).start()
            self._server = server
        try:
            self._client = make_swf_client(None, self.region, server.endpoint_url)
            self._client.register_domain(
                name=self.domain,
                description="registered by botoflowx.testing",
                workflowExecutionRetentionPeriodInDays=str(self._retention_days),
            )
            if self._initial_workers:
                self.run_workers(*self._initial_workers)
            if self.time_skipping:
                skipper = TimeSkipper(server.engine, self._workers_ready, DEFAULT_CHECK_INTERVAL)
                skipper.start()
                self._skipper = skipper
        except BaseException:
            self.stop()
            raise
        log.debug("test environment running on %s", server.endpoint_url)
        return self

    def stop(self) -> None:
        """Stop time skipping, the workers and the server; safe to call more than once.

        Raises:
            RuntimeError: a worker did not finish its task within
                ``shutdown_timeout`` (everything else was still torn down).
        """
        with self._lock:
            server, self._server = self._server, None
            skipper, self._skipper = self._skipper, None
            groups, self._groups = list(self._groups), []
            loose, self._loose_workers = self._loose_workers, []
            client, self._client = self._client, None
        if server is None:
            return
        if skipper is not None:
            skipper.stop()
        for group in groups:
            group.request_stop()
        # Closing the server answers the polls in flight at once, so the pollers can
        # see that they were stopped without waiting out their long polls.
        server.stop()
        stuck = [group.task_list for group in groups if not group.join(self.shutdown_timeout)]
        for worker in loose:
            worker.close()
        if client is not None:
            client.close()
        if stuck:
            raise RuntimeError(
                f"workers on task list(s) {', '.join(stuck)} did not stop within "
                f"{self.shutdown_timeout} s: a task was still running"
            )

    def __enter__(self) -> WorkflowEnvironment:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.stop()
        except RuntimeError:
            if exc is None:
                raise
            # The block's own error explains more than a worker that did not stop.
            log.warning("tearing down the test environment", exc_info=True)

    # -- what tests use ----------------------------------------------------------------------

    @property
    def server(self) -> EmbeddedServer:
        """The running embedded server.

        Raises:
            RuntimeError: the environment is not running.
        """
        server = self._server
        if server is None:
            raise RuntimeError("the WorkflowEnvironment is not running: use it in a with block")
        return server

    @property
    def endpoint_url(self) -> str:
        """The server's URL (``boto3.client("swf", endpoint_url=...)``)."""
        return self.server.endpoint_url

    @property
    def client(self) -> Any:
        """A boto3 SWF client for the server."""
        client = self._client
        if client is None or self._server is None:
            raise RuntimeError("the WorkflowEnvironment is not running: use it in a with block")
        return client

    def run_workers(
        self,
        *workers: Any,
        task_list: str | None = None,
        decider_pollers: int = 1,
        decider_threads: int | None = None,
        activity_pollers: int = 1,
        activity_threads: int | None = 4,
    ) -> RunningWorkers:
        """Register and run workflow definitions and activities on worker threads.

        ``WorkflowDefinition`` subclasses go to a workflow worker, everything else
        (activities objects, or ``@activities`` classes, instantiated without
        arguments) to an activity worker, both on ``task_list``. They run until
        the returned object is stopped (it is a context manager) or the
        environment stops.

        Args:
            *workers: definitions and activities objects.
            task_list: the task list to poll (default: the environment's).
            decider_pollers: threads long-polling for decision tasks.
            decider_threads: decision tasks handled at once (default: pollers).
            activity_pollers: threads long-polling for activity tasks.
            activity_threads: activities run at once.

        Returns:
            The running workers.

        Raises:
            ValueError: nothing usable was given, or a count is below 1.
            botocore.exceptions.ClientError: registering the types failed.
        """
        definitions, activity_objects = split_workers(workers)
        if self._server is None:
            raise RuntimeError("the WorkflowEnvironment is not running: use it in a with block")
        group = start_workers(
            definitions=definitions,
            activity_objects=activity_objects,
            make_workflow_worker=self._new_workflow_worker,
            make_activity_worker=self._new_activity_worker,
            task_list=task_list or self.task_list,
            decider_pollers=decider_pollers,
            decider_threads=decider_threads,
            activity_pollers=activity_pollers,
            activity_threads=activity_threads,
            on_stopped=self._forget,
        )
        with self._lock:
            if self._server is None:  # stopped meanwhile by another thread
                group.request_stop()
                group.join(self.shutdown_timeout)
                raise RuntimeError("the WorkflowEnvironment stopped while workers were starting")
            self._groups.append(group)
        return group

    def workflow_worker(self, *definitions: type, task_list: str | None = None) -> WorkflowWorker:
        """Build (not start) a workflow worker on this environment, for tests that drive it.

        The environment closes it when it stops. Time skipping does not know about
        it: run it with ``run_once()`` or stop skipping while its executor polls.
        """
        worker = self._new_workflow_worker(*definitions, task_list=task_list or self.task_list)
        with self._lock:
            self._loose_workers.append(worker)
        return worker

    def activity_worker(self, *objects: Any, task_list: str | None = None) -> ActivityWorker:
        """Build (not start) an activity worker on this environment.

        See :meth:`workflow_worker`.
        """
        worker = self._new_activity_worker(*objects, task_list=task_list or self.task_list)
        with self._lock:
            self._loose_workers.append(worker)
        return worker

    @contextmanager
    def starter(self, task_list: str | None = None) -> Iterator[EnvironmentStarter]:
        """A ``workflow_starter`` block on this environment: ``Workflow.method(...)`` starts a run.

        Runs get :class:`~botoflowx.testing.TestWorkflowHandle` handles, whose
        ``result()`` lets time skip while it waits.

        Args:
            task_list: the default task list of the runs (default: the environment's).

        Yields:
            The starter context.
        """
        starter = EnvironmentStarter(
            self.client,
            self.domain,
            task_list or self.task_list,
            self.data_converter,
            wait_context=self._result_wait,
        )
        with installed_context(starter):
            yield starter

    def start_workflow(
        self, method: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> TestWorkflowHandle:
        """Start a run of ``Workflow.method`` with ``args`` and ``kwargs``.

        Options come from the ``@execute`` declaration and any enclosing
        ``workflow_options(...)`` block, as with ``workflow_starter``.

        Args:
            method: the ``@execute`` method, written ``Workflow.method``.
            *args: the run's positional input.
            **kwargs: the run's keyword input.

        Returns:
            The run's handle.

        Raises:
            TypeError: ``method`` is not an ``@execute`` method (or is inherited by
                several definitions: use :meth:`starter` then).
            botocore.exceptions.ClientError: SWF refused to start the run.
        """
        definition_cls, meta = resolve_execute(method)
        with self.starter() as starter:
            return starter.start_workflow(definition_cls, meta, args, kwargs)

    def history(self, handle: Any) -> list[dict[str, Any]]:
        """Return every event of a run, oldest first.

        Args:
            handle: a workflow handle, or anything with ``workflow_id`` and ``run_id``.
        """
        events: list[dict[str, Any]] = []
        paginator = self.client.get_paginator("get_workflow_execution_history")
        for page in paginator.paginate(
            domain=self.domain,
            execution={"workflowId": handle.workflow_id, "runId": handle.run_id},
        ):
            events.extend(page["events"])
        return events

    # -- the clock ---------------------------------------------------------------------------

    def now(self) -> float:
        """The server clock's time (epoch seconds): what workflows see as the time."""
        return float(self.server.engine.now())

    def advance_clock(self, seconds: float) -> float:
        """Move the server clock forward and fire whatever became due.

        Works with and without time skipping.

        Args:
            seconds: how far to move (>= 0).

        Returns:
            The server's new time (epoch seconds).
        """
        return self.server.advance_clock(seconds)

    @contextmanager
    def auto_time_skipping_disabled(self) -> Iterator[None]:
        """Skip no time inside the block, even while a test waits for a result.

        As Temporal's method of this name. Once the block is entered no jump is
        in progress. Without time skipping this does nothing.
        """
        skipper = self._skipper
        if skipper is None:
            yield
            return
        with skipper.paused():
            yield

    @contextmanager
    def _result_wait(self) -> Iterator[None]:
        """Unlock time skipping while a test handle waits for its run's result."""
        skipper = self._skipper
        if skipper is None:
            yield
            return
        with skipper.unlocked():
            yield

    @property
    def skipped_seconds(self) -> float:
        """How far time skipping has moved the clock so far (seconds)."""
        skipper = self._skipper
        return 0.0 if skipper is None else skipper.skipped_seconds

    # -- internals ---------------------------------------------------------------------------

    def _new_workflow_worker(self, *definitions: type, task_list: str) -> WorkflowWorker:
        return WorkflowWorker(
            None,
            self.region,
            self.domain,
            task_list,
            *definitions,
            endpoint_url=self.endpoint_url,
        )

    def _new_activity_worker(self, *objects: Any, task_list: str) -> ActivityWorker:
        return ActivityWorker(
            None,
            self.region,
            self.domain,
            task_list,
            *objects,
            endpoint_url=self.endpoint_url,
        )

    def _forget(self, group: RunningWorkers) -> None:
        with self._lock:
            if group in self._groups:
                self._groups.remove(group)

    def _workers_ready(self) -> bool:
        """True when every running worker waits in a long poll (the skipper's second test)."""
        with self._lock:
            groups = list(self._groups)
            server = self._server
        if server is None:
            return False
        expected = {"decision": 0, "activity": 0}
        for group in groups:
            if group.busy():
                return False
            for kind, count in group.expected_pollers().items():
                expected[kind] += count
        engine = server.engine
        return all(
            engine.waiting_pollers(kind, self.domain, None, self.region) >= count
            for kind, count in expected.items()
            if count
        )
