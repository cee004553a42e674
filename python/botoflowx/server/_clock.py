"""Clocks for the embedded server: the wall clock and a test clock that can jump forward."""

from __future__ import annotations

import threading
import time
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "SystemClock", "TestClock"]


@runtime_checkable
class Clock(Protocol):
    """A source of the current time as epoch seconds."""

    def now(self) -> float:
        """Return the current time in epoch seconds."""
        ...


class SystemClock:
    """The machine's wall clock (``time.time()``)."""

    def now(self) -> float:
        """Return the current wall-clock time in epoch seconds."""
        return time.time()


class TestClock:
    """Wall-clock time plus an offset that only ever grows.

    Tests move time forward with :meth:`advance`; between advances the clock keeps
    ticking with real time, so code that measures short real intervals still works.
    The value returned by :meth:`now` never goes backwards, even if the system
    clock is stepped back.
    """

    __test__ = False  # not a pytest test class despite the name

    def __init__(self, start: float | None = None) -> None:
        """Create the clock.

        Args:
            start: the epoch time the clock shows at creation; defaults to now.
        """
        base = time.time()
        self._offset = 0.0 if start is None else start - base
        self._last = base + self._offset
        self._lock = threading.Lock()

    def now(self) -> float:
        """Return the current (offset) time in epoch seconds; monotonic non-decreasing."""
        with self._lock:
            value = time.time() + self._offset
            if value < self._last:
                value = self._last
            self._last = value
            return value

    def advance(self, seconds: float) -> float:
        """Move the clock forward.

        Args:
            seconds: how far to move, must be >= 0.

        Returns:
            The new current time.

        Raises:
            ValueError: if ``seconds`` is negative.
        """
        if seconds < 0:
            raise ValueError(f"a test clock cannot go back in time (seconds={seconds!r})")
        with self._lock:
            self._offset += seconds
            self._last = max(self._last + seconds, time.time() + self._offset)
            return self._last
