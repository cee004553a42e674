"""The deterministic single-threaded loop that runs workflow code: a FIFO of ready callbacks."""

from __future__ import annotations

import logging
import threading
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any

__all__ = ["WorkflowLoop", "get_current_loop"]

log = logging.getLogger("botoflowx.workflow")

_state = threading.local()


class WorkflowLoop:
    """Runs callbacks one after another, in the order they were scheduled.

    There is no clock, no I/O and no thread: the only way work enters the loop is
    ``call_soon``. The same sequence of calls therefore always runs the same way, which
    is what makes replay reproduce the original decisions.
    """

    __slots__ = ("_ready", "_tasks")

    def __init__(self) -> None:
        self._ready: deque[tuple[Callable[..., Any], tuple[Any, ...]]] = deque()
        # Weak, so finished coroutines are freed as usual; kept only to close the
        # unfinished ones deliberately when the run is discarded (see WorkflowInstance).
        self._tasks: weakref.WeakSet[Any] = weakref.WeakSet()

    def clear(self) -> None:
        """Drop every scheduled callback (the run they belong to is being discarded)."""
        self._ready.clear()

    def register_task(self, task: Any) -> None:
        """Remember a coroutine task so ``tasks()`` can find it until it is freed."""
        self._tasks.add(task)

    def tasks(self) -> list[Any]:
        """Return the registered tasks that are still alive."""
        return list(self._tasks)

    def call_soon(self, callback: Callable[..., Any], *args: Any) -> None:
        """Schedule ``callback(*args)`` after everything already scheduled."""
        self._ready.append((callback, args))

    def has_ready(self) -> bool:
        """Return True when at least one callback is waiting to run."""
        return bool(self._ready)

    def run_until_idle(self) -> None:
        """Run callbacks (including those they schedule) until none is ready.

        A callback that raises is logged and skipped: task steps catch user errors
        themselves, so an error here comes from a user's ``add_done_callback`` and must
        not stop the rest of the workflow from running.
        """
        with self.active():
            self.run_ready()

    def run_ready(self) -> None:
        """Run callbacks (including those they schedule) until none is ready.

        ``run_until_idle`` without making the loop current: the caller has (``active()``),
        once for many calls, since a full replay runs the loop once per job. Errors are
        handled as in ``run_until_idle``.
        """
        ready = self._ready
        while ready:
            callback, args = ready.popleft()
            try:
                callback(*args)
            except Exception:
                log.exception("a workflow loop callback %r raised", callback)

    def active(self) -> _Active:
        """Make this the current thread's loop for the duration of the ``with`` block."""
        return _Active(self)


class _Active:
    """The context manager of ``WorkflowLoop.active``.

    A plain class rather than ``@contextmanager``: it is entered once per activation,
    thousands of times in a cold replay, and a generator-based one costs several times
    more.
    """

    __slots__ = ("_loop", "_previous")

    def __init__(self, loop: WorkflowLoop) -> None:
        self._loop = loop
        self._previous: WorkflowLoop | None = None

    def __enter__(self) -> WorkflowLoop:
        self._previous = getattr(_state, "loop", None)
        _state.loop = self._loop
        return self._loop

    def __exit__(self, *exc_info: object) -> None:
        _state.loop = self._previous


def get_current_loop() -> WorkflowLoop | None:
    """Return the loop active on this thread, or None outside workflow code."""
    loop: WorkflowLoop | None = getattr(_state, "loop", None)
    return loop
