"""Cancellation: botoflow's 15 cases, plus cancel and terminate from a starter handle.

Activities, the workflow itself, an external request, other executions and children;
each case asserts the run's outcome and the events SWF recorded.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Generator
from typing import Any

import pytest

from botoflowx import workflow_time
from botoflowx.activity import activities, activity
from botoflowx.exceptions import (
    CancellationError,
    CancelledError,
    ChildWorkflowCanceledError,
    RequestCancelExternalWorkflowExecutionFailedError,
    WorkflowCanceledError,
    WorkflowTerminatedError,
)
from botoflowx.workflow import (
    Future,
    WorkflowDefinition,
    WorkflowExecution,
    activity_options,
    execute,
    get_context,
    signal,
)

from .conftest import ACTIVITY_TIMEOUTS, Scenario

pytestmark = pytest.mark.timeout(60)


@activities(**ACTIVITY_TIMEOUTS)
class CancelActs:
    """Activities that heartbeat, so a cancel request reaches them."""

    seen: list[str] = []
    lock = threading.Lock()

    @activity(version="1.0")
    def heartbeating(self, beats: int) -> str:
        context = get_context()
        for beat in range(beats):
            context.heartbeat(f"beat {beat}")
            time.sleep(0.01)
        return "beats done"

    # Heartbeats are throttled to half the heartbeat timeout: 2 s means one a second,
    # so a cancel request is seen within about a second (the test clock never moves
    # while it spins, so the timeout itself cannot fire).
    @activity(version="1.0", heartbeat_timeout=2)
    def spin(self, label: str) -> str:
        """Heartbeat until cancelled (at most about 20 s)."""
        context = get_context()
        deadline = time.monotonic() + 20
        try:
            while time.monotonic() < deadline:
                context.heartbeat(label)
                time.sleep(0.02)
        except CancellationError:
            with CancelActs.lock:
                CancelActs.seen.append(f"{label} cancelled")
            raise
        return "spun out"

    @activity(version="1.0")
    def cleanup(self, note: str) -> str:
        return f"clean {note}"


class Gate:
    """A mixin with a ``go`` signal that opens ``self.gate``."""

    gate: Future[Any] | None = None

    def _gate(self) -> Future[Any]:
        if self.gate is None:
            self.gate = Future()
        return self.gate

    @signal()
    def go(self) -> None:
        if not self._gate().done():
            self._gate().set_result(None)


# -- activities ------------------------------------------------------------------------------


class HeartbeatOnce(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def run(self) -> Generator[Any, Any, Any]:
        result = yield CancelActs.heartbeating(3)
        return result


class CancelBeforeSchedule(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def run(self) -> Generator[Any, Any, Any]:
        future = CancelActs.heartbeating(2)
        future.cancel()  # the schedule decision is withdrawn: never sent
        yield future
        return False


class CancelBeforeStart(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def run(self) -> Generator[Any, Any, Any]:
        with activity_options(task_list="nobody-polls-this"):
            future = CancelActs.heartbeating(2)
        yield workflow_time.sleep(1)
        future.cancel()
        yield future
        return False


class CancelRunningActivity(Gate, WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def run(self) -> Generator[Any, Any, Any]:
        future = CancelActs.spin("running")
        yield self._gate()
        future.cancel()
        yield future  # ActivityTaskCanceledError escapes: the run is canceled
        return False


class IgnoreActivityCancel(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def run(self) -> Generator[Any, Any, Any]:
        future = CancelActs.heartbeating(2)
        future.cancel()
        try:
            yield future
        except CancelledError:
            return "ignored"
        return "not cancelled"


class CancelRequestFails(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def run(self) -> Generator[Any, Any, Any]:
        future = CancelActs.heartbeating(30)
        yield workflow_time.sleep(0)
        future.activity_id = "100"  # an id SWF does not know: the request fails
        future.cancel()
        result = yield future  # the activity's own outcome still arrives
        return result


# -- the workflow cancels itself ---------------------------------------------------------------


class SelfCancelling(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def run(self, details: str | None = None) -> Generator[Any, Any, Any]:
        yield workflow_time.sleep(0)
        self.cancel(details or "")
        return True


class RaisesCancelled(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def run(self) -> Any:
        raise CancelledError()


class CancelWithHandler(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def run(self, details: str) -> Generator[Any, Any, Any]:
        yield workflow_time.sleep(0)
        self.cancel(details)
        return True

    def cancellation_handler(self) -> Generator[Any, Any, Any]:
        yield CancelActs.cleanup("after self-cancel")


class CancelCascade(Gate, WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def run(self) -> Generator[Any, Any, Any]:
        CancelActs.spin("cascade")
        yield self._gate()
        self.cancel()
        return True


# -- requests from outside ---------------------------------------------------------------------


class CancelledFromOutside(WorkflowDefinition):
    def __init__(self, workflow_execution: WorkflowExecution | None = None) -> None:
        super().__init__(workflow_execution)
        self.saw_cancel = False

    @execute(version="1.0", execution_start_to_close_timeout=600)
    def run(self) -> Generator[Any, Any, Any]:
        first = CancelActs.heartbeating(1)
        spinning = CancelActs.spin("outside")
        yield first
        try:
            yield spinning
        except CancelledError:
            self.saw_cancel = True
            raise
        return "not cancelled"

    def cancellation_handler(self) -> Generator[Any, Any, Any]:
        yield CancelActs.cleanup(f"saw_cancel={self.saw_cancel}")


class ShieldsCancel(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def run(self) -> Generator[Any, Any, Any]:
        timer = workflow_time.sleep(1000)
        try:
            yield timer
        except CancelledError:
            # The error interrupts the wait; the timer itself is this code's to cancel.
            timer.cancel()
            result = yield CancelActs.cleanup("then finished")
            return result
        return "slept"


class LongSleeper(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def run(self) -> Generator[Any, Any, Any]:
        yield CancelActs.spin("target")
        return True


class CancelsAnother(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def run(self, workflow_id: str, run_id: str | None) -> Generator[Any, Any, Any]:
        other = WorkflowDefinition(WorkflowExecution(workflow_id, run_id))
        try:
            yield other.cancel()
        except RequestCancelExternalWorkflowExecutionFailedError as err:
            return ["failed", err.cause, err.workflow_id]
        return ["pass"]


class CancelsChild(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def run(self) -> Generator[Any, Any, Any]:
        child = yield LongSleeper.run()
        yield child.cancel()
        try:
            yield child.workflow_result
        except ChildWorkflowCanceledError as err:
            return ["pass", err.workflow_id == child.workflow_execution.workflow_id]
        return ["child finished"]


def canceled_details(scenario: Scenario, handle: Any) -> str | None:
    (attrs,) = scenario.events(handle, "WorkflowExecutionCanceled")
    details: str | None = attrs.get("details")
    return details


# 1
def test_heartbeating_activity_completes(scenario: Scenario) -> None:
    with scenario.workers([HeartbeatOnce], [CancelActs()]):
        handle = scenario.start(lambda: HeartbeatOnce.run())
        assert handle.result(timeout=20) == "beats done"
    assert scenario.event_types(handle)[-1] == "WorkflowExecutionCompleted"


# 2
def test_activity_cancelled_before_it_was_scheduled(scenario: Scenario) -> None:
    with scenario.workers([CancelBeforeSchedule], [CancelActs()]):
        handle = scenario.start(lambda: CancelBeforeSchedule.run())
        with pytest.raises(WorkflowCanceledError):
            handle.result(timeout=20)
    types = scenario.event_types(handle)
    assert "ActivityTaskScheduled" not in types
    assert types[-1] == "WorkflowExecutionCanceled"


# 3
def test_activity_cancelled_before_a_worker_started_it(scenario: Scenario) -> None:
    with scenario.workers([CancelBeforeStart], [CancelActs()]):
        handle = scenario.start(lambda: CancelBeforeStart.run())
        scenario.wait_for_event(handle, "TimerStarted")
        scenario.advance_clock(1)
        with pytest.raises(WorkflowCanceledError):
            handle.result(timeout=20)
    types = scenario.event_types(handle)
    assert "ActivityTaskStarted" not in types
    scheduled = types.index("ActivityTaskScheduled")
    requested = types.index("ActivityTaskCancelRequested")
    assert scheduled < requested < types.index("ActivityTaskCanceled")
    assert types[-1] == "WorkflowExecutionCanceled"


# 4
def test_running_activity_sees_the_cancel_on_heartbeat(scenario: Scenario) -> None:
    CancelActs.seen.clear()
    with scenario.workers([CancelRunningActivity], [CancelActs()]):
        handle = scenario.start(lambda: CancelRunningActivity.run())
        scenario.wait_for_event(handle, "ActivityTaskStarted")
        handle.go()
        with pytest.raises(WorkflowCanceledError):
            handle.result(timeout=20)
    assert CancelActs.seen == ["running cancelled"]
    types = scenario.event_types(handle)
    started = types.index("ActivityTaskStarted")
    assert (
        started < types.index("ActivityTaskCancelRequested") < types.index("ActivityTaskCanceled")
    )
    assert types[-1] == "WorkflowExecutionCanceled"


# 5
def test_workflow_catches_the_activity_cancel(scenario: Scenario) -> None:
    with scenario.workers([IgnoreActivityCancel], [CancelActs()]):
        handle = scenario.start(lambda: IgnoreActivityCancel.run())
        assert handle.result(timeout=20) == "ignored"
    assert "ActivityTaskScheduled" not in scenario.event_types(handle)


# 6
def test_failed_cancel_request_leaves_the_activity_outcome(scenario: Scenario) -> None:
    with scenario.workers([CancelRequestFails], [CancelActs()]):
        handle = scenario.start(lambda: CancelRequestFails.run())
        assert handle.result(timeout=20) == "beats done"
    (failed,) = scenario.events(handle, "RequestCancelActivityTaskFailed")
    assert (failed["activityId"], failed["cause"]) == ("100", "ACTIVITY_ID_UNKNOWN")


# 7, 8
@pytest.mark.parametrize("details", [None, "some details"])
def test_workflow_cancels_itself(scenario: Scenario, details: str | None) -> None:
    with scenario.workers([SelfCancelling]):
        handle = scenario.start(lambda: SelfCancelling.run(details))
        with pytest.raises(WorkflowCanceledError) as caught:
            handle.result(timeout=20)
    assert caught.value.details == details
    assert canceled_details(scenario, handle) == details


# 9
def test_workflow_raising_cancelled_error_is_canceled(scenario: Scenario) -> None:
    with scenario.workers([RaisesCancelled]):
        handle = scenario.start(lambda: RaisesCancelled.run())
        with pytest.raises(WorkflowCanceledError):
            handle.result(timeout=20)
    assert scenario.event_types(handle)[-1] == "WorkflowExecutionCanceled"


# 10
def test_cancellation_handler_runs_activities_before_closing(scenario: Scenario) -> None:
    with scenario.workers([CancelWithHandler], [CancelActs()]):
        handle = scenario.start(lambda: CancelWithHandler.run("with handler"))
        with pytest.raises(WorkflowCanceledError):
            handle.result(timeout=20)
    (completed,) = scenario.events(handle, "ActivityTaskCompleted")
    assert completed["result"] == '"clean after self-cancel"'
    assert canceled_details(scenario, handle) == "with handler"


# 11
def test_cancelling_the_workflow_cancels_open_activities(scenario: Scenario) -> None:
    with scenario.workers([CancelCascade], [CancelActs()]):
        handle = scenario.start(lambda: CancelCascade.run())
        scenario.wait_for_event(handle, "ActivityTaskStarted")
        handle.go()
        with pytest.raises(WorkflowCanceledError):
            handle.result(timeout=20)
    types = scenario.event_types(handle)
    assert types[-1] == "WorkflowExecutionCanceled"
    assert types[-2] == "ActivityTaskCancelRequested"


# 12
def test_cancel_request_from_a_starter_handle(scenario: Scenario) -> None:
    with scenario.workers([CancelledFromOutside], [CancelActs()]):
        handle = scenario.start(lambda: CancelledFromOutside.run())
        scenario.wait_for_event(handle, "ActivityTaskCompleted")
        handle.cancel()
        with pytest.raises(WorkflowCanceledError):
            handle.result(timeout=20)
    types = scenario.event_types(handle)
    assert "WorkflowExecutionCancelRequested" in types
    results = [attrs["result"] for attrs in scenario.events(handle, "ActivityTaskCompleted")]
    assert results == ['"beats done"', '"clean saw_cancel=True"']
    assert types[-1] == "WorkflowExecutionCanceled"
    assert "ActivityTaskCancelRequested" in types


# 13
def test_workflow_cancels_another_execution(scenario: Scenario) -> None:
    with scenario.workers([LongSleeper, CancelsAnother], [CancelActs()]):
        target = scenario.start(lambda: LongSleeper.run())
        scenario.wait_for_event(target, "ActivityTaskStarted")
        source = scenario.start(lambda: CancelsAnother.run(target.workflow_id, target.run_id))
        assert source.result(timeout=20) == ["pass"]
        with pytest.raises(WorkflowCanceledError):
            target.result(timeout=20)
    source_types = scenario.event_types(source)
    assert "RequestCancelExternalWorkflowExecutionInitiated" in source_types
    assert "ExternalWorkflowExecutionCancelRequested" in source_types
    target_types = scenario.event_types(target)
    assert "WorkflowExecutionCancelRequested" in target_types
    assert "ActivityTaskCancelRequested" in target_types


# 14
def test_cancelling_an_unknown_execution_raises(scenario: Scenario) -> None:
    with scenario.workers([CancelsAnother]):
        handle = scenario.start(lambda: CancelsAnother.run("fake", "fake"))
        assert handle.result(timeout=20) == [
            "failed",
            "UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION",
            "fake",
        ]
    assert scenario.events(handle, "RequestCancelExternalWorkflowExecutionFailed")


# 15
def test_workflow_cancels_its_child(scenario: Scenario) -> None:
    with scenario.workers([CancelsChild, LongSleeper], [CancelActs()]):
        handle = scenario.start(lambda: CancelsChild.run())
        assert handle.result(timeout=20) == ["pass", True]
    (requested,) = scenario.events(handle, "ExternalWorkflowExecutionCancelRequested")
    child_execution = requested["workflowExecution"]
    child = scenario.handle(child_execution["workflowId"], child_execution["runId"])
    assert scenario.event_types(child)[-1] == "WorkflowExecutionCanceled"
    assert scenario.events(handle, "ChildWorkflowExecutionCanceled")


def test_workflow_may_finish_instead_of_cancelling(scenario: Scenario) -> None:
    with scenario.workers([ShieldsCancel], [CancelActs()]):
        handle = scenario.start(lambda: ShieldsCancel.run())
        scenario.wait_for_event(handle, "TimerStarted")
        handle.cancel()
        assert handle.result(timeout=20) == "clean then finished"
    types = scenario.event_types(handle)
    assert "WorkflowExecutionCancelRequested" in types
    assert "TimerCanceled" in types
    assert types[-1] == "WorkflowExecutionCompleted"


def test_terminate_from_a_starter_handle(scenario: Scenario) -> None:
    with scenario.workers([ShieldsCancel], [CancelActs()]):
        handle = scenario.start(lambda: ShieldsCancel.run())
        scenario.wait_for_event(handle, "TimerStarted")
        handle.terminate(reason="enough", details="operator")
        with pytest.raises(WorkflowTerminatedError) as caught:
            handle.result(timeout=20)
    assert caught.value.reason == "enough"
    (terminated,) = scenario.events(handle, "WorkflowExecutionTerminated")
    assert terminated["details"] == "operator"
