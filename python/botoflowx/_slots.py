"""A counting semaphore over a C-level queue, for the hot paths that take one per call."""

from __future__ import annotations

import queue

__all__ = ["Slots"]


class Slots:
    """``count`` slots that threads take and give back.

    ``threading.Semaphore`` is Python code over a Condition: several
    microseconds per acquire and release. Here a slot is a token in a
    ``queue.SimpleQueue``, whose get and put are C calls.
    """

    __slots__ = ("_tokens",)

    def __init__(self, count: int) -> None:
        self._tokens: queue.SimpleQueue[None] = queue.SimpleQueue()
        for _ in range(count):
            self._tokens.put(None)

    def acquire(self, timeout: float | None = None) -> bool:
        """Take a slot, waiting up to ``timeout`` seconds (None: as long as it takes).

        Returns:
            False when no slot came free in time.
        """
        try:
            self._tokens.get(timeout=timeout)
        except queue.Empty:
            return False
        return True

    def release(self) -> None:
        """Give a slot back."""
        self._tokens.put(None)
