"""Retries: @retry_activity (botoflow's parameters) and RetryPolicy, waits on durable timers."""

from __future__ import annotations

import threading
import time
from collections.abc import Generator, Iterator
from contextlib import contextmanager
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
from botoflowx.worker import (
    ActivityWorker,
    ThreadedActivityExecutor,
    ThreadedWorkflowExecutor,
    WorkflowWorker,
)
from botoflowx.workflow import (
    WorkflowDefinition,
    activity_options,
    execute,
    get_context,
    workflow_time,
)

from .conftest import ACTIVITY_TIMEOUTS, REGION, Scenario

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

    @activity(version="1.0", heartbeat_timeout=4, retry=RetryPolicy(1, maximum_attempts=5))
    def spin(self, key: str) -> str:
        Attempts.next(key)
        context = get_context()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            context.heartbeat("spinning")  # raises CancellationError once canceled
            time.sleep(0.02)
        return "finished"

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


@contextmanager
def full_replay_workers(scenario: Scenario, *definitions: type) -> Iterator[None]:
    """Workers without the sticky cache: every decision task replays the whole history."""
    common: dict[str, Any] = {"endpoint_url": scenario.endpoint_url, "register_domain": True}
    deciders = ThreadedWorkflowExecutor(
        WorkflowWorker(
            None, REGION, scenario.domain, scenario.task_list, *definitions, cache_size=0, **common
        )
    )
    runners = ThreadedActivityExecutor(
        ActivityWorker(None, REGION, scenario.domain, scenario.task_list, Flaky(), **common)
    )
    deciders.start()
    runners.start(pollers=1, workers=2)
    try:
        yield
    finally:
        for executor in (runners, deciders):
            executor.stop()
        assert runners.join(timeout=30) and deciders.join(timeout=30)
        runners.worker.close()
        deciders.worker.close()


class CancelAttemptWorkflow(WorkflowDefinition):
    """Cancels a retrying call while an attempt runs."""

    @execute(version="1.0", execution_start_to_close_timeout=3600)
    def run(self, key: str) -> Generator[Any, Any, Any]:
        call = Flaky.spin(key)
        yield workflow_time.sleep(1)
        call.cancel()
        try:
            yield call
        except CancelledError as err:
            return type(err).__name__
        return "not cancelled"


def _timer_durations(scenario: Scenario, handle: Any) -> list[str]:
    return [e["startToFireTimeout"] for e in scenario.events(handle, "TimerStarted")]


def _fire_timers(scenario: Scenario, handle: Any, seconds: list[float]) -> None:
    # Each wait is a timer that only fires when the test clock passes it.
    for count, wait in enumerate(seconds, start=1):
        scenario.wait_for_event(handle, "TimerStarted", count)
        scenario.advance_clock(wait, run=handle)


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


def test_cancelling_a_retrying_call_cancels_the_attempt_in_flight(scenario: Scenario) -> None:
    with scenario.workers([CancelAttemptWorkflow], [Flaky()]):
        handle = scenario.start(lambda: CancelAttemptWorkflow.run("s13"))
        # The 1 s timer fires in real time; the heartbeat throttle (2 s) bounds how
        # late the activity sees the request.
        assert handle.result(timeout=30) == "ActivityTaskCanceledError"
    types = scenario.event_types(handle)
    assert "ActivityTaskCancelRequested" in types and "ActivityTaskCanceled" in types
    assert types.count("ActivityTaskScheduled") == 1  # a canceled attempt is not retried


def test_the_retry_loop_replays_from_scratch(scenario: Scenario) -> None:
    # No cache: each of the ~8 decision tasks rebuilds the loop from the history alone
    # (attempt count, elapsed time, pending timer) and must produce the commands the
    # history holds. The replay core matches commands by type and id, not by their
    # attributes, so the random draws' determinism is checked on its own below.
    with full_replay_workers(scenario, RetryWorkflow):
        handle = scenario.start(lambda: RetryWorkflow.run("random_waits", "s12"))
        _fire_timers(scenario, handle, [60, 60])
        assert handle.result(timeout=30) == ["ok", 3]
    types = scenario.event_types(handle)
    assert types.count("ActivityTaskScheduled") == 3
    assert types.count("TimerFired") == 2
    assert "DecisionTaskTimedOut" not in types  # no non-determinism left a task unanswered


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


# -- the strategies on their own (no server) ------------------------------------------------


def test_retry_policy_delays_and_stops() -> None:
    import random

    policy = RetryPolicy(2, backoff_coefficient=3, maximum_interval=10, maximum_attempts=4)
    rng = random.Random(0)
    assert [policy.delay(n, 0, rng) for n in (1, 2, 3, 4)] == [2, 6, 10, 10]
    assert [policy.stops(n, 0) for n in (1, 3, 4)] == [False, False, True]
    unlimited = RetryPolicy(1.5)
    assert unlimited.effective_maximum_interval == 150
    assert unlimited.delay(1000, 0, rng) == 150  # no overflow after many attempts
    assert not unlimited.stops(10_000, 10**9)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"initial_interval": 0},
        {"initial_interval": 1, "backoff_coefficient": 0.5},
        {"initial_interval": 5, "maximum_interval": 1},
        {"initial_interval": 1, "maximum_attempts": 0},
        {"initial_interval": 1, "non_retryable_errors": (42,)},
    ],
)
def test_retry_policy_rejects_bad_parameters(kwargs: dict[str, Any]) -> None:
    with pytest.raises((TypeError, ValueError)):
        RetryPolicy(**kwargs)


def test_botoflow_waits_combine_with_max_and_default_sensibly() -> None:
    import random

    from botoflowx.activity import ActivityRetrying

    rng = random.Random(0)
    default = ActivityRetrying()
    assert [default.stops(n, 0) for n in (1, 2, 3)] == [False, False, True]
    assert default.delay(1, 0, rng) == 1.0
    incrementing = ActivityRetrying(wait_incrementing_start=1, wait_incrementing_increment=2)
    assert [incrementing.delay(n, 0, rng) for n in (1, 2, 3)] == [1, 3, 5]
    exponential = ActivityRetrying(wait_exponential_multiplier=1, wait_exponential_max=10)
    assert [exponential.delay(n, 0, rng) for n in (1, 2, 3, 4)] == [2, 4, 8, 10]
    both = ActivityRetrying(wait_fixed=5, wait_exponential_multiplier=1)
    assert [both.delay(n, 0, rng) for n in (1, 3)] == [5, 8]
    custom = ActivityRetrying(stop_func=lambda n, t: t > 30, wait_func=lambda n, t: n * 7)
    assert (custom.stops(99, 30), custom.stops(1, 31), custom.delay(3, 0, rng)) == (
        False,
        True,
        21,
    )
    drawn = [ActivityRetrying(wait_random_min=2, wait_random_max=4).delay(1, 0, rng)]
    assert 2 <= drawn[0] <= 4


def test_retry_on_exception_unwraps_activity_failures_and_stand_ins() -> None:
    from botoflowx.converter import default_converter

    class Declined(Exception):
        pass

    remote = default_converter().loads(default_converter().dumps(Declined("no")))
    assert type(remote) is not Declined  # an unregistered type arrives as a stand-in
    failure = ActivityTaskFailedError(remote, activity_type="A.b", activity_id="1")
    assert retry_on_exception(Declined)(failure)
    assert retry_on_exception("Declined")(failure)
    assert not retry_on_exception(KeyError)(failure)
    assert retry_on_exception(ActivityTaskFailedError)(failure)
    assert retry_on_exception(ValueError)(ActivityTaskFailedError(ValueError("x")))


def test_cancellations_and_fatal_schedule_failures_are_never_retried() -> None:
    from botoflowx.exceptions import ScheduleActivityTaskFailedError

    policy = RetryPolicy(1)
    assert not policy.retries_error(CancelledError("stop"))
    assert not policy.retries_error(ScheduleActivityTaskFailedError("ACTIVITY_TYPE_DOES_NOT_EXIST"))
    assert policy.retries_error(ScheduleActivityTaskFailedError("ACTIVITY_CREATION_RATE_EXCEEDED"))


def test_decorator_forms_and_misuse() -> None:
    from botoflowx.activity import ActivityRetrying, collect_activities

    @activities(**ACTIVITY_TIMEOUTS)
    class Forms:
        @retry_activity
        @activity(version="1.0")
        def bare_above(self) -> int:
            return 1

        @activity(version="1.0")
        @retry_activity
        def bare_below(self) -> int:
            return 2

        @retry_activity(RetryPolicy(3))
        @activity(version="1.0")
        def policy(self) -> int:
            return 3

    @activities(retry=RetryPolicy(4), **ACTIVITY_TIMEOUTS)
    class ClassDefault:
        @activity(version="1.0")
        def inherits(self) -> None:
            return None

        @activity(version="1.0", retry=RetryPolicy(5))
        def overrides(self) -> None:
            return None

    defaults = {name: meta.retry for (name, _), meta in collect_activities(ClassDefault).items()}
    assert defaults == {
        "ClassDefault.inherits": RetryPolicy(4),
        "ClassDefault.overrides": RetryPolicy(5),
    }
    metas = {name: meta for (name, _), meta in collect_activities(Forms).items()}
    assert isinstance(metas["Forms.bare_above"].retry, ActivityRetrying)
    assert isinstance(metas["Forms.bare_below"].retry, ActivityRetrying)
    assert metas["Forms.policy"].retry == RetryPolicy(3)
    assert Forms().bare_below() == 2  # outside a workflow it is still the plain method
    with pytest.raises(ValueError):
        retry_activity(stop_max_attempt_number=0)
    with pytest.raises(TypeError):
        retry_activity(RetryPolicy(1), wait_fixed=2)
    with pytest.raises(TypeError):
        activity_options(retry="three times")


def test_random_draws_depend_only_on_the_run_and_the_attempt() -> None:
    from types import SimpleNamespace

    from botoflowx.workflow._retry import _attempt_rng

    def draws(run_id: str, activity_id: str, attempt: int) -> list[float]:
        runtime: Any = SimpleNamespace(workflow_execution=SimpleNamespace(run_id=run_id))
        rng = _attempt_rng(runtime, activity_id, attempt)
        return [rng.random() for _ in range(3)]

    assert draws("run-a", "1", 1) == draws("run-a", "1", 1)
    assert draws("run-a", "1", 1) != draws("run-a", "1", 2)
    assert draws("run-a", "1", 1) != draws("run-b", "1", 1)
