"""The sticky workflow cache: live workflow runs kept between decision tasks, and its task list.

A decider that keeps a run's state (the Rust ``Replayer`` and the
``WorkflowInstance`` with its suspended generators) after answering a decision
task can decide the run's next task from the new events alone, instead of
replaying the run from event 1. To make the next task come back to the same
process, each answer names a task list only this process polls (the SWF task
list override, ``taskList`` + ``taskListScheduleToStartTimeout``); if the
process is gone, the task times out there and SWF moves it back to the shared
list, where any decider replays it in full.

This module holds the parts that need no network: the per-process list name,
the LRU of runs (bounded by count and by an estimate of memory), its counters,
the page size of sticky polls, and the check that a walk of reverse-order
pages reached the cached events.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import threading
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

log = logging.getLogger(__name__)

# SWF names are 1-256 characters with no whitespace, ':', '/', '|', control
# characters or the literal "arn" (model docs of TaskList.name).
MAX_TASK_LIST_NAME = 256
_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_ARN = re.compile("arn", re.IGNORECASE)

DEFAULT_CACHE_SIZE = 1000
# Measured idle runs hold 7-9 KB (short histories) to about 20 KB (10,000
# events reached through sticky deltas), more after a long full replay and
# with large payloads; WorkflowRun.estimated_bytes errs on the high side.
DEFAULT_CACHE_MAX_BYTES = 256 * 1024 * 1024
DEFAULT_STICKY_SCHEDULE_TO_START = 5


def sticky_task_list_name(
    task_list: str, *, host: str | None = None, pid: int | None = None, token: str | None = None
) -> str:
    """The task list only this decider process polls: ``<task_list>-sticky-<host>-<pid>-<rand>``.

    The random part keeps two worker objects of one process (or a restarted
    process that reused a pid) from sharing a list: a task meant for one cache
    must never reach another.

    Args:
        task_list: The shared task list the worker polls.
        host: The host name (default: this host), sanitized to SWF's name rules.
        pid: The process id (default: this process).
        token: The random part (default: 8 hex digits of a UUID4).

    Returns:
        A valid SWF task list name of at most 256 characters.
    """
    host = host if host is not None else socket.gethostname()
    pid = pid if pid is not None else os.getpid()
    token = token if token is not None else uuid.uuid4().hex[:8]
    # "arn" is forbidden anywhere in a name; a host such as "barn-7" would
    # otherwise make every answer fail validation.
    safe_host = _ARN.sub("a-rn", _NAME_UNSAFE.sub("-", host)).strip("-") or "host"
    suffix = f"-sticky-{safe_host}-{pid}-{token}"
    if len(suffix) > MAX_TASK_LIST_NAME // 2:
        suffix = suffix[-(MAX_TASK_LIST_NAME // 2) :]
    # Cut the shared name, never the suffix: the suffix is what makes it unique.
    return task_list[: MAX_TASK_LIST_NAME - len(suffix)] + suffix


class StickyPageSizer:
    """Chooses ``maximumPageSize`` for sticky polls from the deltas of recent cache hits.

    The size must be chosen before the task (and so its delta) is known. Too
    small costs another page round trip; too large makes the server read and
    send, and the decider parse, events the cached run already holds (a
    sequential workflow's delta is 6 events; a 100-event page cost more than
    the rest of a warm task). So the page holds the largest delta of the
    recent hits, plus a margin.

    Args:
        initial: The size before any hit was seen.
        window: How many recent hits count.
        minimum: The smallest size used.
        maximum: SWF's largest page size.
        margin: Events added above the largest recent delta.

    Raises:
        ValueError: ``window`` is below 1.
    """

    def __init__(
        self,
        initial: int = 100,
        *,
        window: int = 64,
        minimum: int = 8,
        maximum: int = 1000,
        margin: int = 4,
    ) -> None:
        if window < 1:
            raise ValueError(f"window must be >= 1, got {window}")
        self._minimum = minimum
        self._maximum = maximum
        self._margin = margin
        self._window = window
        # The window's running maximum: (hit number, delta) pairs with falling
        # deltas, so the largest is first. A max() over the whole window on
        # every poll cost more than the rest of choosing the page.
        self._falling: deque[tuple[int, int]] = deque()
        self._hits = 0
        self._lock = threading.Lock()
        self._size = initial

    @property
    def size(self) -> int:
        """The page size for the next sticky poll."""
        return self._size

    def observe(self, delta: int) -> None:
        """Record a hit that needed the newest ``delta`` events."""
        # Pollers of the sticky lane may record concurrently.
        with self._lock:
            hit = self._hits = self._hits + 1
            falling = self._falling
            while falling and falling[-1][1] <= delta:
                falling.pop()
            falling.append((hit, delta))
            if falling[0][0] <= hit - self._window:
                falling.popleft()
            largest = falling[0][1]
            self._size = min(max(largest + self._margin, self._minimum), self._maximum)


def reached_cached_events(pages: Sequence[_PageBounds], applied_event_id: int) -> bool:
    """Whether reverse-order pages walked so far reach down to the cached events.

    The delta of a cache hit is ids ``applied_event_id + 1 .. started_event_id``;
    the walk may stop once some page holds an event at or below
    ``applied_event_id + 1`` (event ids are dense, so nothing in between can
    be missing, and the replayer rechecks contiguity when it merges).

    Args:
        pages: The pages fetched so far, in any order.
        applied_event_id: The last event the cached run has applied.

    Returns:
        True when the lowest event id seen is ``<= applied_event_id + 1``.
    """
    target = applied_event_id + 1
    for page in pages:
        # Either end may be the lowest: pages are in ascending or reverse order.
        if page.event_count and (page.first_event_id <= target or page.last_event_id <= target):
            return True
    return False


class _PageBounds(Protocol):
    """The part of a ``DecisionTaskPage`` :func:`reached_cached_events` reads."""

    @property
    def event_count(self) -> int: ...
    @property
    def first_event_id(self) -> int: ...
    @property
    def last_event_id(self) -> int: ...


class Closable(Protocol):
    """A cached value: something that must be closed when dropped."""

    def close(self) -> None:
        """Release the value (discard the run's generators)."""


K = TypeVar("K", bound=Hashable)
V = TypeVar("V", bound=Closable)


@dataclass(frozen=True)
class CacheStats:
    """Counters of a :class:`StickyCache` (cumulative since the worker was made).

    Attributes:
        hits: Tasks decided from a cached run (only the new events replayed).
        misses: Tasks of runs not in the cache (a run's first task included),
            decided by a full replay.
        fallbacks: Tasks whose run was cached but could not be used (a gap,
            another decider progressed the run, a page or replay error): the
            run was dropped and the task replayed in full.
        evictions: Runs dropped to stay within the count or memory bound, or
            by :meth:`StickyCache.clear`.
        size: Runs cached now.
        estimated_bytes: The memory estimate of the runs cached now.
    """

    hits: int
    misses: int
    fallbacks: int
    evictions: int
    size: int
    estimated_bytes: int


class StickyCache(Generic[K, V]):
    """A thread-safe LRU of live runs, bounded by count and by estimated bytes.

    A run is *taken out* while a task is decided on it (:meth:`take`) and put
    back after the answer was accepted (:meth:`put`). So no two threads ever
    touch one run, and a run whose answer failed is simply never put back
    (:meth:`release` ends the checkout). SWF can hand out the run's next task the
    moment it applied the answer, before the deciding thread put the run back:
    :meth:`take` may therefore wait a little for a run that is checked out.
    Values are closed (outside the lock) whenever the cache drops them.

    Args:
        max_entries: The most runs kept; 0 disables caching.
        max_bytes: The most estimated bytes kept.
        size_of: Estimates the memory one value holds.
    """

    def __init__(self, max_entries: int, max_bytes: int, size_of: Callable[[V], int]) -> None:
        if max_entries < 0:
            raise ValueError(f"max_entries must be >= 0, got {max_entries}")
        if max_bytes < 0:
            raise ValueError(f"max_bytes must be >= 0, got {max_bytes}")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._size_of = size_of
        self._lock = threading.Lock()
        # Signalled when a checked-out key comes back (put or release).
        self._returned = threading.Condition(self._lock)
        # Threads in take() waiting for a key to come back: notify only then
        # (Condition.notify_all costs a few microseconds even with nobody waiting).
        self._waiting = 0
        self._checked_out: set[K] = set()
        # key -> (value, its estimated bytes at insertion); oldest first.
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._bytes = 0
        self._hits = 0
        self._misses = 0
        self._fallbacks = 0
        self._evictions = 0

    @property
    def enabled(self) -> bool:
        """False when the cache keeps nothing (``max_entries == 0``)."""
        return self.max_entries > 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._entries

    def take(self, key: K, wait: float = 0.0) -> V | None:
        """Check ``key`` out: remove and return its cached value (None when absent).

        The key stays checked out until :meth:`put` or :meth:`release`. When
        another thread has it checked out, wait up to ``wait`` seconds for it to
        come back first. Counts nothing: the caller knows whether the value
        turned out usable and records :meth:`record_hit`, :meth:`record_miss`
        or :meth:`record_fallback`.
        """
        with self._returned:
            if wait > 0 and key in self._checked_out:
                self._waiting += 1
                try:
                    self._returned.wait_for(lambda: key not in self._checked_out, timeout=wait)
                finally:
                    self._waiting -= 1
            self._checked_out.add(key)
            entry = self._entries.pop(key, None)
            if entry is None:
                return None
            self._bytes -= entry[1]
            return entry[0]

    def put(self, key: K, value: V) -> None:
        """Cache ``value`` as the most recently used, evicting the oldest beyond the bounds.

        A value alone larger than ``max_bytes`` is not kept (it is closed).
        """
        size = self._size_of(value)
        dropped: list[V] = []
        with self._lock:
            self._checked_out.discard(key)
            if self._waiting:
                self._returned.notify_all()
            previous = self._entries.pop(key, None)
            if previous is not None:
                self._bytes -= previous[1]
                if previous[0] is not value:
                    dropped.append(previous[0])
            if not self.enabled or size > self.max_bytes:
                dropped.append(value)
                self._evictions += 1
            else:
                self._entries[key] = (value, size)
                self._bytes += size
                while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                    _, (old, old_size) = self._entries.popitem(last=False)
                    self._bytes -= old_size
                    self._evictions += 1
                    dropped.append(old)
            if dropped:
                log.debug(
                    "sticky cache dropped %d run(s) (bounds: %d runs, %d bytes; now %d runs, "
                    "%d bytes estimated)",
                    len(dropped),
                    self.max_entries,
                    self.max_bytes,
                    len(self._entries),
                    self._bytes,
                )
        _close_all(dropped, "evicted")

    def release(self, key: K) -> None:
        """End a checkout without putting a value back (no-op when not checked out)."""
        with self._lock:
            if key in self._checked_out:
                self._checked_out.discard(key)
                if self._waiting:
                    self._returned.notify_all()

    def discard(self, key: K) -> None:
        """Drop ``key`` if cached (not counted as an eviction: the run is over)."""
        value = self.take(key)
        self.release(key)
        if value is not None:
            _close_all([value], "discarded")

    def clear(self) -> int:
        """Drop every cached run (counted as evictions); returns how many were dropped."""
        with self._lock:
            values = [value for value, _ in self._entries.values()]
            self._entries.clear()
            self._bytes = 0
            self._evictions += len(values)
        _close_all(values, "cleared")
        return len(values)

    def keys(self) -> Iterator[K]:
        """The cached keys, least recently used first (a snapshot)."""
        with self._lock:
            return iter(list(self._entries))

    def record_hit(self) -> None:
        """Count a task decided from a cached run."""
        with self._lock:
            self._hits += 1

    def record_miss(self) -> None:
        """Count a task whose run was not cached."""
        with self._lock:
            self._misses += 1

    def record_fallback(self) -> None:
        """Count a task whose cached run could not be used."""
        with self._lock:
            self._fallbacks += 1

    def stats(self) -> CacheStats:
        """A snapshot of the counters."""
        with self._lock:
            return CacheStats(
                hits=self._hits,
                misses=self._misses,
                fallbacks=self._fallbacks,
                evictions=self._evictions,
                size=len(self._entries),
                estimated_bytes=self._bytes,
            )


def _close_all(values: Sequence[Closable], why: str) -> None:
    for value in values:
        try:
            value.close()
        except Exception:  # a failing close must not break the decider; log it
            log.warning("closing a %s cached workflow run failed", why, exc_info=True)
