"""Real workers on the embedded server over HTTP: the issue's end-to-end scenarios.

Each test gets a fresh ``botoflowx.testing.WorkflowEnvironment`` (server, domain,
workers on threads, time skipping), the kit workflow authors use.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from botoflowx import workflow_time
from botoflowx.activity import ActivityType, activities, activity, manual_activity
from botoflowx.converter import default_converter
from botoflowx.exceptions import (
    ActivityTaskCanceledError,
    ActivityTaskFailedError,
    WorkflowFailedError,
)
from botoflowx.testing import WorkflowEnvironment
from botoflowx.worker import (
    ActivityWorker,
    ThreadedWorkflowExecutor,
    WorkflowWorker,
)
from botoflowx.workflow._context import get_context
from botoflowx.workflow._definition import WorkflowDefinition, execute, workflow
from botoflowx.workflow._futures import AllFuture, AnyFuture

pytestmark = pytest.mark.timeout(90)

# Generous timeouts: the test clock jumps only while nothing runs, and an activity
# that runs is never timed out by a jump.
TIMEOUTS = {
    "schedule_to_start_timeout": 300,
    "start_to_close_timeout": 300,
    "schedule_to_close_timeout": 600,
    "heartbeat_timeout": 300,
}


@activities(**TIMEOUTS)
class Acts:
    """Activities used by the scenarios below."""

    gate = threading.Event()
    release = threading.Event()
    calls: list[str] = []
    tokens: list[str] = []

    @activity(version="1.0")
    def get_name(self) -> str:
        return "World"

    @activity(version="1.0")
    def greet(self, name: str) -> str:
        return f"Hello {name}!"

    @activity(version="1.0")
    def square(self, x: int) -> int:
        return x * x

    @activity(version="1.0")
    def wait(self, seconds: float, value: str) -> str:
        time.sleep(seconds)
        return value

    @activity(version="1.0", heartbeat_timeout=2)
    def spin(self, beats: int) -> str:
        context = get_context()
        for beat in range(beats):
            context.heartbeat(f"beat {beat}")  # raises CancellationError once canceled
            time.sleep(0.02)
        return "finished"

    @activity(version="1.0")
    def huge(self, size: int) -> str:
        return "x" * size

    @manual_activity(version="1.0")
    def approve(self, request: str) -> None:
        # Completed later by someone else, through the task token.
        Acts.tokens.append(get_context().task.token)

    @activity(version="1.0")
    def fail(self, message: str) -> None:
        raise ValueError(message)

    @activity(version="1.0")
    def checkpoint(self, step: int) -> int:
        Acts.calls.append(f"step {step}")
        if step == 1:
            Acts.gate.set()
            assert Acts.release.wait(30)
        return step


class HelloWorkflow(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def hello(self) -> Any:
        name = yield Acts.get_name()
        greeting = yield Acts.greet(name)
        return greeting


class FanOutWorkflow(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def fan_out(self, n: int) -> Any:
        squares = yield AllFuture(*[Acts.square(i) for i in range(n)])
        return list(squares)


class RaceWorkflow(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def race(self) -> Any:
        winner = yield AnyFuture(Acts.wait(3, "slow"), Acts.wait(0, "fast"))
        return winner


class CatchFailureWorkflow(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def catch(self, message: str) -> Any:
        try:
            yield Acts.fail(message)
        except ActivityTaskFailedError as err:
            return [type(err.cause).__name__, str(err.cause), err.reason]
        return "no error"


class FailingWorkflow(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def explode(self) -> Any:
        value = yield Acts.square(3)
        raise RuntimeError(f"cannot handle {value}")


class TimerWorkflow(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def nap(self, seconds: int) -> Any:
        before = workflow_time.time()
        yield workflow_time.sleep(seconds)
        return workflow_time.time() - before


class EchoWorkflow(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def echo(self, tag: str, x: int) -> Any:
        squared = yield Acts.square(x)
        text = yield Acts.greet(f"{tag}-{squared}")
        return [tag, squared, text]


class CancelActivityWorkflow(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def cancel_it(self) -> Any:
        spinning = Acts.spin(5000)  # about 100 s unless canceled
        yield Acts.wait(0.5, "head start")
        spinning.cancel()
        try:
            yield spinning
        except ActivityTaskCanceledError:
            return "canceled"
        return "not canceled"


@workflow(name="TwoStepWorkflow")
class ChangedTwoStepWorkflow(WorkflowDefinition):
    """TwoStepWorkflow after an incompatible edit of its first step."""

    @execute(version="1.0", execution_start_to_close_timeout=600)
    def two_steps(self) -> Any:
        first = yield Acts.square(1)  # was Acts.checkpoint(1)
        second = yield Acts.checkpoint(first + 1)
        return [first, second]


class OversizeWorkflow(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def oversize(self) -> Any:
        try:
            yield Acts.huge(40_000)
        except ActivityTaskFailedError as err:
            return [err.reason, isinstance(err.cause, ValueError), str(err.cause)]
        return "accepted"


class ApprovalWorkflow(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def ask(self, request: str) -> Any:
        answer = yield Acts.approve(request)
        return answer


GHOST = ActivityType("1.0", name="Ghost.haunt", **TIMEOUTS)


class GhostWorkflow(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def haunt(self) -> Any:
        try:
            yield GHOST()
        except ActivityTaskFailedError as err:
            return err.reason
        return "ran"


class TwoStepWorkflow(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def two_steps(self) -> Any:
        first = yield Acts.checkpoint(1)
        second = yield Acts.checkpoint(first + 1)
        return [first, second]


@pytest.fixture
def env() -> Iterator[WorkflowEnvironment]:
    """A fresh environment per test: no run, timer or task leaks into the next test."""
    with WorkflowEnvironment() as environment:
        yield environment


def event_types(env: WorkflowEnvironment, handle: Any) -> list[str]:
    return [event["eventType"] for event in env.history(handle)]


def test_hello_world(env: WorkflowEnvironment) -> None:
    env.run_workers(HelloWorkflow, Acts())
    handle = env.start_workflow(HelloWorkflow.hello)
    assert handle.result(timeout=30) == "Hello World!"


def test_fan_out_50_activities_with_all_future(env: WorkflowEnvironment) -> None:
    env.run_workers(FanOutWorkflow, Acts(), activity_pollers=2, activity_threads=8)
    handle = env.start_workflow(FanOutWorkflow.fan_out, 50)
    assert handle.result(timeout=60) == [i * i for i in range(50)]
    assert event_types(env, handle).count("ActivityTaskScheduled") == 50


def test_long_histories_arrive_in_many_pages(env: WorkflowEnvironment) -> None:
    # The decider is built by hand to read five events per page from its first poll.
    deciders = ThreadedWorkflowExecutor(env.workflow_worker(FanOutWorkflow))
    deciders.worker.page_size = 5
    env.run_workers(Acts(), activity_pollers=2, activity_threads=8)
    deciders.start()
    try:
        handle = env.start_workflow(FanOutWorkflow.fan_out, 20)
        assert handle.result(timeout=60) == [i * i for i in range(20)]
    finally:
        deciders.stop()
        assert deciders.join(timeout=30)
    assert len(env.history(handle)) > 60  # the last task read 12+ pages


def test_any_future_returns_the_first_to_finish(env: WorkflowEnvironment) -> None:
    env.run_workers(RaceWorkflow, Acts(), activity_pollers=2, activity_threads=2)
    handle = env.start_workflow(RaceWorkflow.race)
    assert handle.result(timeout=30) == "fast"


def test_activity_failure_surfaces_with_the_original_exception(env: WorkflowEnvironment) -> None:
    env.run_workers(CatchFailureWorkflow, Acts())
    handle = env.start_workflow(CatchFailureWorkflow.catch, "disk full")
    assert handle.result(timeout=30) == ["ValueError", "disk full", "ValueError: disk full"]


def test_heartbeating_activity_is_canceled_by_the_workflow(env: WorkflowEnvironment) -> None:
    env.run_workers(CancelActivityWorkflow, Acts(), activity_threads=2)
    handle = env.start_workflow(CancelActivityWorkflow.cancel_it)
    assert handle.result(timeout=30) == "canceled"
    types = event_types(env, handle)
    assert "ActivityTaskCancelRequested" in types
    assert "ActivityTaskCanceled" in types
    assert types.count("ActivityTaskStarted") == 2  # spin and the head start


def test_oversize_result_fails_the_task_with_a_clear_reason(env: WorkflowEnvironment) -> None:
    env.run_workers(OversizeWorkflow, Acts())
    handle = env.start_workflow(OversizeWorkflow.oversize)
    reason, is_value_error, message = handle.result(timeout=30)
    assert reason.startswith("PayloadTooLargeError: ")
    # The cause travels as the converter encodes it (a ValueError stand-in
    # unless botoflowx's own exceptions are registered with the converter).
    assert is_value_error
    assert "32768" in message or "32,768" in message


def test_manual_activity_is_completed_through_its_token(env: WorkflowEnvironment) -> None:
    Acts.tokens.clear()
    env.run_workers(ApprovalWorkflow, Acts())
    handle = env.start_workflow(ApprovalWorkflow.ask, "vacation")
    deadline = time.monotonic() + 20
    while not Acts.tokens:
        assert time.monotonic() < deadline, "the manual activity never ran"
        time.sleep(0.05)
    time.sleep(0.5)
    assert handle.describe()["executionInfo"]["executionStatus"] == "OPEN"
    env.client.respond_activity_task_completed(
        taskToken=Acts.tokens[0], result=default_converter().dumps("approved")
    )
    assert handle.result(timeout=30) == "approved"


def test_workflow_failure_fails_the_execution(env: WorkflowEnvironment) -> None:
    env.run_workers(FailingWorkflow, Acts())
    handle = env.start_workflow(FailingWorkflow.explode)
    with pytest.raises(WorkflowFailedError) as info:
        handle.result(timeout=30)
    assert isinstance(info.value.cause, RuntimeError)
    assert str(info.value.cause) == "cannot handle 9"
    assert info.value.reason == "RuntimeError: cannot handle 9"


def test_timer_fires_when_the_clock_advances() -> None:
    with WorkflowEnvironment(TimerWorkflow, Acts(), time_skipping=False) as env:
        handle = env.start_workflow(TimerWorkflow.nap, 120)
        deadline = time.monotonic() + 20
        while "TimerStarted" not in event_types(env, handle):
            assert time.monotonic() < deadline, "the timer was never started"
            time.sleep(0.1)
        with pytest.raises(TimeoutError):
            handle.result(timeout=1.5)  # it waits for the (test) clock
        env.advance_clock(121)
        elapsed = handle.result(timeout=30)
        started = next(e for e in env.history(handle) if e["eventType"] == "TimerStarted")
    assert elapsed >= 120
    assert started["timerStartedEventAttributes"]["startToFireTimeout"] == "120"


def test_timer_fires_at_once_when_time_is_skipped(env: WorkflowEnvironment) -> None:
    env.run_workers(TimerWorkflow, Acts())
    handle = env.start_workflow(TimerWorkflow.nap, 300)  # within the run's 600 s timeout
    assert handle.result(timeout=30) >= 300
    assert env.skipped_seconds >= 299


def test_concurrent_executions_on_four_decider_threads(env: WorkflowEnvironment) -> None:
    env.run_workers(
        EchoWorkflow,
        Acts(),
        decider_pollers=4,
        decider_threads=4,
        activity_pollers=2,
        activity_threads=8,
    )
    handles = {
        tag: env.start_workflow(EchoWorkflow.echo, tag, n) for n, tag in enumerate("abcdefghij")
    }
    results = {tag: handle.result(timeout=60) for tag, handle in handles.items()}
    for n, tag in enumerate("abcdefghij"):
        assert results[tag] == [tag, n * n, f"Hello {tag}-{n * n}!"]


def test_unknown_activity_type_fails_clearly(env: WorkflowEnvironment) -> None:
    # Registered in the domain, but no worker on this task list hosts it.
    env.client.register_activity_type(
        domain=env.domain,
        name="Ghost.haunt",
        version="1.0",
        defaultTaskList={"name": env.task_list},
    )
    env.run_workers(GhostWorkflow, Acts())
    reason = env.start_workflow(GhostWorkflow.haunt).result(timeout=30)
    assert reason.startswith("unknown activity type Ghost.haunt version 1.0: this worker")
    assert "Acts.square 1.0" in reason


def test_unknown_workflow_type_fails_the_execution(env: WorkflowEnvironment) -> None:
    env.client.register_workflow_type(
        domain=env.domain,
        name="EchoWorkflow",
        version="1.0",
        defaultTaskStartToCloseTimeout="300",
        defaultExecutionStartToCloseTimeout="600",
        defaultChildPolicy="TERMINATE",
    )
    env.run_workers(HelloWorkflow, Acts())
    handle = env.start_workflow(EchoWorkflow.echo, "x", 1)
    with pytest.raises(WorkflowFailedError) as info:
        handle.result(timeout=30)
    assert info.value.reason is not None
    assert info.value.reason.startswith("unknown workflow type EchoWorkflow version 1.0")
    assert "HelloWorkflow 1.0" in info.value.reason


def test_workers_restarted_mid_execution(env: WorkflowEnvironment) -> None:
    Acts.gate.clear()
    Acts.release.clear()
    Acts.calls.clear()
    with env.run_workers(TwoStepWorkflow, Acts(), activity_threads=1) as workers:
        handle = env.start_workflow(TwoStepWorkflow.two_steps)
        assert Acts.gate.wait(30), "the first activity never ran"
        # Its only slot is busy, so the activity executor has no poll in flight:
        # once stopped it cannot pick up the second step.
        runners = workers.activity_executor
        assert runners is not None
        runners.stop()
        Acts.release.set()
        assert runners.join(timeout=30)
    assert Acts.calls == ["step 1"]
    assert handle.describe()["executionInfo"]["executionStatus"] == "OPEN"

    # Brand-new workers (no state carried over) replay the history and finish the run.
    env.run_workers(TwoStepWorkflow, Acts())
    assert handle.result(timeout=30) == [1, 2]
    assert Acts.calls == ["step 1", "step 2"]


def test_non_determinism_leaves_the_task_unanswered_until_fixed_code_runs(
    env: WorkflowEnvironment, caplog: pytest.LogCaptureFixture
) -> None:
    Acts.gate.clear()
    Acts.release.clear()
    Acts.calls.clear()
    with env.run_workers(TwoStepWorkflow, Acts(), activity_threads=1) as workers:
        deciders, runners = workers.workflow_executor, workers.activity_executor
        assert deciders is not None and runners is not None
        handle = env.start_workflow(TwoStepWorkflow.two_steps)
        assert Acts.gate.wait(30), "the first activity never ran"
        # No decider may be polling when the first step completes.
        deciders.stop()
        assert deciders.join(timeout=30)
        runners.stop()
        Acts.release.set()
        assert runners.join(timeout=30)

    # Deploy incompatible code: its decider must log and leave the task alone.
    with caplog.at_level(logging.ERROR, logger="botoflowx.worker"):
        executor = ThreadedWorkflowExecutor(env.workflow_worker(ChangedTwoStepWorkflow))
        executor.start()
        try:
            deadline = time.monotonic() + 20
            while not any("NON-DETERMINISM" in r.getMessage() for r in caplog.records):
                assert time.monotonic() < deadline, "no non-determinism error was logged"
                time.sleep(0.05)
            assert executor.is_running  # the worker keeps running
        finally:
            executor.stop()
            assert executor.join(timeout=30)
    message = next(r.getMessage() for r in caplog.records if "NON-DETERMINISM" in r.getMessage())
    assert handle.workflow_id in message
    assert "test_integration.py:" in message
    types = event_types(env, handle)
    assert types[-1] == "DecisionTaskStarted"  # started, never answered
    assert types.count("DecisionTaskCompleted") == 1

    # Fixed code: once the unanswered task times out, SWF hands it out again. A
    # started task holds time skipping back, so the test moves the clock itself.
    env.run_workers(TwoStepWorkflow, Acts())
    env.advance_clock(31)
    assert handle.result(timeout=30) == [1, 2]
    assert "DecisionTaskTimedOut" in event_types(env, handle)


def test_workers_are_built_without_network_calls() -> None:
    # Nothing listens on this port: construction must not notice.
    WorkflowWorker(None, "us-east-1", "d", "tl", HelloWorkflow, endpoint_url="http://127.0.0.1:9")
    ActivityWorker(None, "us-east-1", "d", "tl", Acts(), endpoint_url="http://127.0.0.1:9")


def test_run_once_drives_hello_world_step_by_step(env: WorkflowEnvironment) -> None:
    decider = env.workflow_worker(HelloWorkflow)
    runner = env.activity_worker(Acts())
    decider.ensure_registered()
    runner.ensure_registered()
    handle = env.start_workflow(HelloWorkflow.hello)
    assert decider.run_once()  # schedules get_name
    assert runner.run_once()  # runs get_name
    assert decider.run_once()  # schedules greet
    assert runner.run_once()  # runs greet
    assert decider.run_once()  # completes the run
    assert handle.result(timeout=10) == "Hello World!"
    assert not decider.run_once()  # an empty poll
    types = event_types(env, handle)
    assert types.count("DecisionTaskCompleted") == 3
    assert types[-1] == "WorkflowExecutionCompleted"
