"""The sticky workflow cache end to end: real deciders on the embedded server over HTTP."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from worker_harness import Harness

from botoflowx import workflow_time
from botoflowx.activity import activities, activity
from botoflowx.server import EmbeddedServer
from botoflowx.worker import ThreadedActivityExecutor, ThreadedWorkflowExecutor, WorkflowWorker
from botoflowx.workflow._definition import WorkflowDefinition, execute
from botoflowx.workflow._futures import AllFuture

pytestmark = pytest.mark.timeout(120)

TIMEOUTS = {
    "schedule_to_start_timeout": 300,
    "start_to_close_timeout": 300,
    "schedule_to_close_timeout": 600,
    "heartbeat_timeout": 300,
}


@activities(**TIMEOUTS)
class StickyActs:
    """Activities of the sticky scenarios."""

    # Lets a test hold the second step of GatedWorkflow's activity.
    hold = threading.Event()

    @activity(version="1.0")
    def add(self, a: int, b: int) -> int:
        return a + b

    @activity(version="1.0")
    def held(self, value: int) -> int:
        assert StickyActs.hold.wait(60)
        return value


class SequenceWorkflow(WorkflowDefinition):
    """``n`` activities one after another, then a fan-out of three."""

    @execute(version="1.0", execution_start_to_close_timeout=600)
    def run(self, n: int) -> Any:
        total = 0
        for step in range(n):
            total = yield StickyActs.add(total, step)
        fanned = yield AllFuture(*[StickyActs.add(total, k) for k in range(3)])
        return [total, list(fanned)]


class DeciderGate:
    """Blocks GatedWorkflow's code in the decider the first time it runs live."""

    entered = threading.Event()
    release = threading.Event()


class GatedWorkflow(WorkflowDefinition):
    """Three steps; the decision after the first is held in the decider by a test."""

    @execute(version="1.0", execution_start_to_close_timeout=600)
    def run(self) -> Any:
        first = yield StickyActs.add(1, 0)
        if not workflow_time.is_replaying():
            DeciderGate.entered.set()
            assert DeciderGate.release.wait(60)
        second = yield StickyActs.held(2)
        third = yield StickyActs.add(second, 1)
        return [first, second, third]


def expected_sequence(n: int) -> list[Any]:
    total = sum(range(n))
    return [total, [total + k for k in range(3)]]


def decider(harness: Harness, **kwargs: Any) -> WorkflowWorker:
    return WorkflowWorker(
        None,
        "us-east-1",
        harness.domain,
        harness.task_list,
        SequenceWorkflow,
        GatedWorkflow,
        endpoint_url=harness.endpoint_url,
        register_domain=True,
        **kwargs,
    )


@contextmanager
def running(worker: Any, executor_cls: type, **start: int) -> Iterator[Any]:
    executor = executor_cls(worker)
    executor.start(**start)
    try:
        yield executor
    finally:
        executor.stop()
        assert executor.join(timeout=30), "executor did not stop"
        worker.close()


def attributes(event: dict[str, Any]) -> dict[str, Any]:
    kind = event["eventType"]
    attrs: dict[str, Any] = event[kind[0].lower() + kind[1:] + "EventAttributes"]
    return attrs


def scheduled_lists(history: list[dict[str, Any]]) -> list[str]:
    return [
        attributes(e)["taskList"]["name"]
        for e in history
        if e["eventType"] == "DecisionTaskScheduled"
    ]


def count(history: list[dict[str, Any]], event_type: str) -> int:
    return sum(e["eventType"] == event_type for e in history)


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


def test_sequential_workflow_is_decided_from_the_cache(harness: Harness) -> None:
    steps = 30
    worker = decider(harness)
    with (
        running(harness.activity_worker(StickyActs()), ThreadedActivityExecutor, workers=2),
        running(worker, ThreadedWorkflowExecutor),
    ):
        handle = harness.start(lambda: SequenceWorkflow.run(steps))
        assert handle.result(timeout=60) == expected_sequence(steps)
        stats = worker.cache_stats()
    history = harness.history(handle)
    decision_tasks = sum(e["eventType"] == "DecisionTaskCompleted" for e in history)
    # Only the run's first task is a miss; every later one resumes the cached run.
    assert stats.misses == 1
    assert stats.fallbacks == 0
    assert stats.hits == decision_tasks - 1 >= steps
    lists = scheduled_lists(history)
    assert lists[0] == harness.task_list
    assert lists[1:] and set(lists[1:]) == {worker.sticky_task_list}
    completed = [attributes(e) for e in history if e["eventType"] == "DecisionTaskCompleted"]
    assert all(c["taskList"]["name"] == worker.sticky_task_list for c in completed)
    assert {c["taskListScheduleToStartTimeout"] for c in completed} == {"5"}
    assert "DecisionTaskTimedOut" not in [e["eventType"] for e in history]
    # The executor's join dropped the cache.
    assert len(worker._cache) == 0


def test_cache_off_replays_every_task_on_the_shared_list(harness: Harness) -> None:
    worker = decider(harness, cache_size=0)
    assert not worker.sticky_enabled
    with (
        running(harness.activity_worker(StickyActs()), ThreadedActivityExecutor, workers=2),
        running(worker, ThreadedWorkflowExecutor),
    ):
        handle = harness.start(lambda: SequenceWorkflow.run(3))
        assert handle.result(timeout=60) == expected_sequence(3)
    assert set(scheduled_lists(harness.history(handle))) == {harness.task_list}
    assert worker.cache_stats().hits == 0


def test_stopped_worker_fails_over_after_the_sticky_timeout(
    harness: Harness, server: EmbeddedServer
) -> None:
    StickyActs.hold.clear()
    DeciderGate.release.set()  # not gated here
    first = decider(harness)
    with running(harness.activity_worker(StickyActs()), ThreadedActivityExecutor, workers=2):
        with running(first, ThreadedWorkflowExecutor):
            handle = harness.start(lambda: GatedWorkflow.run())
            # The run waits for the held activity; its next task will go to
            # the first decider's sticky list.
            wait_for(lambda: count(harness.history(handle), "ActivityTaskStarted") == 2)
        # The first decider is gone (stopped with nothing in flight: the same
        # as a crash for its sticky list). Release the activity: the run's next
        # task lands on a list nobody polls.
        StickyActs.hold.set()
        wait_for(lambda: scheduled_lists(harness.history(handle))[-1] == first.sticky_task_list)
        second = decider(harness)
        with running(second, ThreadedWorkflowExecutor):
            time.sleep(0.3)
            assert count(harness.history(handle), "DecisionTaskStarted") == 2
            server.advance_clock(6)  # past the 5 s schedule-to-start timeout
            assert handle.result(timeout=60) == [1, 2, 3]
            stats = second.cache_stats()
    history = harness.history(handle)
    timed_out = [attributes(e) for e in history if e["eventType"] == "DecisionTaskTimedOut"]
    assert [t["timeoutType"] for t in timed_out] == ["SCHEDULE_TO_START"]
    # After the timeout SWF scheduled the task on the shared list; the second
    # decider replayed the run in full there, then kept it.
    lists = scheduled_lists(history)
    revert = lists.index(harness.task_list, 1)
    assert lists[revert - 1] == first.sticky_task_list
    assert set(lists[revert + 1 :]) <= {second.sticky_task_list}
    assert stats.misses == 1 and stats.fallbacks == 0


def test_shutdown_sends_in_flight_runs_back_to_the_shared_list(harness: Harness) -> None:
    # The second step's activity is held until the first decider is gone, so
    # the run's next task cannot reach it through a poll still in flight.
    StickyActs.hold.clear()
    DeciderGate.entered.clear()
    DeciderGate.release.clear()
    first = decider(harness)
    with running(harness.activity_worker(StickyActs()), ThreadedActivityExecutor, workers=2):
        executor = ThreadedWorkflowExecutor(first)
        executor.start()
        try:
            handle = harness.start(lambda: GatedWorkflow.run())
            # The decider is inside the run's second task (after the first step).
            assert DeciderGate.entered.wait(30)
            executor.stop()
            assert not first.sticky_serving
            DeciderGate.release.set()
            assert executor.join(timeout=30)
        finally:
            DeciderGate.release.set()
            executor.stop()
            executor.join(timeout=30)
            first.close()
        stats = first.cache_stats()
        assert (stats.hits, stats.misses, stats.size) == (1, 1, 0)
        StickyActs.hold.set()
        # The in-flight task was answered naming the shared list, so the next
        # task is already there: no timeout is needed for another decider.
        wait_for(
            lambda: (
                scheduled_lists(harness.history(handle))[-1] == harness.task_list
                and len(scheduled_lists(harness.history(handle))) == 3
            )
        )
        second = decider(harness)
        with running(second, ThreadedWorkflowExecutor):
            assert handle.result(timeout=60) == [1, 2, 3]
    history = harness.history(handle)
    assert "DecisionTaskTimedOut" not in [e["eventType"] for e in history]
    completed = [attributes(e) for e in history if e["eventType"] == "DecisionTaskCompleted"]
    assert completed[1]["taskList"]["name"] == harness.task_list
    assert "taskListScheduleToStartTimeout" not in completed[1]


def test_two_deciders_share_a_task_list(harness: Harness) -> None:
    one, two = decider(harness), decider(harness)
    assert one.sticky_task_list != two.sticky_task_list
    with (
        running(harness.activity_worker(StickyActs()), ThreadedActivityExecutor, workers=4),
        running(one, ThreadedWorkflowExecutor),
        running(two, ThreadedWorkflowExecutor),
    ):
        handles = [harness.start(lambda: SequenceWorkflow.run(5)) for _ in range(6)]
        for handle in handles:
            assert handle.result(timeout=60) == expected_sequence(5)
        stats = [one.cache_stats(), two.cache_stats()]
    assert sum(s.misses for s in stats) == len(handles)
    assert sum(s.fallbacks for s in stats) == 0
    for handle in handles:
        history = harness.history(handle)
        # Each run stayed with the decider that took its first task.
        assert len(set(scheduled_lists(history)[1:])) == 1
        assert "DecisionTaskTimedOut" not in [e["eventType"] for e in history]
