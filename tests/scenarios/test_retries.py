"""Retries: @retry_activity (botoflow's parameters) and RetryPolicy, waits on durable timers."""

from __future__ import annotations

import threading
from collections.abc import Generator
from typing import Any

import pytest

from botoflowx.activity import (
    RetryError,
    RetryPolicy,
    activities,
    activity,
    retry_activity,
    retry_on_exception,
)
from botoflowx.exceptions import ActivityTaskFailedError, CancelledError
from botoflowx.workflow import WorkflowDefinition, activity_options, execute, workflow_time

from .conftest import ACTIVITY_TIMEOUTS, Scenario

pytestmark = pytest.mark.timeout(60)


class Attempts:
    """Counts attempts per key, so each scenario has its own tally."""

    _lock = threading.Lock()
    counts: dict[str, int] = {}

    @classmethod
    def next(cls, key: str) -> int:
        with cls._lock:
            cls.counts[key] = cls.counts.get(key, 0) + 1
            return cls.counts[key]


@activities(**ACTIVITY_TIMEOUTS)
class Flaky:
    @retry_activity(stop_max_attempt_number=3, wait_fixed=5)
    @activity(version="1.0")
    def fail_twice(self, key: str) -> str:
        attempt = Attempts.next(key)
        if attempt < 3:
            raise ConnectionError(f"attempt {attempt} failed")
        return f"ok on attempt {attempt}"

    @activity(version="1.0")
    @retry_activity(stop_max_attempt_number=2, wait_fixed=2.5)
    def always_fails(self, key: str) -> None:
        raise ValueError(f"attempt {Attempts.next(key)} of {key} failed")

    @retry_activity(
        stop_max_attempt_number=5, wait_fixed=1, retry_on_exception=retry_on_exception(KeyError)
    )
    @activity(version="1.0")
    def wrong_error(self, key: str) -> None:
        raise ValueError(f"attempt {Attempts.next(key)} failed")

    @retry_activity(stop_max_attempt_number=2, wait_fixed=1, wrap_exception=True)
    @activity(version="1.0")
    def wrapped(self, key: str) -> None:
        raise ValueError(f"attempt {Attempts.next(key)} failed")

    @retry_activity(stop_max_attempt_number=10, wait_fixed=0, retry_on_result=lambda r: r < 3)
    @activity(version="1.0")
    def count_up(self, key: str) -> int:
        return Attempts.next(key)

    @retry_activity(stop_max_delay=10, wait_fixed=6)
    @activity(version="1.0")
    def until_deadline(self, key: str) -> None:
        raise ConnectionError(f"attempt {Attempts.next(key)} failed")

    @retry_activity(stop_max_attempt_number=3, wait_random_min=1, wait_random_max=60)
    @activity(version="1.0")
    def random_waits(self, key: str) -> int:
        attempt = Attempts.next(key)
        if attempt < 3:
            raise ConnectionError("again")
        return attempt

    @activity(version="1.0", retry=RetryPolicy(2, backoff_coefficient=3, maximum_interval=10))
    def backoff(self, key: str, succeed_on: int) -> int:
        attempt = Attempts.next(key)
        if attempt < succeed_on:
            raise ConnectionError(f"attempt {attempt} failed")
        return attempt

    @activity(
        version="1.0",
        retry=RetryPolicy(1, maximum_attempts=5, non_retryable_errors=(PermissionError,)),
    )
    def forbidden(self, key: str) -> None:
        Attempts.next(key)
        raise PermissionError("no access")

    @activity(version="1.0")
    def plain_fail(self, key: str) -> str:
        attempt = Attempts.next(key)
        if attempt < 2:
            raise ConnectionError("once")
        return f"plain ok on {attempt}"


class RetryWorkflow(WorkflowDefinition):
    """Calls one Flaky activity by name and reports its outcome."""

    @execute(version="1.0", execution_start_to_close_timeout=3600)
    def run(self, method: str, *args: Any) -> Generator[Any, Any, Any]:
        try:
            result = yield getattr(Flaky, method)(*args)
        except RetryError as err:
            cause = err.last_exception
            return ["RetryError", err.attempts, type(cause).__name__, err.last_result]
        except ActivityTaskFailedError as err:
            return ["failed", type(err.cause).__name__, str(err.cause)]
        return ["ok", result]


class OptionsWorkflow(WorkflowDefinition):
    """Retries a plain activity through activity_options(retry=...)."""

    @execute(version="1.0", execution_start_to_close_timeout=3600)
    def run(self, key: str) -> Generator[Any, Any, Any]:
        with activity_options(retry=RetryPolicy(7, maximum_attempts=3)):
            retried = Flaky.plain_fail(key)
        result = yield retried
        return result


class CancelRetryWorkflow(WorkflowDefinition):
    """Cancels a retrying call while it waits between attempts."""

    @execute(version="1.0", execution_start_to_close_timeout=3600)
    def run(self, key: str) -> Generator[Any, Any, Any]:
        call = Flaky.always_fails(key)
        yield workflow_time.sleep(1)  # the first attempt has failed by now
        call.cancel()
        try:
            yield call
        except CancelledError:
            return "cancelled"
        return "not cancelled"


def _timer_durations(scenario: Scenario, handle: Any) -> list[str]:
    return [e["startToFireTimeout"] for e in scenario.events(handle, "TimerStarted")]


def _fire_timers(scenario: Scenario, handle: Any, seconds: list[float]) -> None:
    # Each wait is a timer that only fires when the test clock passes it.
    for count, wait in enumerate(seconds, start=1):
        scenario.wait_for_event(handle, "TimerStarted", count)
        scenario.advance_clock(wait)


def test_retry_activity_waits_on_timers_and_succeeds(scenario: Scenario) -> None:
    with scenario.workers([RetryWorkflow], [Flaky()]):
        handle = scenario.start(lambda: RetryWorkflow.run("fail_twice", "s1"))
        _fire_timers(scenario, handle, [5, 5])
        assert handle.result(timeout=30) == ["ok", "ok on attempt 3"]
    types = scenario.event_types(handle)
    assert types.count("ActivityTaskScheduled") == 3
    assert types.count("ActivityTaskFailed") == 2
    assert types.count("TimerFired") == 2
    assert _timer_durations(scenario, handle) == ["5", "5"]
    # Each attempt has its own activity id; the timers sit between them.
    scheduled = scenario.events(handle, "ActivityTaskScheduled")
    assert len({e["activityId"] for e in scheduled}) == 3


def test_giving_up_raises_the_last_failure_and_waits_round_up(scenario: Scenario) -> None:
    with scenario.workers([RetryWorkflow], [Flaky()]):
        handle = scenario.start(lambda: RetryWorkflow.run("always_fails", "s2"))
        _fire_timers(scenario, handle, [3])
        assert handle.result(timeout=30) == ["failed", "ValueError", "attempt 2 of s2 failed"]
    assert scenario.event_types(handle).count("ActivityTaskFailed") == 2
    assert _timer_durations(scenario, handle) == ["3"]  # wait_fixed=2.5, rounded up


def test_retry_on_exception_leaves_other_errors_alone(scenario: Scenario) -> None:
    with scenario.workers([RetryWorkflow], [Flaky()]):
        handle = scenario.start(lambda: RetryWorkflow.run("wrong_error", "s3"))
        assert handle.result(timeout=30) == ["failed", "ValueError", "attempt 1 failed"]
    types = scenario.event_types(handle)
    assert types.count("ActivityTaskScheduled") == 1
    assert "TimerStarted" not in types


def test_wrap_exception_raises_retry_error(scenario: Scenario) -> None:
    with scenario.workers([RetryWorkflow], [Flaky()]):
        handle = scenario.start(lambda: RetryWorkflow.run("wrapped", "s4"))
        _fire_timers(scenario, handle, [1])
        assert handle.result(timeout=30) == ["RetryError", 2, "ActivityTaskFailedError", None]


def test_retry_on_result_retries_without_waiting(scenario: Scenario) -> None:
    with scenario.workers([RetryWorkflow], [Flaky()]):
        handle = scenario.start(lambda: RetryWorkflow.run("count_up", "s5"))
        assert handle.result(timeout=30) == ["ok", 3]
    types = scenario.event_types(handle)
    assert types.count("ActivityTaskCompleted") == 3
    assert "TimerStarted" not in types  # wait_fixed=0: no timer at all


def test_stop_max_delay_counts_workflow_time(scenario: Scenario) -> None:
    with scenario.workers([RetryWorkflow], [Flaky()]):
        handle = scenario.start(lambda: RetryWorkflow.run("until_deadline", "s6"))
        # Attempts at t=0, 6 and 12 (plus the few real seconds the test clock also
        # ticks); after the one at 12 s, more than 10 s have passed.
        _fire_timers(scenario, handle, [6, 6])
        assert handle.result(timeout=30) == ["failed", "ConnectionError", "attempt 3 failed"]
    assert scenario.event_types(handle).count("ActivityTaskScheduled") == 3


def test_random_waits_replay_identically(scenario: Scenario) -> None:
    with scenario.workers([RetryWorkflow], [Flaky()]):
        handle = scenario.start(lambda: RetryWorkflow.run("random_waits", "s7"))
        _fire_timers(scenario, handle, [60, 60])
        # Every decision task replays the earlier draws: a different draw would be a
        # different timer and the run would stall on a non-determinism error.
        assert handle.result(timeout=30) == ["ok", 3]
    durations = [int(d) for d in _timer_durations(scenario, handle)]
    assert len(durations) == 2 and all(1 <= d <= 60 for d in durations)


def test_retry_policy_backs_off_exponentially_up_to_the_cap(scenario: Scenario) -> None:
    with scenario.workers([RetryWorkflow], [Flaky()]):
        handle = scenario.start(lambda: RetryWorkflow.run("backoff", "s8", 4))
        _fire_timers(scenario, handle, [2, 6, 10])
        assert handle.result(timeout=30) == ["ok", 4]
    assert _timer_durations(scenario, handle) == ["2", "6", "10"]  # 2, 2*3, min(18, 10)


def test_retry_policy_never_retries_non_retryable_errors(scenario: Scenario) -> None:
    with scenario.workers([RetryWorkflow], [Flaky()]):
        handle = scenario.start(lambda: RetryWorkflow.run("forbidden", "s9"))
        assert handle.result(timeout=30) == ["failed", "PermissionError", "no access"]
    assert scenario.event_types(handle).count("ActivityTaskScheduled") == 1


def test_activity_options_retry_applies_to_calls_in_the_block(scenario: Scenario) -> None:
    with scenario.workers([OptionsWorkflow], [Flaky()]):
        handle = scenario.start(lambda: OptionsWorkflow.run("s10"))
        _fire_timers(scenario, handle, [7])
        assert handle.result(timeout=30) == "plain ok on 2"
    assert _timer_durations(scenario, handle) == ["7"]


def test_cancelling_a_retrying_call_cancels_its_wait(scenario: Scenario) -> None:
    with scenario.workers([CancelRetryWorkflow], [Flaky()]):
        handle = scenario.start(lambda: CancelRetryWorkflow.run("s11"))
        # Timer 1 is the retry wait (3 s), the workflow's own 1 s sleep follows.
        scenario.wait_for_event(handle, "ActivityTaskFailed")
        scenario.wait_for_event(handle, "TimerStarted", 2)
        scenario.advance_clock(1)
        assert handle.result(timeout=30) == "cancelled"
    types = scenario.event_types(handle)
    assert "TimerCanceled" in types
    assert types.count("ActivityTaskScheduled") == 1
