"""The sticky cache's parts that need no server: the LRU bounds, its counters, list names."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import pytest

from botoflowx.worker._sticky import (
    MAX_TASK_LIST_NAME,
    StickyCache,
    StickyPageSizer,
    reached_cached_events,
    sticky_task_list_name,
)


class Run:
    """A cached value that records whether it was closed."""

    def __init__(self, name: str, size: int = 10) -> None:
        self.name = name
        self.size = size
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


def cache(max_entries: int = 3, max_bytes: int = 1000) -> StickyCache[str, Run]:
    return StickyCache(max_entries, max_bytes, lambda run: run.size)


def test_take_removes_and_put_returns_a_run() -> None:
    lru = cache()
    run = Run("a")
    lru.put("a", run)
    assert "a" in lru and len(lru) == 1
    assert lru.take("a") is run
    assert lru.take("a") is None
    assert len(lru) == 0 and not run.closed
    lru.put("a", run)
    assert lru.stats().size == 1 and lru.stats().estimated_bytes == 10


def test_count_bound_evicts_the_least_recently_used() -> None:
    lru = cache(max_entries=3)
    runs = {name: Run(name) for name in "abcd"}
    for name in "abc":
        lru.put(name, runs[name])
    # Using "a" (take + put back) makes "b" the oldest.
    lru.put("a", lru.take("a") or Run("x"))
    lru.put("d", runs["d"])
    assert list(lru.keys()) == ["c", "a", "d"]
    assert runs["b"].closed == 1
    assert not any(runs[name].closed for name in "acd")
    assert lru.stats().evictions == 1


def test_byte_bound_evicts_until_the_estimate_fits() -> None:
    lru = cache(max_entries=100, max_bytes=100)
    small = [Run(f"s{i}", 30) for i in range(3)]
    for run in small:
        lru.put(run.name, run)
    assert lru.stats().estimated_bytes == 90
    big = Run("big", 70)
    lru.put("big", big)
    # 90 + 70 > 100: the two oldest go (30 + 70 = 100 fits).
    assert list(lru.keys()) == ["s2", "big"]
    assert [run.closed for run in small] == [1, 1, 0]
    assert lru.stats().estimated_bytes == 100


def test_a_run_larger_than_the_byte_bound_is_not_kept() -> None:
    lru = cache(max_bytes=50)
    huge = Run("huge", 51)
    lru.put("huge", huge)
    assert len(lru) == 0 and huge.closed == 1
    assert lru.stats().evictions == 1


def test_replacing_a_key_closes_the_old_value_once() -> None:
    lru = cache()
    old, new = Run("old"), Run("new")
    lru.put("k", old)
    lru.put("k", new)
    lru.put("k", new)  # the same value again is kept, not closed
    assert (old.closed, new.closed) == (1, 0)
    assert lru.stats().estimated_bytes == 10


def test_clear_and_discard() -> None:
    lru = cache()
    runs = [Run(str(i)) for i in range(3)]
    for run in runs:
        lru.put(run.name, run)
    lru.discard("0")
    assert runs[0].closed == 1 and lru.stats().evictions == 0
    assert lru.clear() == 2
    assert all(run.closed == 1 for run in runs)
    stats = lru.stats()
    assert (stats.size, stats.estimated_bytes, stats.evictions) == (0, 0, 2)


def test_a_disabled_cache_keeps_nothing() -> None:
    lru = cache(max_entries=0)
    run = Run("a")
    assert not lru.enabled
    lru.put("a", run)
    assert len(lru) == 0 and run.closed == 1


def test_a_failing_close_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(Run):
        def close(self) -> None:
            raise RuntimeError("generator refused to close")

    lru = cache(max_entries=1)
    lru.put("a", Broken("a"))
    lru.put("b", Run("b"))
    assert "closing a evicted cached workflow run failed" in caplog.text


def test_counters() -> None:
    lru = cache()
    lru.record_hit()
    lru.record_hit()
    lru.record_miss()
    lru.record_fallback()
    stats = lru.stats()
    assert (stats.hits, stats.misses, stats.fallbacks, stats.evictions) == (2, 1, 1, 0)


def test_bounds_hold_under_concurrent_use() -> None:
    lru = StickyCache[int, Run](50, 400, lambda run: run.size)

    def churn(offset: int) -> None:
        for i in range(500):
            key = (offset * 1000 + i) % 120
            run = lru.take(key) or Run(str(key), size=5 + key % 7)
            lru.put(key, run)

    threads = [threading.Thread(target=churn, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stats = lru.stats()
    assert stats.size <= 50 and stats.estimated_bytes <= 400
    assert stats.estimated_bytes == sum(
        run.size for run in (lru.take(k) for k in list(lru.keys())) if run
    )


def test_invalid_bounds() -> None:
    with pytest.raises(ValueError):
        cache(max_entries=-1)
    with pytest.raises(ValueError):
        cache(max_bytes=-1)


def test_sticky_list_name_is_unique_valid_and_bounded() -> None:
    name = sticky_task_list_name("orders", host="web-1.example.com", pid=42, token="abc123")
    assert name == "orders-sticky-web-1.example.com-42-abc123"
    assert sticky_task_list_name("orders") != sticky_task_list_name("orders")
    # SWF forbids ':', '/', '|', whitespace and the literal "arn" in names.
    odd = sticky_task_list_name("t", host="Barn host:1/x|y", pid=1, token="z")
    assert odd == "t-sticky-Ba-rn-host-1-x-y-1-z"
    long = sticky_task_list_name("q" * 300, host="h" * 300, pid=7, token="tok")
    assert len(long) == MAX_TASK_LIST_NAME
    assert long.endswith("-7-tok")


@dataclass
class Page:
    event_count: int
    first_event_id: int
    last_event_id: int


def test_reverse_walk_stops_once_the_cached_events_are_reached() -> None:
    # Cached through event 20: the delta is 21 and up; ids are dense, so a
    # page reaching down to 21 completes it.
    assert reached_cached_events([Page(10, 30, 21)], 20)
    assert not reached_cached_events([Page(5, 30, 26)], 20)
    assert reached_cached_events([Page(5, 30, 26), Page(10, 25, 16)], 20)
    assert not reached_cached_events([Page(0, 0, 0)], 20)
    assert not reached_cached_events([], 20)
    # Ascending pages work too.
    assert reached_cached_events([Page(100, 1, 100)], 20)


class LaneWorker:
    """A fake workflow worker with a shared and a sticky list, scripted by the test."""

    task_list = "fake-tl"
    sticky_enabled = True

    def __init__(self) -> None:
        self.shared: list[str] = ["shared-1"]
        self.sticky: list[str] = ["sticky-1", "sticky-2"]
        self.lock = threading.Lock()
        self.handled: list[str] = []
        self.events: list[str] = []
        self.release_shared = threading.Event()

    def ensure_registered(self) -> None:
        pass

    def prepare(self) -> None:
        pass

    def _pop(self, queue: list[str]) -> str | None:
        with self.lock:
            item = queue.pop(0) if queue else None
        if item is None:
            threading.Event().wait(0.01)  # an empty long poll
        return item

    def poll(self) -> str | None:
        return self._pop(self.shared)

    def poll_sticky(self) -> str | None:
        return self._pop(self.sticky)

    def handle(self, task: str) -> None:
        if task.startswith("shared"):
            assert self.release_shared.wait(10)
        with self.lock:
            self.handled.append(task)

    def start_sticky(self) -> None:
        self.events.append("start_sticky")

    def stop_sticky(self) -> None:
        self.events.append("stop_sticky")

    def evict_all(self) -> int:
        self.events.append("evict_all")
        return 0


def test_the_sticky_lane_has_its_own_slots_and_shutdown_order() -> None:
    from botoflowx.worker import ThreadedWorkflowExecutor

    worker = LaneWorker()
    executor = ThreadedWorkflowExecutor(worker)
    executor.start(pollers=1, workers=1)
    try:
        # The shared lane's one slot is held by a blocked task, yet sticky
        # tasks are still taken and decided at once.
        deadline = threading.Event()
        for _ in range(1000):
            with worker.lock:
                # Wait for both facts: under load the shared poller may take its
                # task only after the sticky lane has already finished both.
                if worker.handled == ["sticky-1", "sticky-2"] and executor.in_flight == 1:
                    break
            deadline.wait(0.01)
        assert worker.handled == ["sticky-1", "sticky-2"]
        assert executor.in_flight == 1
        assert worker.events == ["start_sticky"]
        executor.stop()
        assert worker.events == ["start_sticky", "stop_sticky"]
        worker.release_shared.set()
        assert executor.join(timeout=10)
    finally:
        worker.release_shared.set()
        executor.stop(wait=True, timeout=10)
    assert worker.events[:3] == ["start_sticky", "stop_sticky", "evict_all"]
    assert sorted(worker.handled) == ["shared-1", "sticky-1", "sticky-2"]


def test_take_waits_for_a_checked_out_run_to_come_back() -> None:
    # SWF can hand out a run's next task before the thread that answered the
    # previous one put the run back: the next take waits for it (a hit, not a
    # full replay), and gives up after its wait.
    runs = cache()
    run = Run("r")
    assert runs.take("k") is None  # checked out: a miss, decided by full replay
    got: list[Run | None] = []
    taker = threading.Thread(target=lambda: got.append(runs.take("k", wait=10)))
    taker.start()
    time.sleep(0.05)
    assert got == []  # waiting for the first checkout to end
    runs.put("k", run)
    taker.join(5)
    assert got == [run]
    # The taker holds it now; once released, a take finds nothing and does not wait.
    runs.release("k")
    started = time.monotonic()
    assert runs.take("k", wait=10) is None
    assert time.monotonic() - started < 5


def test_sticky_page_size_follows_the_largest_recent_delta() -> None:
    sizer = StickyPageSizer(100, window=3, minimum=16, maximum=1000, margin=4)
    assert sizer.size == 100  # nothing seen yet
    sizer.observe(6)
    assert sizer.size == 16  # never below the minimum
    sizer.observe(40)
    assert sizer.size == 44
    sizer.observe(5000)
    assert sizer.size == 1000  # SWF's largest page
    sizer.observe(40)
    sizer.observe(6)
    sizer.observe(6)
    assert sizer.size == 44  # 5000 left the window
    sizer.observe(6)
    assert sizer.size == 16
