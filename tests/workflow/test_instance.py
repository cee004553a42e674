"""WorkflowInstance driven by hand-built activations: the exact commands it produces."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Generator
from typing import Any

import pytest
from _fakes import Driver, FakeJob, attrs, completed, dumps, input_of, loads, summary

from botoflowx.activity._decorators import activities, activity
from botoflowx.activity._meta import ActivityMeta, ActivityType
from botoflowx.constants import MINUTES
from botoflowx.converter import JSONDataConverter
from botoflowx.exceptions import (
    ActivityTaskCanceledError,
    ActivityTaskFailedError,
    ActivityTaskTimedOutError,
    CancelledError,
    NonDeterminismError,
    PayloadTooLargeError,
    ScheduleActivityTaskFailedError,
    StartTimerFailedError,
)
from botoflowx.workflow import (
    AllFuture,
    AnyFuture,
    WorkflowDefinition,
    activity_options,
    coroutine,
    execute,
    get_context,
    signal,
    workflow_time,
)
from botoflowx.workflow._context import current_runtime


class HelloWorldActivities:
    @activity(version="1.0", start_to_close_timeout=60)
    def get_name(self) -> str:
        return "World"

    @activity(version="1.0", start_to_close_timeout=60)
    def print_greeting(self, name: str) -> None:
        print(f"Hello {name}!")


class HelloWorldWorkflow(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=1 * MINUTES)
    def hello_world(self) -> Generator[Any, Any, None]:
        name = yield HelloWorldActivities.get_name()
        yield HelloWorldActivities.print_greeting(name)


def test_hello_world() -> None:
    d = Driver(HelloWorldWorkflow)
    first = d.start()
    assert [c.decision for c in first] == [
        {
            "decisionType": "ScheduleActivityTask",
            "scheduleActivityTaskDecisionAttributes": {
                "activityType": {"name": "HelloWorldActivities.get_name", "version": "1.0"},
                "activityId": "1",
                "input": input_of(),
                "startToCloseTimeout": "60",
            },
        }
    ]
    assert first[0].as_replay_tuple() == (
        "ScheduleActivityTask",
        "1",
        "HelloWorldActivities.get_name",
        first[0].location,
    )
    assert first[0].location.startswith("test_instance.py:") and "hello_world" in first[0].location
    second = d.activate(completed("1", "World"))
    assert summary(second) == [("ScheduleActivityTask", "2", "HelloWorldActivities.print_greeting")]
    assert loads(attrs(second[0])["input"]) == [["World"], {}]
    third = d.activate(completed("2", None))
    assert [c.decision for c in third] == [
        {
            "decisionType": "CompleteWorkflowExecution",
            "completeWorkflowExecutionDecisionAttributes": {"result": dumps(None)},
        }
    ]
    assert d.instance.closed
    assert d.instance.execution_context is None


def test_replaying_the_same_activations_gives_the_same_commands() -> None:
    runs = []
    for _ in range(2):
        d = Driver(HelloWorldWorkflow)
        runs.append(
            [
                c.as_replay_tuple()
                for c in d.start()
                + d.activate(completed("1", "Bob"))
                + d.activate(completed("2", None))
            ]
        )
    assert runs[0] == runs[1]


@activities(start_to_close_timeout=30)
class MathActs:
    @activity("1.0")
    def square(self, x: int) -> int:
        return x * x

    @activity("1.0")
    def explode(self, message: str) -> None:
        raise KeyError(message)


class FanOut(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=60)
    def run(self, n: int) -> Generator[Any, Any, int]:
        results = yield AllFuture(*[MathActs.square(i) for i in range(n)])
        return sum(results)


def test_fan_out_of_50_activities_with_all_future() -> None:
    d = Driver(FanOut)
    commands = d.start(50)
    assert [c.key for c in commands] == [str(i) for i in range(1, 51)]
    assert {c.name for c in commands} == {"MathActs.square"}
    assert loads(attrs(commands[49])["input"]) == [[49], {}]
    # Results arrive in two batches and out of order.
    first = [completed(str(i + 1), i * i) for i in range(0, 50, 2)]
    assert d.activate(*reversed(first)) == []
    last = d.activate(*[completed(str(i + 1), i * i) for i in range(1, 50, 2)])
    assert summary(last) == [("CompleteWorkflowExecution", "", "")]
    assert loads(attrs(last[0])["result"]) == sum(i * i for i in range(50))


class Race(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=60)
    def run(self) -> Generator[Any, Any, Any]:
        fast = MathActs.square(2)
        slow = MathActs.square(3)
        first = yield AnyFuture(fast, slow)
        either = yield fast | slow
        both = yield fast & slow
        return [first, either, list(both)]


def test_any_future_and_operators() -> None:
    d = Driver(Race)
    assert [c.key for c in d.start()] == ["1", "2"]
    out = d.activate(completed("2", 9))
    assert out == []
    out = d.activate(completed("1", 4))
    assert loads(attrs(out[0])["result"]) == [9, 9, [4, 9]]


class Failing(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=60)
    def run(self) -> Generator[Any, Any, Any]:
        try:
            yield MathActs.explode("nope")
        except ActivityTaskFailedError as err:
            return {
                "cause_type": type(err.cause).__name__,
                "cause_args": list(err.cause.args) if err.cause else None,
                "reason": err.reason,
                "activity_id": err.activity_id,
                "activity_type": err.activity_type,
                "event_id": err.event_id,
                "traceback": "_failure_of" in (err.remote_traceback or ""),
            }
        return None


def _failure_of(exc: BaseException) -> FakeJob:
    try:
        raise exc
    except BaseException as raised:
        details = dumps(raised)
    return FakeJob(
        "activity_failed",
        key="1",
        event_id=7,
        reason=f"{type(exc).__name__}: {exc}",
        details=details,
    )


def test_activity_failure_surfaces_with_the_original_exception() -> None:
    d = Driver(Failing)
    d.start()
    out = d.activate(_failure_of(KeyError("nope")))
    assert summary(out) == [("CompleteWorkflowExecution", "", "")]
    assert loads(attrs(out[0])["result"]) == {
        "cause_type": "KeyError",
        "cause_args": ["nope"],
        "reason": "KeyError: 'nope'",
        "activity_id": "1",
        "activity_type": "MathActs.explode",
        "event_id": 7,
        "traceback": True,
    }


class Raises(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=60)
    def run(self) -> Generator[Any, Any, None]:
        yield MathActs.square(1)
        raise ValueError("bad input " + "x" * 300)


def test_a_workflow_raising_fails_the_execution() -> None:
    d = Driver(Raises)
    d.start()
    out = d.activate(completed("1", 1))
    assert summary(out) == [("FailWorkflowExecution", "", "")]
    fail = attrs(out[0])
    assert fail["reason"].startswith("ValueError: bad input") and len(fail["reason"]) == 256
    error = loads(fail["details"])
    assert isinstance(error, ValueError) and error.args[0].startswith("bad input")
    assert "test_instance.py" in out[0].location
    assert d.instance.closed


def test_uncaught_activity_failure_fails_the_workflow_with_it() -> None:
    class Unhandled(WorkflowDefinition):
        @execute(version="1.0", execution_start_to_close_timeout=60)
        def run(self) -> Generator[Any, Any, None]:
            yield MathActs.explode("x")

    d = Driver(Unhandled)
    d.start()
    out = d.activate(_failure_of(KeyError("x")))
    assert attrs(out[0])["reason"].startswith("ActivityTaskFailedError: activity MathActs.explode")


class Sleeper(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=60)
    def run(self) -> Generator[Any, Any, Any]:
        before = workflow_time.time()
        yield workflow_time.sleep(2.5)
        return [before, workflow_time.time(), workflow_time.is_replaying()]


def test_timer() -> None:
    d = Driver(Sleeper)
    (start,) = d.start()
    assert start.decision == {
        "decisionType": "StartTimer",
        "startTimerDecisionAttributes": {"timerId": "1", "startToFireTimeout": "3"},
    }
    before = d.time
    out = d.activate(FakeJob("timer_fired", key="1"), advance=3, replaying=True)
    assert loads(attrs(out[0])["result"]) == [before, before + 3, True]


def test_start_timer_failed_raises_into_the_waiter() -> None:
    d = Driver(Sleeper)
    d.start()
    out = d.activate(FakeJob("start_timer_failed", key="1", cause="TIMER_CREATION_RATE_EXCEEDED"))
    assert summary(out) == [("FailWorkflowExecution", "", "")]
    assert "TIMER_CREATION_RATE_EXCEEDED" in attrs(out[0])["reason"]
    # Framework errors travel by type name (the converter decodes unregistered types to a
    # stand-in); the failing workflow line is in the traceback text.
    details = attrs(out[0])["details"]
    assert StartTimerFailedError.__name__ in details and "workflow_time.sleep(2.5)" in details


class TimerCanceller(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=60)
    def run(self) -> Generator[Any, Any, str]:
        unsent = workflow_time.sleep(10)
        unsent.cancel()
        timer = workflow_time.sleep(60)
        yield MathActs.square(1)
        timer.cancel()
        try:
            yield timer
        except CancelledError:
            return "cancelled"
        return "fired"


def test_cancelling_a_timer() -> None:
    d = Driver(TimerCanceller)
    # The first timer was withdrawn before it was sent; its id stays used.
    assert summary(d.start()) == [
        ("StartTimer", "2", ""),
        ("ScheduleActivityTask", "3", "MathActs.square"),
    ]
    out = d.activate(completed("3", 1))
    assert summary(out) == [("CancelTimer", "2", ""), ("CompleteWorkflowExecution", "", "")]
    assert loads(attrs(out[1])["result"]) == "cancelled"


class Cancellable(WorkflowDefinition):
    cleaned = False

    @execute(version="1.0", execution_start_to_close_timeout=60)
    def run(self) -> Generator[Any, Any, None]:
        yield [MathActs.square(1), MathActs.square(2)]

    def cancellation_handler(self) -> Generator[Any, Any, None]:
        yield MathActs.square(3)


def test_cancel_request_runs_the_handler_then_cancels_open_activities() -> None:
    d = Driver(Cancellable)
    d.start()
    out = d.activate(FakeJob("cancel_requested"), completed("1", 1))
    # The handler's own activity is scheduled first; the run stays open until it ends.
    assert summary(out) == [("ScheduleActivityTask", "3", "MathActs.square")]
    out = d.activate(completed("3", 9))
    assert summary(out) == [
        ("RequestCancelActivityTask", "2", ""),
        ("CancelWorkflowExecution", "", ""),
    ]
    assert attrs(out[1]) == {}


class SelfCancel(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=60)
    def run(self) -> Generator[Any, Any, None]:
        MathActs.square(1)
        yield workflow_time.sleep(5)
        self.cancel("no longer needed")
        yield workflow_time.sleep(5)


def test_self_cancel_closes_as_canceled_with_details() -> None:
    d = Driver(SelfCancel)
    d.start()
    out = d.activate(FakeJob("timer_fired", key="2"))
    assert summary(out) == [
        ("StartTimer", "3", ""),
        ("RequestCancelActivityTask", "1", ""),
        ("CancelWorkflowExecution", "", ""),
    ]
    assert attrs(out[2]) == {"details": "no longer needed"}


class ActivityCanceller(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=60)
    def run(self) -> Generator[Any, Any, Any]:
        withdrawn = MathActs.square(1)
        withdrawn.cancel()
        running = MathActs.square(2)
        yield workflow_time.sleep(1)
        running.cancel()
        try:
            yield running
        except ActivityTaskCanceledError as err:
            return ["canceled", err.details, isinstance(err, CancelledError), withdrawn.cancelled()]
        return None


def test_activity_future_cancel() -> None:
    d = Driver(ActivityCanceller)
    assert summary(d.start()) == [
        ("ScheduleActivityTask", "2", "MathActs.square"),
        ("StartTimer", "3", ""),
    ]
    assert summary(d.activate(FakeJob("timer_fired", key="3"))) == [
        ("RequestCancelActivityTask", "2", "")
    ]
    out = d.activate(FakeJob("activity_canceled", key="2", details="stopped"))
    assert loads(attrs(out[0])["result"]) == ["canceled", "stopped", True, True]


class Signals(WorkflowDefinition):
    def __init__(self, execution: Any = None) -> None:
        super().__init__(execution)
        self.received: list[Any] = []
        self.done = False

    @execute(version="1.0", execution_start_to_close_timeout=60)
    def run(self) -> Generator[Any, Any, list[Any]]:
        while not self.done:
            yield workflow_time.sleep(60)
        return self.received

    @signal()
    def add(self, value: Any, tag: str = "") -> None:
        self.received.append([value, tag])

    @signal(name="finish")
    def finish_slowly(self) -> Generator[Any, Any, None]:
        squared = yield MathActs.square(4)
        self.received.append(squared)
        self.done = True


def test_signals_are_dispatched_in_history_order() -> None:
    d = Driver(Signals)
    d.start()
    out = d.activate(
        FakeJob("signaled", name="add", payload=input_of(1)),
        FakeJob("signaled", name="unknown", payload=input_of()),
        FakeJob("signaled", name="add", payload=input_of(2, tag="b")),
        FakeJob("signaled", name="finish", payload=input_of()),
    )
    assert summary(out) == [("ScheduleActivityTask", "2", "MathActs.square")]
    out = d.activate(completed("2", 16), FakeJob("timer_fired", key="1"))
    assert loads(attrs(out[0])["result"]) == [[1, ""], [2, "b"], 16]


def test_a_failing_signal_handler_fails_the_workflow() -> None:
    d = Driver(Signals)
    d.start()
    out = d.activate(FakeJob("signaled", name="add", payload=input_of(1, 2, 3)))
    assert summary(out) == [("FailWorkflowExecution", "", "")]
    assert attrs(out[0])["reason"].startswith("TypeError")


class Options(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=60)
    def run(self) -> Generator[Any, Any, None]:
        with activity_options(task_list="gpu", start_to_close_timeout=7.2, task_priority=5):
            with activity_options(name="Other.square", version="9", heartbeat_timeout=3):
                first = MathActs.square(1)
            second = ActivityType("2.0", "Remote.thing")(x=1)
        yield [first, second]


def test_activity_options_shape_the_schedule_decision() -> None:
    d = Driver(Options)
    first, second = d.start()
    assert attrs(first) == {
        "activityType": {"name": "Other.square", "version": "9"},
        "activityId": "1",
        "input": input_of(1),
        "taskList": {"name": "gpu"},
        "taskPriority": "5",
        "heartbeatTimeout": "3",
        "startToCloseTimeout": "8",
    }
    assert first.name == "Other.square"
    assert attrs(second) == {
        "activityType": {"name": "Remote.thing", "version": "2.0"},
        "activityId": "2",
        "input": input_of(x=1),
        "taskList": {"name": "gpu"},
        "taskPriority": "5",
        "startToCloseTimeout": "8",
    }


def test_other_activity_outcomes() -> None:
    class Outcomes(WorkflowDefinition):
        @execute(version="1.0", execution_start_to_close_timeout=60)
        def run(self) -> Generator[Any, Any, list[str]]:
            seen = []
            for _ in range(2):
                try:
                    yield MathActs.square(1)
                except (ActivityTaskTimedOutError, ScheduleActivityTaskFailedError) as err:
                    seen.append(
                        type(err).__name__
                        + ":"
                        + str(getattr(err, "timeout_type", "") or err.cause)
                    )
            return seen

    d = Driver(Outcomes)
    d.start()
    d.activate(FakeJob("activity_timed_out", key="1", cause="START_TO_CLOSE"))
    out = d.activate(
        FakeJob(
            "schedule_activity_failed",
            key="2",
            name="MathActs.square",
            cause="ACTIVITY_TYPE_DOES_NOT_EXIST",
        )
    )
    assert loads(attrs(out[0])["result"]) == [
        "ActivityTaskTimedOutError:START_TO_CLOSE",
        "ScheduleActivityTaskFailedError:ACTIVITY_TYPE_DOES_NOT_EXIST",
    ]


class Big(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=60)
    def run(self, where: str) -> Generator[Any, Any, Any]:
        if where == "input":
            try:
                MathActs.square("x" * 40_000)
            except PayloadTooLargeError as err:
                return str(err)
        yield None
        return "y" * 40_000


def test_payloads_over_the_limit_raise_a_clear_error_in_the_workflow() -> None:
    d = Driver(Big)
    out = d.start("input")
    message = loads(attrs(out[0])["result"])
    assert "input of activity MathActs.square 1.0" in message and "32768" in message
    d = Driver(Big)
    out = d.start("result")
    assert summary(out) == [("FailWorkflowExecution", "", "")]
    assert "result" in attrs(out[0])["reason"] and "PayloadTooLargeError" in attrs(out[0])["reason"]


class Stateful(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=60)
    def run(self) -> Generator[Any, Any, Any]:
        context = get_context()
        self.workflow_state = "started"
        yield workflow_time.sleep(1)
        return [
            list(self.workflow_execution),
            list(context.workflow_execution),
            context.is_replaying,
        ]


def test_real_ids_context_and_execution_context() -> None:
    d = Driver(Stateful)
    d.start()
    assert d.instance.execution_context == "started"
    out = d.activate(FakeJob("timer_fired", key="1"))
    assert loads(attrs(out[0])["result"]) == [["wf-1", "run-1"], ["wf-1", "run-1"], False]


def test_close_failed_re_emits_the_close_decision() -> None:
    d = Driver(HelloWorldWorkflow)
    d.start()
    d.activate(completed("1", "W"))
    (close,) = d.activate(completed("2", None))
    out = d.activate(
        FakeJob("signaled", name="late"),
        FakeJob("close_failed", name="CompleteWorkflowExecution", cause="UNHANDLED_DECISION"),
    )
    assert out == [close]


def test_history_that_does_not_match_the_code_is_a_non_determinism_error() -> None:
    d = Driver(HelloWorldWorkflow)
    d.start()
    with pytest.raises(NonDeterminismError, match="activity '7'"):
        d.activate(completed("7", "x"))


def test_unknown_job_kinds_are_rejected_by_name() -> None:
    d = Driver(HelloWorldWorkflow)
    d.start()
    with pytest.raises(ValueError, match="'bogus'"):
        d.activate(FakeJob("bogus"))


def test_bad_input_fails_the_workflow() -> None:
    d = Driver(FanOut)
    out = d.activate(FakeJob("workflow_started", payload=dumps("not args")))
    assert summary(out) == [("FailWorkflowExecution", "", "")]
    assert "[args, kwargs]" in attrs(out[0])["reason"]
    # A bare dict is keyword arguments, as botoflow accepted.
    d = Driver(FanOut)
    assert len(d.activate(FakeJob("workflow_started", payload=dumps({"n": 2})))) == 2


class Helpers(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=60)
    def run(self) -> Generator[Any, Any, Any]:
        return (yield [self.double(1), self.double(2)])

    @coroutine
    def double(self, x: int) -> Generator[Any, Any, int]:
        value = yield MathActs.square(x)
        return value * 2


def test_coroutine_helpers_schedule_concurrently() -> None:
    d = Driver(Helpers)
    out = d.start()
    assert [c.key for c in out] == ["1", "2"]
    assert all("double" in c.location for c in out)
    out = d.activate(completed("2", 4), completed("1", 1))
    assert loads(attrs(out[0])["result"]) == (2, 8)


def test_activity_code_runs_plainly_outside_the_engine() -> None:
    assert MathActs().square(3) == 9
    assert HelloWorldActivities.get_name(HelloWorldActivities()) == "World"


def test_an_unknown_signal_is_logged_not_fatal(caplog: pytest.LogCaptureFixture) -> None:
    d = Driver(Signals)
    d.start()
    with caplog.at_level(logging.WARNING, logger="botoflowx.workflow"):
        assert d.activate(FakeJob("signaled", name="nope")) == []
    assert "no @signal handler" in caplog.text and "'nope'" in caplog.text


ran: list[str] = []


class Cleanup:
    @activity("1.0", start_to_close_timeout=5)
    def cleanup(self) -> None:
        ran.append("cleanup ran")


class WithFinally(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=60)
    def run(self, finish_early: bool) -> Generator[Any, Any, str]:
        if finish_early:
            self.waiter()
            return "done"
        try:
            yield workflow_time.sleep(10)
        finally:
            Cleanup().cleanup()
        return "slept"

    @coroutine
    def waiter(self) -> Generator[Any, Any, None]:
        try:
            yield workflow_time.sleep(10)
        finally:
            Cleanup().cleanup()


def test_close_discards_coroutines_without_running_activity_code() -> None:
    ran.clear()
    d = Driver(WithFinally)
    assert summary(d.start(False)) == [("StartTimer", "1", "")]
    d.instance.close()
    assert ran == []
    d.instance.close()  # idempotent


def test_a_closed_run_discards_its_waiting_coroutines() -> None:
    ran.clear()
    d = Driver(WithFinally)
    out = d.start(True)
    assert summary(out) == [("StartTimer", "1", ""), ("CompleteWorkflowExecution", "", "")]
    assert ran == []


def test_jobs_after_a_failed_start_are_ignored() -> None:
    class BrokenInit(WorkflowDefinition):
        def __init__(self, execution: Any = None) -> None:
            raise RuntimeError("cannot build")

        @execute(version="1.0", execution_start_to_close_timeout=60)
        def run(self) -> None:
            return None

        @signal()
        def poke(self) -> None:
            return None

    d = Driver(BrokenInit)
    out = d.activate(
        FakeJob("workflow_started", payload=input_of()),
        FakeJob("signaled", name="poke", payload=input_of()),
    )
    assert summary(out) == [("FailWorkflowExecution", "", "")]
    assert attrs(out[0])["reason"] == "RuntimeError: cannot build"


def test_an_unsendable_activity_option_raises_on_every_call_after_taking_an_id() -> None:
    # Options are formatted once per ActivityMeta; a bad one must still fail each call,
    # at the same point as before (after the activity id was taken), so the ids of the
    # calls after it, and with them replays of older histories, do not move.
    bad = ActivityMeta(name="Remote.bad", version="1", start_to_close_timeout="soon")
    good = ActivityType("1", "Remote.good", start_to_close_timeout=60)

    class BadOption(WorkflowDefinition):
        @execute(version="1.0", execution_start_to_close_timeout=60)
        def run(self) -> Generator[Any, Any, list[str]]:
            errors = []
            for _ in range(2):
                try:
                    current_runtime("test").schedule_activity(bad, (), {})
                except TypeError as exc:
                    errors.append(str(exc))
            yield good()
            return errors

    d = Driver(BadOption)
    assert summary(d.start()) == [("ScheduleActivityTask", "3", "Remote.good")]
    (close,) = d.activate(completed("3", None))
    assert (
        loads(attrs(close)["result"])
        == ["start_to_close_timeout must be a number of seconds or 'NONE', got 'soon'"] * 2
    )


def test_commands_carry_the_line_of_each_call_site() -> None:
    class TwoSites(WorkflowDefinition):
        @execute(version="1.0", execution_start_to_close_timeout=60)
        def run(self) -> Generator[Any, Any, None]:
            for _ in range(2):
                yield HelloWorldActivities.get_name()
                yield HelloWorldActivities.get_name()

    d = Driver(TwoSites)
    locations = [d.start()[0].location]
    for key in ("1", "2", "3"):
        locations += [command.location for command in d.activate(completed(key, "x"))]
    first_line = TwoSites.__dict__["run"].__wrapped__.__code__.co_firstlineno + 3
    assert locations[:4] == [
        f"test_instance.py:{line} in run"
        for line in (first_line, first_line + 1, first_line, first_line + 1)
    ]


order: list[str] = []


def _raising_callback(future: Any) -> None:
    raise RuntimeError("callback failed")


class ActivityCallbacks(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=60)
    def run(self) -> Generator[Any, Any, int]:
        first = MathActs.square(2)
        first.add_done_callback(_raising_callback)
        second = MathActs.square(3)
        second.add_done_callback(lambda future: order.append(f"callback {future.result()}"))
        value = yield second
        order.append(f"resumed {value}")
        return int(value)


def test_activity_done_callbacks_run_in_order_and_a_raising_one_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The first future's only waiter is a raising callback, the second has two waiters:
    # both ways an activity result reaches its waiters keep callbacks in order and log
    # (not propagate) a callback's error.
    order.clear()
    d = Driver(ActivityCallbacks)
    assert [c.key for c in d.start()] == ["1", "2"]
    with caplog.at_level(logging.ERROR, logger="botoflowx.workflow"):
        out = d.activate(completed("1", 4), completed("2", 9))
    assert "callback failed" in caplog.text
    assert order == ["callback 9", "resumed 9"]
    assert [c.decision_type for c in out] == ["CompleteWorkflowExecution"]
    assert loads(attrs(out[0])["result"]) == 9


class PrefixConverter:
    """A converter whose dumps and loads take no ``context``: the engine must not pass one."""

    def dumps(self, value: Any) -> str:
        return "P" + dumps(value)

    def loads(self, text: str) -> Any:
        assert text.startswith("P"), text
        return loads(text[1:])


@activities(start_to_close_timeout=5, data_converter=PrefixConverter())
class PrefixActs:
    @activity("1.0")
    def add_one(self, value: int) -> int:
        return value + 1


class PrefixWorkflow(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=60)
    def run(self) -> Generator[Any, Any, int]:
        value = yield PrefixActs.add_one(3)
        return int(value) * 10


def test_an_activity_converter_without_context_encodes_input_and_decodes_results() -> None:
    d = Driver(PrefixWorkflow)
    (schedule,) = d.start()
    assert attrs(schedule)["input"] == "P" + input_of(3)
    (close,) = d.activate(FakeJob("activity_completed", key="1", payload="P" + dumps(4)))
    assert close.decision_type == "CompleteWorkflowExecution"
    assert loads(attrs(close)["result"]) == 40


class RecordingConverter(JSONDataConverter):
    """A converter subclass: it must see every input (no fast path around it)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[Any] = []

    def dumps(self, value: Any, *, context: str = "") -> str:
        self.seen.append(value)
        return super().dumps(value, context=context)


RECORDING = RecordingConverter()


class InputActivities:
    @activity(version="1.0", start_to_close_timeout=60)
    def plain(self, a: Any, b: Any = None) -> None: ...


@activities(data_converter=RECORDING)
class RecordedActivities:
    @activity(version="1.0", start_to_close_timeout=60)
    def recorded(self, a: Any) -> None: ...


class InputsWorkflow(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=60)
    def run(self) -> Generator[Any, Any, None]:
        yield InputActivities.plain(1, b="two")
        yield InputActivities.plain(1.25, b=(1, 2))
        yield RecordedActivities.recorded("x")


def test_activity_inputs_are_what_their_converter_writes() -> None:
    # Scalar inputs of the default converter take the Rust fast path; a float, a
    # tuple and a converter subclass take the converter's own.
    RECORDING.seen.clear()
    d = Driver(InputsWorkflow)
    commands = d.start() + d.activate(completed("1", None)) + d.activate(completed("2", None))
    default = JSONDataConverter()
    assert [attrs(command)["input"] for command in commands] == [
        default.dumps([[1], {"b": "two"}]),
        default.dumps([[1.25], {"b": (1, 2)}]),
        default.dumps([["x"], {}]),
    ]
    assert RECORDING.seen == [[["x"], {}]]


class ResultsWorkflow(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=60)
    def run(self) -> Generator[Any, Any, None]:
        results = []
        for _ in range(3):
            results.append((yield InputActivities.plain(0)))
        try:
            yield InputActivities.plain(0)
        except Exception as exc:
            results.append(f"{type(exc).__name__}: {exc}")
        return results


def test_activity_results_are_read_as_the_converter_reads_them() -> None:
    # Plain JSON is read by orjson alone; a tagged value, a \u escape and text that
    # is not JSON at all go through the converter (the last one as its error).
    d = Driver(ResultsWorkflow)
    d.start()
    d.activate(completed("1", [1, "x"]))
    d.activate(completed("2", (1, dt.date(2026, 11, 28))))
    d.activate(FakeJob("activity_completed", key="3", payload='"caf\\u00e9"'))
    (close,) = d.activate(FakeJob("activity_completed", key="4", payload="{not json"))
    result = loads(attrs(close)["result"])
    assert result[:3] == [[1, "x"], (1, dt.date(2026, 11, 28)), "café"]
    assert result[3].startswith("ConversionError: payload is not valid JSON")
    assert "result of activity InputActivities.plain" in result[3]
