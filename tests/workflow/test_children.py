"""Child workflows and continue-as-new, driven by hand-built activations."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from _fakes import Driver, FakeJob, attrs, dumps, input_of, loads, summary

from botoflowx.constants import CHILD_ABANDON
from botoflowx.exceptions import (
    CancelledError,
    ChildWorkflowFailedError,
    StartChildWorkflowExecutionFailedError,
)
from botoflowx.workflow import WorkflowDefinition, execute, workflow_options


class Child(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=120, child_policy=CHILD_ABANDON)
    def run(self, x: int) -> int:
        return x + 1


class Parent(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def run(self) -> Generator[Any, Any, Any]:
        first = yield Child.run(1)
        with workflow_options(workflow_id="fixed-id", task_list="kids", tag_list=["t"]):
            second = yield Child.run(2)
        results = yield [first.workflow_result, second.workflow_result]
        return [list(first.workflow_execution), list(results)]


def test_child_workflows_start_and_return_results() -> None:
    d = Driver(Parent)
    (start,) = d.start()
    assert start.decision == {
        "decisionType": "StartChildWorkflowExecution",
        "startChildWorkflowExecutionDecisionAttributes": {
            "workflowType": {"name": "Child", "version": "1.0"},
            "workflowId": "run-1.1",
            "input": input_of(1),
            "executionStartToCloseTimeout": "120",
            "taskStartToCloseTimeout": "30",
            "childPolicy": "ABANDON",
        },
    }
    assert (start.key, start.name) == ("run-1.1", "Child")
    out = d.activate(FakeJob("child_started", key="run-1.1", run_id="child-run", name="Child"))
    assert summary(out) == [("StartChildWorkflowExecution", "fixed-id", "Child")]
    assert attrs(out[0])["taskList"] == {"name": "kids"} and attrs(out[0])["tagList"] == ["t"]
    d.activate(FakeJob("child_started", key="fixed-id", run_id="r2", name="Child"))
    d.activate(FakeJob("child_completed", key="fixed-id", run_id="r2", payload=dumps(3)))
    out = d.activate(
        FakeJob("child_completed", key="run-1.1", run_id="child-run", payload=dumps(2))
    )
    assert loads(attrs(out[0])["result"]) == [["run-1.1", "child-run"], [2, 3]]


def test_child_failures_carry_the_childs_ids_and_cause() -> None:
    class Watcher(WorkflowDefinition):
        @execute(version="1.0", execution_start_to_close_timeout=600)
        def run(self) -> Generator[Any, Any, Any]:
            child = yield Child.run(1)
            try:
                yield child.workflow_result
            except ChildWorkflowFailedError as err:
                return [err.workflow_id, err.run_id, type(err.cause).__name__, err.workflow_type]
            return None

    d = Driver(Watcher)
    d.start()
    d.activate(FakeJob("child_started", key="run-1.1", run_id="cr", name="Child"))
    out = d.activate(
        FakeJob(
            "child_failed",
            key="run-1.1",
            run_id="cr",
            reason="ValueError: no",
            details=dumps(ValueError("no")),
        )
    )
    assert loads(attrs(out[0])["result"]) == ["run-1.1", "cr", "ValueError", "Child"]


def test_start_child_failed() -> None:
    d = Driver(Parent)
    d.start()
    out = d.activate(
        FakeJob(
            "start_child_failed", key="run-1.1", name="Child", cause="WORKFLOW_TYPE_DOES_NOT_EXIST"
        )
    )
    assert summary(out) == [("FailWorkflowExecution", "", "")]
    assert StartChildWorkflowExecutionFailedError.__name__ in attrs(out[0])["reason"]
    assert "WORKFLOW_TYPE_DOES_NOT_EXIST" in attrs(out[0])["reason"]


class Looper(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def run(self, n: int) -> Generator[Any, Any, Any]:
        yield None
        if n < 3:
            self.run(n + 1)
        return n


def test_calling_your_own_execute_continues_as_new() -> None:
    d = Driver(Looper, tag_list=["keep"])
    (close,) = d.start(1)
    assert close.decision == {
        "decisionType": "ContinueAsNewWorkflowExecution",
        "continueAsNewWorkflowExecutionDecisionAttributes": {
            "input": input_of(2),
            # The run's own values carry over (it was started with 60 s, not the 600 s
            # @execute declares): SWF would otherwise fill in the type's defaults.
            "executionStartToCloseTimeout": "60",
            "taskStartToCloseTimeout": "30",
            # USE_WORKER_TASK_LIST: stay on the task list this run was started on.
            "taskList": {"name": "decider-list"},
            "childPolicy": "TERMINATE",
            "tagList": ["keep"],
            "workflowTypeVersion": "1.0",
        },
    }
    assert "run" in close.location
    d = Driver(Looper)
    assert summary(d.start(3)) == [("CompleteWorkflowExecution", "", "")]


class CancelsChild(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def run(self) -> Generator[Any, Any, Any]:
        child = yield Child.run(1)
        yield child.cancel()
        try:
            yield child.workflow_result
        except CancelledError as err:
            return [type(err).__name__, err.workflow_id]
        return None


def test_cancelling_a_child_requests_cancellation_of_its_run() -> None:
    d = Driver(CancelsChild)
    d.start()
    out = d.activate(FakeJob("child_started", key="run-1.1", run_id="cr", name="Child"))
    assert out[0].decision == {
        "decisionType": "RequestCancelExternalWorkflowExecution",
        "requestCancelExternalWorkflowExecutionDecisionAttributes": {
            "workflowId": "run-1.1",
            "runId": "cr",
            "control": "2",
        },
    }
    assert (out[0].key, out[0].name) == ("2", "")
    assert d.activate(FakeJob("external_cancel_requested", key="2")) == []
    out = d.activate(FakeJob("child_canceled", key="run-1.1", run_id="cr"))
    assert loads(attrs(out[0])["result"]) == ["ChildWorkflowCanceledError", "run-1.1"]


def test_a_failed_cancel_request_raises_into_the_workflow() -> None:
    d = Driver(CancelsChild)
    d.start()
    d.activate(FakeJob("child_started", key="run-1.1", run_id="cr", name="Child"))
    out = d.activate(
        FakeJob("cancel_external_failed", key="2", cause="UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION")
    )
    assert summary(out) == [("FailWorkflowExecution", "", "")]
    assert "UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION" in attrs(out[0])["reason"]
