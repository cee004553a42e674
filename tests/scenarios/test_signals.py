"""Signals: handlers in history order, sent from a starter handle, an activity and a workflow."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from botoflowx.activity import activities, activity
from botoflowx.client import get_workflow_handle, workflow_starter
from botoflowx.exceptions import SignalExternalWorkflowExecutionFailedError, WorkflowFailedError
from botoflowx.workflow import (
    Future,
    WorkflowDefinition,
    WorkflowExecution,
    execute,
    get_context,
    signal,
)

from .conftest import ACTIVITY_TIMEOUTS, Scenario

pytestmark = pytest.mark.timeout(60)


@activities(**ACTIVITY_TIMEOUTS)
class SignalActs:
    @activity(version="1.0")
    def square(self, x: int) -> int:
        return x * x

    @activity(version="1.0")
    def report_back(self, text: str) -> str:
        # Signal the run that scheduled this activity, two ways: through a handle, and
        # botoflow style through a definition object built from the ids.
        workflow_id, run_id = get_context().workflow_execution
        handle = get_workflow_handle(workflow_id, run_id, definition=Mailbox)
        handle.note(text)
        Mailbox(WorkflowExecution(workflow_id, run_id)).finish(4)
        return "sent"


class Mailbox(WorkflowDefinition):
    """Collects ``note`` signals until ``Finish`` arrives."""

    def __init__(self, workflow_execution: WorkflowExecution | None = None) -> None:
        super().__init__(workflow_execution)
        self.notes: list[str] = []
        self.finished: Future[Any] | None = None

    @execute(version="1.0", execution_start_to_close_timeout=3600)
    def collect(self) -> Generator[Any, Any, Any]:
        self.finished = self.finished or Future()
        value = yield self.finished
        return [value, self.notes]

    @signal()
    def note(self, text: str) -> None:
        self.notes.append(text)
        self.workflow_state = f"{len(self.notes)} notes"

    @signal(name="Finish")
    def finish(self, x: int) -> Generator[Any, Any, Any]:
        # A generator handler runs as a coroutine: it may wait on activities.
        squared = yield SignalActs.square(x)
        self.notes.append(f"finish {x}")
        if self.finished is None:
            self.finished = Future()
        self.finished.set_result(squared)


class SelfReporter(Mailbox):
    """A Mailbox whose activity signals it back."""

    @execute(version="2.0", execution_start_to_close_timeout=3600)
    def collect_own(self) -> Generator[Any, Any, Any]:
        self.finished = self.finished or Future()
        sent = yield SignalActs.report_back("from activity")
        value = yield self.finished
        return [sent, value, self.notes]


class Sender(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=3600)
    def send(self, workflow_id: str, run_id: str | None) -> Generator[Any, Any, Any]:
        target = Mailbox(WorkflowExecution(workflow_id, run_id))
        try:
            yield target.note("from workflow")
            yield target.finish(5)
        except SignalExternalWorkflowExecutionFailedError as err:
            return ["failed", err.cause, err.workflow_id]
        return ["delivered"]


def signaled(scenario: Scenario, handle: Any) -> list[tuple[str, str | None]]:
    return [
        (attrs["signalName"], attrs.get("input"))
        for attrs in scenario.events(handle, "WorkflowExecutionSignaled")
    ]


def test_handlers_plain_and_generator_run_in_history_order(scenario: Scenario) -> None:
    with scenario.workers([Mailbox], [SignalActs()]):
        handle = scenario.start(lambda: Mailbox.collect())
        handle.note("a")  # attribute calls: the handle knows Mailbox's signals
        handle.note("b")
        scenario.wait_until(lambda: handle.workflow_state == "2 notes", "workflow_state")
        handle.finish(3)
        assert handle.result(timeout=20) == [9, ["a", "b", "finish 3"]]
    assert [name for name, _ in signaled(scenario, handle)] == ["note", "note", "Finish"]
    assert handle.workflow_state == "2 notes"
    assert scenario.events(handle, "ActivityTaskCompleted")[0]["result"] == "9"


def test_each_handle_signals_its_own_execution(scenario: Scenario) -> None:
    with scenario.workers([Mailbox], [SignalActs()]):
        first = scenario.start(lambda: Mailbox.collect())
        second = scenario.start(lambda: Mailbox.collect())
        second.note("to second")
        first.note("to first")
        first.finish(1)
        second.finish(2)
        assert first.result(timeout=20) == [1, ["to first", "finish 1"]]
        assert second.result(timeout=20) == [4, ["to second", "finish 2"]]


def test_an_activity_signals_its_workflow(scenario: Scenario) -> None:
    with scenario.workers([SelfReporter], [SignalActs()]):
        handle = scenario.start(lambda: SelfReporter.collect_own())
        assert handle.result(timeout=20) == ["sent", 16, ["from activity", "finish 4"]]
    assert [name for name, _ in signaled(scenario, handle)] == ["note", "Finish"]


def test_a_workflow_signals_another_execution(scenario: Scenario) -> None:
    with scenario.workers([Mailbox, Sender], [SignalActs()]):
        target = scenario.start(lambda: Mailbox.collect())
        sender = scenario.start(lambda: Sender.send(target.workflow_id, target.run_id))
        assert sender.result(timeout=20) == ["delivered"]
        assert target.result(timeout=20) == [25, ["from workflow", "finish 5"]]
    initiated = scenario.events(sender, "SignalExternalWorkflowExecutionInitiated")
    assert [attrs["signalName"] for attrs in initiated] == ["note", "Finish"]
    assert all(attrs["workflowId"] == target.workflow_id for attrs in initiated)
    assert len(scenario.events(sender, "ExternalWorkflowExecutionSignaled")) == 2
    received = scenario.events(target, "WorkflowExecutionSignaled")
    assert [attrs["externalWorkflowExecution"]["runId"] for attrs in received] == [
        sender.run_id,
        sender.run_id,
    ]


def test_signalling_an_unknown_execution_raises_in_the_workflow(scenario: Scenario) -> None:
    with scenario.workers([Sender], [SignalActs()]):
        sender = scenario.start(lambda: Sender.send("no-such-workflow", None))
        assert sender.result(timeout=20) == [
            "failed",
            "UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION",
            "no-such-workflow",
        ]
    (failed, *_) = scenario.events(sender, "SignalExternalWorkflowExecutionFailed")
    assert failed["cause"] == "UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION"


def test_unknown_signal_is_ignored_and_the_run_goes_on(scenario: Scenario) -> None:
    with scenario.workers([Mailbox], [SignalActs()]):
        handle = scenario.start(lambda: Mailbox.collect())
        handle.signal("no_such_signal", 1, 2)
        handle.note("still listening")
        handle.finish(2)
        assert handle.result(timeout=20) == [4, ["still listening", "finish 2"]]
    assert signaled(scenario, handle)[0][0] == "no_such_signal"


def test_signal_with_bad_arguments_fails_the_run_loudly(scenario: Scenario) -> None:
    with scenario.workers([Mailbox], [SignalActs()]):
        handle = scenario.start(lambda: Mailbox.collect())
        handle.note("one", "too many")
        with pytest.raises(WorkflowFailedError) as caught:
            handle.result(timeout=20)
    assert isinstance(caught.value.cause, TypeError)
    assert "note()" in str(caught.value.cause)
    assert scenario.event_types(handle)[-1] == "WorkflowExecutionFailed"


def test_attribute_call_of_an_unknown_signal_is_an_attribute_error(scenario: Scenario) -> None:
    handle = scenario.handle("wf", "run", definition=Mailbox)
    with pytest.raises(AttributeError, match="signals are"):
        handle.no_such_signal("x")


def test_botoflow_style_signal_from_a_starter_block(scenario: Scenario) -> None:
    with scenario.workers([Mailbox], [SignalActs()]):
        handle = scenario.start(lambda: Mailbox.collect())
        with workflow_starter(
            None, "us-east-1", scenario.domain, endpoint_url=scenario.endpoint_url
        ):
            # A definition object built from ids is a handle inside the starter block.
            Mailbox(WorkflowExecution(handle.workflow_id, handle.run_id)).note("hi")
            get_workflow_handle(handle.workflow_id, handle.run_id).signal("Finish", 5)
        assert handle.result(timeout=20) == [25, ["hi", "finish 5"]]
