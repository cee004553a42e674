"""Child workflows: start, result, each failure kind with the child's ids, and options."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from botoflowx import workflow_time
from botoflowx.constants import CHILD_ABANDON
from botoflowx.exceptions import ChildWorkflowError, StartChildWorkflowExecutionFailedError
from botoflowx.workflow import Future, WorkflowDefinition, execute, signal, workflow_options

from .conftest import Scenario

pytestmark = pytest.mark.timeout(60)


class Child(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=3600)
    def run(self, mode: str) -> Generator[Any, Any, Any]:
        if mode == "fail":
            raise ValueError("the child broke")
        if mode in ("wait", "timeout", "cancel", "terminate"):
            yield workflow_time.sleep(1000)
        return f"child did {mode}"


class Parent(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=3600)
    def run(self, mode: str, child_task_list: str | None = None) -> Generator[Any, Any, Any]:
        own_id = self.workflow_execution.workflow_id
        child_id = own_id if mode == "duplicate" else f"{own_id}-child"
        options: dict[str, Any] = {
            "workflow_id": child_id,
            "tag_list": ["child", mode],
            "child_policy": CHILD_ABANDON,
        }
        if child_task_list:
            options["task_list"] = child_task_list
        if mode == "timeout":
            options["execution_start_to_close_timeout"] = 5
        try:
            with workflow_options(**options):
                child = yield Child.run(mode)
            if mode == "cancel":
                yield child.cancel()
            result = yield child.workflow_result
        except ChildWorkflowError as err:
            return [type(err).__name__, err.workflow_id, err.run_id, err.workflow_type]
        return [result, list(child.workflow_execution)]


def test_child_result_and_options(scenario: Scenario) -> None:
    kids = f"{scenario.task_list}-kids"
    with scenario.workers([Parent]), scenario.workers([Child], task_list=kids):
        handle = scenario.start(lambda: Parent.run("ok", kids), workflow_id="parent-ok")
        result, (child_id, child_run) = handle.result(timeout=20)
    assert result == "child did ok"
    assert child_id == "parent-ok-child"
    (initiated,) = scenario.events(handle, "StartChildWorkflowExecutionInitiated")
    assert initiated["workflowId"] == "parent-ok-child"
    assert initiated["taskList"] == {"name": kids}
    assert initiated["childPolicy"] == "ABANDON"
    assert initiated["tagList"] == ["child", "ok"]
    (started,) = scenario.events(handle, "ChildWorkflowExecutionStarted")
    assert started["workflowExecution"]["runId"] == child_run
    (completed,) = scenario.events(handle, "ChildWorkflowExecutionCompleted")
    assert completed["result"] == '"child did ok"'
    child = scenario.handle(child_id, child_run)
    child_start = scenario.events(child, "WorkflowExecutionStarted")[0]
    assert child_start["parentWorkflowExecution"]["workflowId"] == "parent-ok"
    assert child_start["tagList"] == ["child", "ok"]


@pytest.mark.parametrize(
    ("mode", "error", "event"),
    [
        ("fail", "ChildWorkflowFailedError", "ChildWorkflowExecutionFailed"),
        ("cancel", "ChildWorkflowCanceledError", "ChildWorkflowExecutionCanceled"),
    ],
)
def test_child_failures_carry_the_child_ids(
    scenario: Scenario, mode: str, error: str, event: str
) -> None:
    with scenario.workers([Parent, Child]):
        handle = scenario.start(lambda: Parent.run(mode), workflow_id=f"parent-{mode}")
        name, workflow_id, run_id, workflow_type = handle.result(timeout=20)
    (started,) = scenario.events(handle, "ChildWorkflowExecutionStarted")
    assert [name, workflow_id, run_id, workflow_type] == [
        error,
        f"parent-{mode}-child",
        started["workflowExecution"]["runId"],
        "Child",
    ]
    (closed,) = scenario.events(handle, event)
    assert closed["workflowExecution"]["runId"] == run_id


def test_child_timed_out(scenario: Scenario) -> None:
    with scenario.workers([Parent, Child]):
        handle = scenario.start(lambda: Parent.run("timeout"), workflow_id="parent-timeout")
        scenario.wait_for_event(handle, "ChildWorkflowExecutionStarted")
        scenario.advance_clock(6)
        name, workflow_id, run_id, _ = handle.result(timeout=20)
    assert [name, workflow_id] == ["ChildWorkflowTimedOutError", "parent-timeout-child"]
    (timed_out,) = scenario.events(handle, "ChildWorkflowExecutionTimedOut")
    assert timed_out["timeoutType"] == "START_TO_CLOSE"
    assert timed_out["workflowExecution"]["runId"] == run_id


def test_child_terminated(scenario: Scenario) -> None:
    with scenario.workers([Parent, Child]):
        handle = scenario.start(lambda: Parent.run("terminate"), workflow_id="parent-term")
        scenario.wait_for_event(handle, "ChildWorkflowExecutionStarted")
        (started,) = scenario.events(handle, "ChildWorkflowExecutionStarted")
        child_run = started["workflowExecution"]["runId"]
        scenario.handle("parent-term-child", child_run).terminate(reason="stop it")
        assert handle.result(timeout=20) == [
            "ChildWorkflowTerminatedError",
            "parent-term-child",
            child_run,
            "Child",
        ]
    assert scenario.events(handle, "ChildWorkflowExecutionTerminated")


def test_child_start_failed(scenario: Scenario) -> None:
    with scenario.workers([Parent, Child]):
        handle = scenario.start(lambda: Parent.run("duplicate"), workflow_id="parent-dup")
        name, workflow_id, run_id, workflow_type = handle.result(timeout=20)
    assert name == StartChildWorkflowExecutionFailedError.__name__
    assert (workflow_id, run_id, workflow_type) == ("parent-dup", None, "Child")
    (failed,) = scenario.events(handle, "StartChildWorkflowExecutionFailed")
    assert failed["cause"] == "WORKFLOW_ALREADY_RUNNING"


class Waiter(WorkflowDefinition):
    """A child that waits for its parent's ``proceed`` signal."""

    def __init__(self, workflow_execution: Any = None) -> None:
        super().__init__(workflow_execution)
        self.go: Future[Any] | None = None

    @execute(version="1.0", execution_start_to_close_timeout=3600)
    def run(self) -> Generator[Any, Any, Any]:
        self.go = self.go or Future()
        value = yield self.go
        return f"proceeded with {value}"

    @signal()
    def proceed(self, value: int) -> None:
        self.go = self.go or Future()
        self.go.set_result(value)


class Coordinator(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=3600)
    def run(self) -> Generator[Any, Any, Any]:
        child = yield Waiter.run()
        yield child.proceed(7)  # SignalExternalWorkflowExecution to the child
        result = yield child.workflow_result
        return result


def test_parent_signals_its_child_through_the_handle(scenario: Scenario) -> None:
    with scenario.workers([Coordinator, Waiter]):
        handle = scenario.start(lambda: Coordinator.run())
        assert handle.result(timeout=20) == "proceeded with 7"
    (initiated,) = scenario.events(handle, "SignalExternalWorkflowExecutionInitiated")
    (started,) = scenario.events(handle, "ChildWorkflowExecutionStarted")
    assert initiated["workflowId"] == started["workflowExecution"]["workflowId"]
    assert initiated["runId"] == started["workflowExecution"]["runId"]
    assert initiated["signalName"] == "proceed"
    assert scenario.events(handle, "ExternalWorkflowExecutionSignaled")
