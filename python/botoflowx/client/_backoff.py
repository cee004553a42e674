"""Capped exponential backoff with full jitter, shared by the transport and the pollers."""

from __future__ import annotations

import random
import threading

# One generator for every Backoff: seeding a new one reads the OS entropy pool,
# which cost more than a whole cached decision when each call made its own.
_SHARED_RNG = random.Random()


class Backoff:
    """Delays that grow exponentially up to a cap, each drawn with full jitter.

    Full jitter (a uniform draw between 0 and the current ceiling) spreads the
    retries of many workers hitting the same throttled account, which fixed or
    purely exponential delays do not.

    Args:
        base: The ceiling of the first delay, in seconds.
        cap: The largest ceiling, in seconds.
        rng: Random source (tests pass a seeded one).
    """

    def __init__(
        self, base: float = 0.1, cap: float = 20.0, rng: random.Random | None = None
    ) -> None:
        if base <= 0 or cap < base:
            raise ValueError(f"need 0 < base <= cap, got base={base!r} cap={cap!r}")
        self.base = base
        self.cap = cap
        self._rng = rng or _SHARED_RNG
        self._attempt = 0

    @property
    def attempt(self) -> int:
        """How many delays were drawn since the last :meth:`reset`."""
        return self._attempt

    def ceiling(self, attempt: int) -> float:
        """The largest delay the ``attempt``-th retry (0-based) may wait."""
        # min() before the power would overflow for huge attempts; clamp the exponent instead.
        return min(self.cap, self.base * (2 ** min(attempt, 62)))

    def next_delay(self) -> float:
        """Draw the next delay and advance the attempt counter."""
        delay = self._rng.uniform(0.0, self.ceiling(self._attempt))
        self._attempt += 1
        return delay

    def reset(self) -> None:
        """Start again from the smallest delay (call after a success)."""
        self._attempt = 0

    def wait(self, stop: threading.Event | None = None) -> bool:
        """Sleep for the next delay; return True early if ``stop`` gets set meanwhile."""
        delay = self.next_delay()
        if stop is None:
            threading.Event().wait(delay)
            return False
        return stop.wait(delay)
