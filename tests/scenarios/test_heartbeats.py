"""Heartbeats: progress survives a heartbeat timeout into the retry; cancellation via heartbeat."""

from __future__ import annotations

import threading
import time
from collections.abc import Generator, Iterator
from typing import Any

import pytest

from botoflowx.activity import RetryPolicy, activities, activity
from botoflowx.converter import default_converter
from botoflowx.exceptions import ActivityTaskCanceledError, ActivityTaskTimedOutError
from botoflowx.workflow import WorkflowDefinition, execute, get_context, workflow_time

from .conftest import ACTIVITY_TIMEOUTS, Scenario

pytestmark = pytest.mark.timeout(60)


class Gates:
    """Lets a test hold an activity attempt and know when it heartbeated."""

    beaten = threading.Event()
    release = threading.Event()
    attempts: dict[str, int] = {}


@pytest.fixture(autouse=True)
def gates() -> Iterator[None]:
    Gates.beaten.clear()
    Gates.release.clear()
    yield
    Gates.release.set()  # let a held attempt end before the workers stop


@activities(**ACTIVITY_TIMEOUTS)
class Copier:
    @activity(version="1.0", heartbeat_timeout=10, retry=RetryPolicy(1, maximum_attempts=3))
    def copy(self, key: str, total: int) -> Any:
        context = get_context()
        attempt = Gates.attempts[key] = Gates.attempts.get(key, 0) + 1
        progress = context.decode_heartbeat_details(default={"copied": 0})
        if attempt == 1:
            context.heartbeat({"copied": 3})
            Gates.beaten.set()
            Gates.release.wait(30)  # stuck: the heartbeat timeout ends this attempt
            return "late"
        return [attempt, progress["copied"], total, context.heartbeat_details]

    @activity(version="1.0", heartbeat_timeout=10, retry=RetryPolicy(1, maximum_attempts=2))
    def bulky(self, payload: str) -> Any:
        context = get_context()
        if context.heartbeat_details is None and not Gates.beaten.is_set():
            context.heartbeat("p" * 2000)
            Gates.beaten.set()
            Gates.release.wait(30)
            return "late"
        return [len(payload), context.heartbeat_details]

    @activity(version="1.0", heartbeat_timeout=10)
    def single_attempt(self) -> str:
        get_context().heartbeat("page 7")
        Gates.beaten.set()
        Gates.release.wait(30)
        return "late"

    # Heartbeats are throttled to half the heartbeat timeout, which bounds how late a
    # cancellation is seen: 2 s here.
    @activity(version="1.0", heartbeat_timeout=4)
    def spin(self) -> str:
        context = get_context()
        Gates.beaten.set()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            context.heartbeat("spinning")  # raises CancellationError once canceled
            time.sleep(0.02)
        return "finished"


class CopyWorkflow(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=3600)
    def run(self, key: str) -> Generator[Any, Any, Any]:
        result = yield Copier.copy(key, 10)
        return result


class BulkyWorkflow(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=3600)
    def run(self, size: int) -> Generator[Any, Any, Any]:
        result = yield Copier.bulky("b" * size)
        return result


class TimeoutWorkflow(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=3600)
    def run(self) -> Generator[Any, Any, Any]:
        try:
            yield Copier.single_attempt()
        except ActivityTaskTimedOutError as err:
            return [err.timeout_type, err.details]
        return "no timeout"


class CancelWorkflow(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=3600)
    def run(self) -> Generator[Any, Any, Any]:
        spinning = Copier.spin()
        yield workflow_time.sleep(1)
        spinning.cancel()
        try:
            yield spinning
        except ActivityTaskCanceledError:
            return "canceled"
        return "not canceled"


def test_heartbeat_timeout_reports_the_last_details(scenario: Scenario) -> None:
    with scenario.workers([TimeoutWorkflow], [Copier()]):
        handle = scenario.start(lambda: TimeoutWorkflow.run())
        assert Gates.beaten.wait(20)
        scenario.advance_clock(11)
        assert handle.result(timeout=30) == ["HEARTBEAT", "page 7"]
        Gates.release.set()  # end the stuck attempt now, not when the workers stop
    timed_out = scenario.events(handle, "ActivityTaskTimedOut")
    assert timed_out[0]["details"] == "page 7"


def test_a_retry_resumes_from_the_last_heartbeat(scenario: Scenario) -> None:
    with scenario.workers([CopyWorkflow], [Copier()]):
        handle = scenario.start(lambda: CopyWorkflow.run("c1"))
        assert Gates.beaten.wait(20), "the first attempt never heartbeated"
        scenario.advance_clock(11)  # past the 10 s heartbeat timeout
        scenario.wait_for_event(handle, "TimerStarted")
        scenario.advance_clock(1)  # the retry wait
        raw = default_converter().dumps({"copied": 3})
        assert handle.result(timeout=30) == [2, 3, 10, raw]
        Gates.release.set()  # end the stuck attempt now, not when the workers stop
    types = scenario.event_types(handle)
    assert types.count("ActivityTaskScheduled") == 2
    timed_out = scenario.events(handle, "ActivityTaskTimedOut")
    assert timed_out[0]["timeoutType"] == "HEARTBEAT"
    assert timed_out[0]["details"] == raw
    # The details reach the activity through its input, never as an argument.
    scheduled = scenario.events(handle, "ActivityTaskScheduled")
    assert "__botoflowx_heartbeat_details__" not in scheduled[0]["input"]
    assert "__botoflowx_heartbeat_details__" in scheduled[1]["input"]


def test_a_heartbeating_activity_learns_of_its_cancellation(scenario: Scenario) -> None:
    with scenario.workers([CancelWorkflow], [Copier()]):
        handle = scenario.start(lambda: CancelWorkflow.run())
        assert Gates.beaten.wait(20)
        # The 1 s timer fires in real time (the test clock ticks too); advancing it
        # would also fire the short heartbeat timeout.
        assert handle.result(timeout=30) == "canceled"
    types = scenario.event_types(handle)
    assert "ActivityTaskCancelRequested" in types
    assert "ActivityTaskCanceled" in types


def test_details_that_do_not_fit_the_next_input_are_dropped(scenario: Scenario) -> None:
    # 31,500 characters of input plus 2,000 of details is over SWF's 32,768 limit:
    # the retry still runs, without the details.
    with scenario.workers([BulkyWorkflow], [Copier()]):
        handle = scenario.start(lambda: BulkyWorkflow.run(31_500))
        assert Gates.beaten.wait(20)
        scenario.advance_clock(11)
        scenario.wait_for_event(handle, "TimerStarted")
        scenario.advance_clock(1)
        assert handle.result(timeout=30) == [31_500, None]
        Gates.release.set()  # end the stuck attempt now, not when the workers stop
    scheduled = scenario.events(handle, "ActivityTaskScheduled")
    assert len(scheduled) == 2
    assert "__botoflowx_heartbeat_details__" not in scheduled[1]["input"]
