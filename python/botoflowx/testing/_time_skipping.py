"""Time skipping: jump the embedded server's test clock to the next due time when all is idle."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from botoflowx.server._faults import InternalFailure

__all__ = ["TimeSkipper"]

log = logging.getLogger(__name__)

# How often the skipper looks at the server. A skip needs two idle looks in a row,
# so a workflow waiting on a timer resumes about two intervals after it went idle.
DEFAULT_CHECK_INTERVAL = 0.01


class TimeSkipper:
    """A thread that moves the server's test clock to the next timer while nothing runs.

    Time is skipped only while it is *unlocked*: while a test waits for a run's
    result (the environment's handles unlock it around ``result()``), and not
    inside a :meth:`paused` block. Between a start and the signal a test sends
    next, nobody waits, so the run's timers and timeout cannot fire under the
    test's feet (Temporal's time-skipping server behaves the same way).

    While unlocked, each round reads the engine's
    :class:`~botoflowx.server._engine.WorkSnapshot`. The clock jumps only when,
    in two consecutive rounds, the snapshot shows

    * no decision or activity task scheduled, started or being completed anywhere
      on the server (an activity running in a worker thread is a started task,
      so none of its timeouts can be skipped to while it runs),
    * a due timer or timeout of an open run, and
    * the same version (no stored row changed in between),

    and ``workers_ready()`` says every worker thread is waiting in a long poll.
    The engine then re-checks the snapshot's version, jumps and fires what became
    due under its store lock (:meth:`Engine.skip_to_next_due`), so a call that lands
    between the last look and the jump cancels the jump instead of racing it.

    Args:
        engine: the running engine (``EmbeddedServer.engine``) on a test clock.
        workers_ready: returns True when every worker of the environment is idle
            in a poll.
        interval: seconds between rounds.
    """

    def __init__(
        self,
        engine: Any,
        workers_ready: Callable[[], bool],
        interval: float = DEFAULT_CHECK_INTERVAL,
    ) -> None:
        if interval <= 0:
            raise ValueError(f"interval must be > 0, not {interval!r}")
        self._engine = engine
        self._workers_ready = workers_ready
        self._interval = interval
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._pauses = 0
        self._waiters = 0
        self._skips = 0
        self._skipped_seconds = 0.0

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        """Start the thread.

        Raises:
            RuntimeError: it is already running.
        """
        if self._thread is not None:
            raise RuntimeError("the time skipper is already running")
        self._stopped.clear()
        self._thread = threading.Thread(
            target=self._run, name="botoflowx-time-skipper", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and wait for it; safe to call more than once."""
        self._stopped.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()

    @property
    def running(self) -> bool:
        """True while the thread runs."""
        return self._thread is not None and self._thread.is_alive()

    # -- control and statistics ---------------------------------------------------------

    @contextmanager
    def unlocked(self) -> Iterator[None]:
        """Allow skipping inside the block (a test waits for a result); blocks may nest."""
        with self._lock:
            self._waiters += 1
        try:
            yield
        finally:
            with self._lock:
                self._waiters -= 1

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Skip no time inside the block, unlocked or not; blocks may nest.

        Once the block is entered no jump is in progress.
        """
        with self._lock:
            self._pauses += 1
        try:
            yield
        finally:
            with self._lock:
                self._pauses -= 1

    @property
    def skips(self) -> int:
        """How many times the clock jumped."""
        with self._lock:
            return self._skips

    @property
    def skipped_seconds(self) -> float:
        """How far the clock was moved in total by skipping (seconds)."""
        with self._lock:
            return self._skipped_seconds

    # -- the loop -----------------------------------------------------------------------------

    def _run(self) -> None:
        confirmed: int | None = None  # the version seen idle in the previous round
        while not self._stopped.wait(self._interval):
            try:
                confirmed = self._round(confirmed)
            except InternalFailure:
                return  # the engine closed: the environment is being torn down
            except Exception:
                # A bug here must not take the test down with an unraisable error;
                # the next round starts from scratch.
                log.exception("time skipping round failed")
                confirmed = None

    def _may_skip_locked(self) -> bool:
        return self._waiters > 0 and self._pauses == 0

    def _round(self, confirmed: int | None) -> int | None:
        """Run one look; return the version to confirm in the next round, if any."""
        with self._lock:
            if not self._may_skip_locked():
                return None
        snapshot = self._engine.work_snapshot()
        if not snapshot.idle or snapshot.next_due is None or not self._workers_ready():
            return None
        if confirmed != snapshot.version:
            return int(snapshot.version)  # idle once: look again before jumping
        before = snapshot.now
        # Held across the jump, so once paused() has entered no jump is in progress.
        with self._lock:
            if not self._may_skip_locked():
                return None
            now = self._engine.skip_to_next_due(snapshot.version)
            if now is None:
                return None
            self._skips += 1
            self._skipped_seconds += max(0.0, now - before)
        log.debug("time skipping: clock moved %.3f s forward", now - before)
        return None
