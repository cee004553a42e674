"""Threaded executors: long-polling threads feeding a thread pool, with backpressure."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from botoflowx._slots import Slots
from botoflowx.client._backoff import Backoff

log = logging.getLogger(__name__)

TaskT = TypeVar("TaskT")

# How often a poller waiting for a free slot checks for stop(); short enough
# that stop() is noticed promptly, long enough to cost nothing.
_SLOT_WAIT = 0.2
# Backoff after a failed poll: SWF throttles polls per account, so back off hard.
_POLL_BACKOFF_BASE = 0.2
_POLL_BACKOFF_CAP = 30.0


class PollingWorker(Protocol[TaskT]):
    """What an executor needs from a worker."""

    task_list: str

    def ensure_registered(self) -> None:
        """Register the worker's domain/types once."""

    def prepare(self) -> None:
        """Build what polling needs, before the first poll."""

    def poll(self) -> TaskT | None:
        """Long-poll for one task; None when the poll came back empty."""

    def handle(self, task: TaskT) -> None:
        """Process one task to its end (answer SWF or deliberately not)."""


@dataclass(frozen=True)
class PollLane:
    """Pollers of one task list and the execution slots reserved for their tasks.

    Attributes:
        name: What the lane polls, for thread names and logs (e.g. ``"sticky"``).
        poll: Long-polls once; returns a task or None.
        pollers: Poller threads.
        slots: Tasks of this lane run at once (each poller takes a slot first).
    """

    name: str
    poll: Callable[[], Any]
    pollers: int
    slots: int


class ThreadedExecutor(Generic[TaskT]):
    """Runs a worker on poller threads and a ``ThreadPoolExecutor``.

    Each poller takes a free execution slot before it polls, so the executor
    never receives a task it has no thread for (a task held while waiting
    for a thread would burn its start-to-close timeout). The task is then run
    on the pool, or on the poller's own thread when its lane has no more slots
    than pollers, and the slot is given back when it finishes.

    Nothing stops a poller but :meth:`stop`: exceptions from polling are logged
    and retried with backoff, exceptions from a task are logged and the next
    task is polled.

    Args:
        worker: The workflow or activity worker to run.
    """

    kind = "worker"

    def __init__(self, worker: PollingWorker[TaskT]) -> None:
        self.worker = worker
        self._state_lock = threading.Lock()
        self._stopping = threading.Event()
        self._pollers: list[threading.Thread] = []
        self._pool: ThreadPoolExecutor | None = None
        self._in_flight = 0
        self._idle = threading.Condition(self._state_lock)
        # Threads in join() waiting on _idle: a finished task notifies only then
        # (Condition.notify_all costs a few microseconds even with nobody waiting).
        self._joining = 0

    # -- lifecycle ------------------------------------------------------------------------

    def start(self, pollers: int = 1, workers: int | None = None) -> None:
        """Register the worker's types (first start only) and start polling.

        Args:
            pollers: Threads that long-poll SWF.
            workers: Tasks run at once (pool size and number of slots);
                defaults to ``pollers``.

        Raises:
            RuntimeError: The executor is already running.
            ValueError: ``pollers`` or ``workers`` is below 1, or the worker's
                endpoint or proxy URL is unusable.
            OSError: The worker's CA bundle cannot be read.
            botocore.exceptions.ClientError: Registration failed.
        """
        if pollers < 1:
            raise ValueError(f"pollers must be >= 1, got {pollers}")
        workers = pollers if workers is None else workers
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        with self._state_lock:
            if self._pollers:
                raise RuntimeError(
                    f"this {self.kind} executor is already running (or stopped but not yet "
                    "joined): call stop() and join() before starting it again"
                )
        # Registration errors (no domain, bad credentials) and unusable
        # endpoint or proxy settings belong to the caller.
        self.worker.ensure_registered()
        self.worker.prepare()
        lanes = self._lanes(pollers, workers)
        with self._state_lock:
            self._stopping.clear()
            self._pool = ThreadPoolExecutor(
                max_workers=sum(lane.slots for lane in lanes),
                thread_name_prefix=f"botoflowx-{self.kind}-task",
            )
            pool = self._pool
            # One set of slots per lane, shared by the lane's pollers.
            lane_slots = [(lane, Slots(lane.slots)) for lane in lanes]
            self._pollers = [
                threading.Thread(
                    target=self._poll_loop,
                    args=(lane, slots, pool),
                    name=f"botoflowx-{self.kind}-{lane.name}-poller-{index}",
                    daemon=True,
                )
                for lane, slots in lane_slots
                for index in range(lane.pollers)
            ]
            threads = list(self._pollers)
        for thread in threads:
            thread.start()
        log.info(
            "%s executor started on task list %s: %s",
            self.kind,
            self.worker.task_list,
            ", ".join(
                f"{lane.name}: {lane.pollers} poller(s), {lane.slots} slot(s)" for lane in lanes
            ),
        )

    def _lanes(self, pollers: int, workers: int) -> list[PollLane]:
        """The task lists to poll: by default only the worker's own (subclasses add more)."""
        return [PollLane("shared", self.worker.poll, pollers, workers)]

    def stop(self, *, wait: bool = False, timeout: float | None = None) -> bool:
        """Stop polling; polls and tasks in flight still finish.

        A poll in flight is never cut off: SWF may be handing it a task, and a
        poll aborted at that moment loses the task until it times out.

        Args:
            wait: Block until the pollers and tasks in flight are done
                (same as calling :meth:`join`).
            timeout: With ``wait``, give up waiting after this many seconds.

        Returns:
            True when nothing is running any more (without ``wait``: only if
            nothing was in flight at the time of the call).
        """
        self._stopping.set()
        if wait:
            return self.join(timeout)
        return not self.is_running

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the pollers to exit and the tasks in flight to finish.

        Pollers exit only after :meth:`stop`; without it this waits forever
        (or for ``timeout``).

        Args:
            timeout: Seconds to wait at most; None waits without limit.

        Returns:
            True when everything finished, False when ``timeout`` ran out.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._state_lock:
            pollers = list(self._pollers)
        for thread in pollers:
            thread.join(_remaining(deadline))
            if thread.is_alive():
                return False
        with self._idle:
            while self._in_flight:
                remaining = _remaining(deadline)
                if remaining is not None and remaining <= 0:
                    return False
                self._joining += 1
                try:
                    self._idle.wait(remaining)
                finally:
                    self._joining -= 1
            pool, self._pool = self._pool, None
            if pollers and self._pollers == pollers:
                self._pollers = []
        if pool is not None:
            pool.shutdown(wait=True)
        return True

    @property
    def is_running(self) -> bool:
        """True while a poller is alive or a task is in flight."""
        with self._state_lock:
            return any(t.is_alive() for t in self._pollers) or self._in_flight > 0

    @property
    def in_flight(self) -> int:
        """Tasks being processed right now."""
        with self._state_lock:
            return self._in_flight

    # -- the loops --------------------------------------------------------------------------

    def _poll_loop(self, lane: PollLane, slots: Slots, pool: ThreadPoolExecutor) -> None:
        backoff = Backoff(_POLL_BACKOFF_BASE, _POLL_BACKOFF_CAP)
        # With no more slots than pollers, a poller could not poll again before its
        # task finished anyway: running the task here saves the hand-off to a pool
        # thread (a thread wake-up and a cold start per task) at equal concurrency.
        inline = lane.slots <= lane.pollers
        while not self._stopping.is_set():
            if not self._take_slot(slots):
                break
            handed_off = False
            try:
                task = lane.poll()
                backoff.reset()
                if task is None:
                    continue
                if inline:
                    handed_off = True
                    self._begin_task()
                    # Releases the slot and never raises an Exception.
                    self._run_task(task, slots)
                    continue
                self._submit(pool, task, slots)
                handed_off = True
            except Exception:
                delay = backoff.ceiling(backoff.attempt)
                log.exception(
                    "%s poller on task list %s (%s): poll failed; retrying (backoff up to %.1fs)",
                    self.kind,
                    self.worker.task_list,
                    lane.name,
                    delay,
                )
                if backoff.wait(self._stopping):
                    break
            finally:
                if not handed_off:
                    slots.release()
        log.debug("%s poller %s exited", self.kind, threading.current_thread().name)

    def _begin_task(self) -> None:
        """Count a task in flight; :meth:`_run_task` counts it out."""
        with self._state_lock:
            self._in_flight += 1

    def _submit(self, pool: ThreadPoolExecutor, task: Any, slots: Slots) -> None:
        self._begin_task()
        try:
            pool.submit(self._run_task, task, slots)
        except BaseException:
            with self._state_lock:
                self._in_flight -= 1
                if self._joining:
                    self._idle.notify_all()
            raise

    def _take_slot(self, slots: Slots) -> bool:
        while not slots.acquire(timeout=_SLOT_WAIT):
            if self._stopping.is_set():
                return False
        if self._stopping.is_set():
            slots.release()
            return False
        return True

    def _run_task(self, task: Any, slots: Slots) -> None:
        try:
            self.worker.handle(task)
        except Exception:
            log.exception(
                "%s task failed in the executor; continuing with the next task", self.kind
            )
        finally:
            slots.release()
            # _idle's lock is _state_lock: holding it is what notify_all needs.
            with self._state_lock:
                self._in_flight -= 1
                if not self._in_flight and self._joining:
                    self._idle.notify_all()


def _remaining(deadline: float | None) -> float | None:
    if deadline is None:
        return None
    return max(0.0, deadline - time.monotonic())


class ThreadedWorkflowExecutor(ThreadedExecutor[Any]):
    """Runs a :class:`WorkflowWorker`: the shared list and, with the cache on, its sticky list.

    The sticky list gets its own pollers and its own execution slots (as many
    as the shared list): a sticky task that waited behind shared-list work for
    longer than its schedule-to-start timeout (a few seconds) would be moved
    back to the shared list and cost a full replay, so it must never queue
    behind the shared list.

    :meth:`stop` first makes the worker answer without routing to its sticky
    list, so the runs whose tasks are in flight go back to the shared list at
    once; :meth:`join` drops the cache once everything has finished. Runs that
    are idle at shutdown (their last answer named the sticky list) reach the
    shared list after the sticky schedule-to-start timeout: SWF has no call to
    reset an override without a decision task.

    Example::

        executor = ThreadedWorkflowExecutor(WorkflowWorker(session, "us-east-1", "d", "tl", Wf))
        executor.start(pollers=2, workers=4)
        ...
        executor.stop()
        executor.join()
    """

    kind = "workflow"

    def _lanes(self, pollers: int, workers: int) -> list[PollLane]:
        lanes = super()._lanes(pollers, workers)
        worker = self.worker
        if getattr(worker, "sticky_enabled", False):
            # Sticky lane first: its pollers start (and take their slots) first.
            lanes.insert(0, PollLane("sticky", worker.poll_sticky, pollers, workers))  # type: ignore[attr-defined]
            worker.start_sticky()  # type: ignore[attr-defined]
        return lanes

    def stop(self, *, wait: bool = False, timeout: float | None = None) -> bool:
        """Stop polling; tasks in flight finish and send their runs back to the shared list.

        Args:
            wait: Block until the pollers and tasks in flight are done.
            timeout: With ``wait``, give up waiting after this many seconds.

        Returns:
            True when nothing is running any more.
        """
        stop_sticky = getattr(self.worker, "stop_sticky", None)
        if stop_sticky is not None:
            stop_sticky()
        return super().stop(wait=wait, timeout=timeout)

    def join(self, timeout: float | None = None) -> bool:
        """Wait for pollers and tasks in flight, then drop the worker's cached runs.

        Args:
            timeout: Seconds to wait at most; None waits without limit.

        Returns:
            True when everything finished (and the cache was dropped).
        """
        done = super().join(timeout)
        if done and self._stopping.is_set():
            evict_all = getattr(self.worker, "evict_all", None)
            if evict_all is not None:
                evict_all()
        return done


class ThreadedActivityExecutor(ThreadedExecutor[Any]):
    """Runs an :class:`ActivityWorker`: activity code runs on the pool's threads."""

    kind = "activity"
