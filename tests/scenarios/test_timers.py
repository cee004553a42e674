"""Timers: durable sleeps on the test clock, rounding, cancellation and StartTimerFailed."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from botoflowx import workflow_time
from botoflowx.exceptions import CancelledError, StartTimerFailedError
from botoflowx.workflow import AnyFuture, WorkflowDefinition, execute

from .conftest import Scenario

pytestmark = pytest.mark.timeout(60)


class NapWorkflow(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=3600)
    def nap(self, seconds: float) -> Generator[Any, Any, Any]:
        before = workflow_time.time()
        yield workflow_time.sleep(seconds)
        return workflow_time.time() - before


class CancelTimerWorkflow(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=3600)
    def race(self) -> Generator[Any, Any, Any]:
        long_timer = workflow_time.sleep(1000)
        short_timer = workflow_time.sleep(5)
        yield AnyFuture(long_timer, short_timer)
        cancelled_now = long_timer.cancel()
        try:
            yield long_timer
        except CancelledError:
            return ["cancelled", cancelled_now, long_timer.cancelled()]
        return ["fired"]


class TooManyTimersWorkflow(WorkflowDefinition):
    """Starts one timer more than SWF keeps open for a run (1,000)."""

    @execute(version="1.0", execution_start_to_close_timeout=3600)
    def flood(self) -> Generator[Any, Any, Any]:
        timers = [workflow_time.sleep(3600) for _ in range(1001)]
        try:
            yield timers[-1]
        except StartTimerFailedError as err:
            for timer in timers[:-1]:
                timer.cancel()
            return [err.cause, err.timer_id]
        return "started"


def test_fractional_sleep_is_rounded_up_and_fires_on_the_test_clock(scenario: Scenario) -> None:
    with scenario.workers([NapWorkflow]):
        handle = scenario.start(lambda: NapWorkflow.nap(2.5))
        scenario.wait_for_event(handle, "TimerStarted")
        (started,) = scenario.events(handle, "TimerStarted")
        assert started["startToFireTimeout"] == "3"  # 2.5 s rounds up, never down
        scenario.advance_clock(3)
        elapsed = handle.result(timeout=20)
    assert elapsed >= 3
    types = scenario.event_types(handle)
    assert types.index("TimerStarted") < types.index("TimerFired")
    assert types[-1] == "WorkflowExecutionCompleted"


def test_cancelling_a_timer_future_sends_cancel_timer(scenario: Scenario) -> None:
    with scenario.workers([CancelTimerWorkflow]):
        handle = scenario.start(lambda: CancelTimerWorkflow.race())
        scenario.wait_for_event(handle, "TimerStarted", 2)
        scenario.advance_clock(5)
        assert handle.result(timeout=20) == ["cancelled", True, True]
    (fired,) = scenario.events(handle, "TimerFired")
    (canceled,) = scenario.events(handle, "TimerCanceled")
    started = {attrs["timerId"]: attrs for attrs in scenario.events(handle, "TimerStarted")}
    assert started[fired["timerId"]]["startToFireTimeout"] == "5"
    assert started[canceled["timerId"]]["startToFireTimeout"] == "1000"
    assert not scenario.events(handle, "CancelTimerFailed")


def test_start_timer_failed_raises_instead_of_hanging(scenario: Scenario) -> None:
    with scenario.workers([TooManyTimersWorkflow]):
        handle = scenario.start(lambda: TooManyTimersWorkflow.flood())
        cause, timer_id = handle.result(timeout=45)
    assert cause == "OPEN_TIMERS_LIMIT_EXCEEDED"
    (failed,) = scenario.events(handle, "StartTimerFailed")
    assert failed["timerId"] == timer_id
    assert failed["cause"] == "OPEN_TIMERS_LIMIT_EXCEEDED"
    assert len(scenario.events(handle, "TimerCanceled")) == 1000
