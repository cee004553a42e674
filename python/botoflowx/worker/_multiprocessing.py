"""Multiprocessing executors: a worker served by child processes, safe under ``spawn``.

Each child process receives a pickled copy of the worker (a worker pickles as its
constructor call, so it rebuilds its own clients, caches and locks) and serves it with
a threaded executor until the parent asks it to stop. Nothing here relies on ``fork``:
the process target is a module-level function and the definitions and activity
objects travel by reference or by value, so the executors work under every start
method, including ``spawn`` (the default here, and on macOS and Windows).

Programs that start them under ``spawn`` or ``forkserver`` need the usual
``if __name__ == "__main__":`` guard, and their definitions must live in importable
modules.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import time
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any

from botoflowx.worker._executor import ThreadedActivityExecutor, ThreadedWorkflowExecutor

__all__ = ["MultiprocessingActivityExecutor", "MultiprocessingWorkflowExecutor"]

log = logging.getLogger(__name__)

DEFAULT_START_METHOD = "spawn"
# How long a child waits for its tasks in flight after being asked to stop.
CHILD_DRAIN_SECONDS = 120.0
# How long start() waits for every child to be polling (a spawned child imports the
# program's modules and registers the worker's types first).
STARTUP_SECONDS = 120.0
_STARTUP_CHECK = 0.05


def _serve(
    worker: Any, kind: str, threads: int, stop: Any, ready: Any, drain_seconds: float
) -> None:
    """The child process: serve ``worker`` on a threaded executor until ``stop`` is set.

    Module level on purpose: ``spawn`` pickles the target by reference. ``ready`` is
    set once the executor polls, so the parent can tell a child that came up from one
    that died on the way (its traceback goes to the child's stderr).
    """

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        # Leave the wait below so the finally block stops polling and drains.
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, on_sigterm)
    executor_cls = ThreadedWorkflowExecutor if kind == "workflow" else ThreadedActivityExecutor
    executor = executor_cls(worker)
    executor.start(pollers=1, workers=threads)
    ready.set()
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass  # Ctrl-C reaches the whole process group: stop cleanly like the parent
    finally:
        executor.stop()
        if not executor.join(drain_seconds):
            log.warning(
                "%s process: tasks still in flight after %.0f s; exiting anyway",
                kind,
                drain_seconds,
            )
        worker.close()


class MultiprocessingExecutor:
    """Serves a worker from child processes, each polling and running its own tasks.

    A task is polled and run in the same process, so no task is ever held by a
    process that has no free thread for it, and CPU-bound activities or decisions run
    in parallel beyond the GIL.

    Args:
        worker: The workflow or activity worker to serve; it is pickled into every
            child (see ``BaseWorker.__reduce__``), so its constructor arguments must
            pickle: definitions and ``get_workflow`` functions from importable
            modules, activity objects that pickle.
        start_method: The multiprocessing start method (default ``"spawn"``; None
            means the platform's default).
        drain_seconds: How long a stopping child waits for its tasks in flight.
        startup_seconds: How long :meth:`start` waits for every child to be polling.
    """

    kind = "worker"

    def __init__(
        self,
        worker: Any,
        *,
        start_method: str | None = DEFAULT_START_METHOD,
        drain_seconds: float = CHILD_DRAIN_SECONDS,
        startup_seconds: float = STARTUP_SECONDS,
    ) -> None:
        self.worker = worker
        self.start_method = start_method
        self.drain_seconds = drain_seconds
        self.startup_seconds = startup_seconds
        self._context: BaseContext = multiprocessing.get_context(start_method)
        self._processes: list[BaseProcess] = []
        self._pids: list[int] = []
        self._stop: Any = None

    def start(self, pollers: int = 1, workers: int | None = None) -> None:
        """Register the worker's types (in this process) and start the child processes.

        Returns once every child is polling.

        Args:
            pollers: Child processes, each with one long-poller.
            workers: Tasks run at once over all children (spread evenly, each
                child running at least one); defaults to ``pollers``.

        Raises:
            RuntimeError: The executor is already running.
            ValueError: ``pollers`` is below 1 or ``workers`` below ``pollers``.
            botocore.exceptions.ClientError: Registration failed.
            pickle.PicklingError, TypeError, AttributeError: The worker cannot be
                sent to a child process (e.g. a definition defined inside a function).
            ChildProcessError: A child died before it was polling (e.g. it could not
                import a definition's module); the others are stopped.
            TimeoutError: A child was not polling within ``startup_seconds``.
        """
        if pollers < 1:
            raise ValueError(f"pollers must be >= 1, got {pollers}")
        workers = pollers if workers is None else workers
        if workers < pollers:
            raise ValueError(
                f"workers ({workers}) must be at least pollers ({pollers}): every process "
                "runs at least one task at a time"
            )
        if self._processes:
            raise RuntimeError(
                f"this {self.kind} executor is already running (or stopped but not yet "
                "joined): call stop() and join() before starting it again"
            )
        # Registration errors (no domain, bad credentials) belong to the caller, once.
        self.worker.ensure_registered()
        stop = self._context.Event()
        processes: list[BaseProcess] = []
        readiness: list[Any] = []
        try:
            for index in range(pollers):
                threads = workers // pollers + (1 if index < workers % pollers else 0)
                ready = self._context.Event()
                # Every concrete context has Process; typeshed's BaseContext does not say so.
                process = self._context.Process(  # type: ignore[attr-defined]
                    target=_serve,
                    args=(self.worker, self.kind, threads, stop, ready, self.drain_seconds),
                    name=f"botoflowx-{self.kind}-{index}",
                    daemon=True,
                )
                process.start()
                processes.append(process)
                readiness.append(ready)
            self._wait_until_polling(processes, readiness)
        except BaseException:
            stop.set()
            for process in processes:
                process.join(self.drain_seconds)
                if process.is_alive():
                    process.terminate()
                    process.join()
            raise
        self._stop = stop
        self._processes = processes
        self._pids = [process.pid for process in processes if process.pid is not None]
        log.info(
            "%s executor started %d process(es) on task list %s (%s), %d task(s) at once",
            self.kind,
            pollers,
            self.worker.task_list,
            self.start_method or multiprocessing.get_start_method(),
            workers,
        )

    def _wait_until_polling(self, processes: list[BaseProcess], readiness: list[Any]) -> None:
        deadline = time.monotonic() + self.startup_seconds
        for process, ready in zip(processes, readiness, strict=True):
            while not ready.wait(_STARTUP_CHECK):
                if not process.is_alive():
                    raise ChildProcessError(
                        f"{process.name} exited with code {process.exitcode} before it was "
                        "polling; its error is on its stderr (a module it could not import, "
                        "a registration that failed...)"
                    )
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"{process.name} was not polling after {self.startup_seconds} s"
                    )

    def stop(self, *, wait: bool = False, timeout: float | None = None) -> bool:
        """Ask the children to stop polling; their tasks in flight still finish.

        Args:
            wait: Block until the children exited (same as :meth:`join`).
            timeout: With ``wait``, give up waiting after this many seconds.

        Returns:
            True when no child is running any more.
        """
        if self._stop is not None:
            self._stop.set()
        if wait:
            return self.join(timeout)
        return not self.is_running

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the children to exit (they exit only after :meth:`stop`).

        Args:
            timeout: Seconds to wait at most; None waits without limit.

        Returns:
            True when every child exited, False when ``timeout`` ran out.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        for process in list(self._processes):
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            process.join(remaining)
            if process.is_alive():
                return False
        for process in self._processes:
            if process.exitcode not in (0, None):
                log.warning("%s exited with code %s", process.name, process.exitcode)
        self._processes = []
        self._stop = None
        return True

    def terminate(self) -> None:
        """Stop the children at once (SIGTERM): they stop polling and drain, then exit."""
        for process in self._processes:
            if process.is_alive():
                process.terminate()

    @property
    def is_running(self) -> bool:
        """True while a child process is alive."""
        return any(process.is_alive() for process in self._processes)

    @property
    def pids(self) -> list[int]:
        """The process ids of the children started by the last :meth:`start`."""
        return list(self._pids)


class MultiprocessingWorkflowExecutor(MultiprocessingExecutor):
    """Serves a :class:`WorkflowWorker` (or GenericWorkflowWorker) from child processes.

    Example::

        if __name__ == "__main__":
            executor = MultiprocessingWorkflowExecutor(
                WorkflowWorker(None, "us-east-1", "domain", "tasks", OrderWorkflow)
            )
            executor.start(pollers=2)
            ...
            executor.stop()
            executor.join()
    """

    kind = "workflow"


class MultiprocessingActivityExecutor(MultiprocessingExecutor):
    """Serves an :class:`ActivityWorker` from child processes (activities beyond the GIL)."""

    kind = "activity"
