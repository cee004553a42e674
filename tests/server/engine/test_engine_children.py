"""Child workflows, the child policy, and continue-as-new."""

from __future__ import annotations

from typing import Any

import pytest
from engine_support import Driver, attrs, complete, last

from botoflowx.server._faults import UnknownResourceFault


def start_child(workflow_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "decisionType": "StartChildWorkflowExecution",
        "startChildWorkflowExecutionDecisionAttributes": {
            "workflowType": {"name": "wf", "version": "1"},
            "workflowId": workflow_id,
            **extra,
        },
    }


def _parent_with_child(swf: Driver, child_policy: str = "TERMINATE") -> tuple[dict, dict]:
    parent = swf.start("parent", childPolicy=child_policy)
    swf.decide(
        swf.poll_decision(),
        start_child("child", taskList={"name": "kids"}, input="ci", control="c1"),
    )
    events = swf.history(parent)
    child = attrs(last(events, "ChildWorkflowExecutionStarted"))["workflowExecution"]
    return parent, child


def test_child_lifecycle_notifies_the_parent(swf: Driver) -> None:
    parent, child = _parent_with_child(swf)
    events = swf.history(parent)
    initiated = last(events, "StartChildWorkflowExecutionInitiated")
    started = last(events, "ChildWorkflowExecutionStarted")
    assert attrs(initiated)["taskList"] == {"name": "kids"}
    assert attrs(initiated)["executionStartToCloseTimeout"] == "3600"  # resolved default
    assert attrs(initiated)["childPolicy"] == "TERMINATE"
    assert attrs(started)["initiatedEventId"] == initiated["eventId"]
    child_started = attrs(swf.history(child)[0])
    assert child_started["parentWorkflowExecution"] == parent
    assert child_started["parentInitiatedEventId"] == initiated["eventId"]
    assert child_started["input"] == "ci"
    assert swf.describe(child)["executionInfo"]["parent"] == parent
    assert swf.describe(parent)["openCounts"]["openChildWorkflowExecutions"] == 1

    swf.decide(swf.poll_decision("decisions"))  # the parent's task for "child started"
    swf.decide(swf.poll_decision("kids"), complete("child-result"))
    events = swf.history(parent)
    done = last(events, "ChildWorkflowExecutionCompleted")
    assert attrs(done) == {
        "workflowExecution": child,
        "workflowType": {"name": "wf", "version": "1"},
        "result": "child-result",
        "initiatedEventId": initiated["eventId"],
        "startedEventId": started["eventId"],
    }
    assert events[-1]["eventType"] == "DecisionTaskScheduled"
    assert swf.describe(parent)["openCounts"]["openChildWorkflowExecutions"] == 0


def test_child_failure_and_cancel_notifications(swf: Driver) -> None:
    parent, _child = _parent_with_child(swf)
    swf.decide(swf.poll_decision("decisions"))
    swf.decide(
        swf.poll_decision("kids"),
        {
            "decisionType": "FailWorkflowExecution",
            "failWorkflowExecutionDecisionAttributes": {"reason": "boom", "details": "tb"},
        },
    )
    failed = attrs(last(swf.history(parent), "ChildWorkflowExecutionFailed"))
    assert (failed["reason"], failed["details"]) == ("boom", "tb")


def test_child_already_running(swf: Driver) -> None:
    swf.start("taken")
    parent = swf.start("p", taskList={"name": "p"})
    swf.decide(swf.poll_decision("p"), start_child("taken"))
    events = swf.history(parent)
    failed = last(events, "StartChildWorkflowExecutionFailed")
    assert attrs(failed)["cause"] == "WORKFLOW_ALREADY_RUNNING"
    assert (
        attrs(failed)["initiatedEventId"]
        == last(events, "StartChildWorkflowExecutionInitiated")["eventId"]
    )


@pytest.mark.parametrize("policy", ["TERMINATE", "REQUEST_CANCEL", "ABANDON"])
def test_child_policy_on_terminate(swf: Driver, policy: str) -> None:
    parent, child = _parent_with_child(swf, child_policy=policy)
    swf.op("TerminateWorkflowExecution", workflowId="parent")
    last_child = swf.history(child)[-1]
    info = swf.describe(child)["executionInfo"]
    if policy == "TERMINATE":
        assert info["closeStatus"] == "TERMINATED"
        assert attrs(last_child)["cause"] == "CHILD_POLICY_APPLIED"
    elif policy == "REQUEST_CANCEL":
        assert info["executionStatus"] == "OPEN" and info["cancelRequested"]
        cancel = last(swf.history(child), "WorkflowExecutionCancelRequested")
        assert attrs(cancel) == {"cause": "CHILD_POLICY_APPLIED"}
    else:
        assert info["executionStatus"] == "OPEN" and not info["cancelRequested"]
    # The closed parent gets no more events.
    assert swf.types(parent)[-1] == "WorkflowExecutionTerminated"


def test_terminate_child_policy_override(swf: Driver) -> None:
    _parent, child = _parent_with_child(swf, child_policy="ABANDON")
    swf.op("TerminateWorkflowExecution", workflowId="parent", childPolicy="TERMINATE")
    assert swf.describe(child)["executionInfo"]["closeStatus"] == "TERMINATED"


def test_child_timeout_notifies_parent(swf: Driver) -> None:
    parent = swf.start("parent", executionStartToCloseTimeout="1000")
    swf.decide(
        swf.poll_decision(),
        start_child("child", executionStartToCloseTimeout="10", taskList={"name": "kids"}),
    )
    swf.advance(10)
    timed_out = attrs(last(swf.history(parent), "ChildWorkflowExecutionTimedOut"))
    assert timed_out["timeoutType"] == "START_TO_CLOSE"
    # And a parent timing out applies its child policy.
    swf.decide(swf.poll_decision(), start_child("child2", taskList={"name": "kids"}))
    child2 = attrs(last(swf.history(parent), "ChildWorkflowExecutionStarted"))["workflowExecution"]
    swf.advance(1000)
    assert swf.describe(parent)["executionInfo"]["closeStatus"] == "TIMED_OUT"
    assert swf.describe(child2)["executionInfo"]["closeStatus"] == "TERMINATED"


def test_continue_as_new(swf: Driver) -> None:
    first = swf.start("loop", tagList=["keep"], taskPriority="3")
    task = swf.poll_decision()
    swf.decide(
        task,
        {
            "decisionType": "ContinueAsNewWorkflowExecution",
            "continueAsNewWorkflowExecutionDecisionAttributes": {
                "input": "next",
                "taskStartToCloseTimeout": "7",
                "tagList": ["again"],
            },
        },
    )
    info = swf.describe(first)["executionInfo"]
    assert info["closeStatus"] == "CONTINUED_AS_NEW"
    continued = attrs(swf.history(first)[-1])
    new_run = {"workflowId": "loop", "runId": continued["newExecutionRunId"]}
    assert continued["taskStartToCloseTimeout"] == "7"
    # What the decision does not give comes from the type's defaults (as SWF documents),
    # not from the closing run.
    assert continued["taskPriority"] == "0"
    assert continued["executionStartToCloseTimeout"] == "3600"
    assert continued["tagList"] == ["again"]
    started = attrs(swf.history(new_run)[0])
    assert started["continuedExecutionRunId"] == first["runId"]
    assert started["input"] == "next"
    assert started["taskList"] == {"name": "decisions"}
    task = swf.poll_decision()
    assert task["workflowExecution"] == new_run
    assert task["previousStartedEventId"] == 0
    with pytest.raises(UnknownResourceFault):
        swf.op("SignalWorkflowExecution", workflowId="loop", runId=first["runId"], signalName="s")
    swf.op("SignalWorkflowExecution", workflowId="loop", signalName="s")  # reaches new run
    assert swf.types(new_run)[-1] == "WorkflowExecutionSignaled"


def test_continue_as_new_failures(swf: Driver) -> None:
    execution = swf.start()
    swf.decide(
        swf.poll_decision(),
        {
            "decisionType": "ContinueAsNewWorkflowExecution",
            "continueAsNewWorkflowExecutionDecisionAttributes": {"workflowTypeVersion": "9"},
        },
    )
    assert (
        attrs(last(swf.history(execution), "ContinueAsNewWorkflowExecutionFailed"))["cause"]
        == "WORKFLOW_TYPE_DOES_NOT_EXIST"
    )
    assert swf.describe(execution)["executionInfo"]["executionStatus"] == "OPEN"
    swf.register_workflow("wf", "bare", defaultTaskStartToCloseTimeout=None)
    swf.decide(
        swf.poll_decision(),
        {
            "decisionType": "ContinueAsNewWorkflowExecution",
            "continueAsNewWorkflowExecutionDecisionAttributes": {"workflowTypeVersion": "bare"},
        },
    )
    assert (
        attrs(last(swf.history(execution), "ContinueAsNewWorkflowExecutionFailed"))["cause"]
        == "DEFAULT_TASK_START_TO_CLOSE_TIMEOUT_UNDEFINED"
    )


def test_continued_child_still_reports_to_parent(swf: Driver) -> None:
    parent, child = _parent_with_child(swf)
    swf.decide(swf.poll_decision("decisions"))
    swf.decide(
        swf.poll_decision("kids"),
        {
            "decisionType": "ContinueAsNewWorkflowExecution",
            "continueAsNewWorkflowExecutionDecisionAttributes": {"taskList": {"name": "kids"}},
        },
    )
    assert "ChildWorkflowExecutionCompleted" not in swf.types(parent)
    task = swf.poll_decision("kids")
    swf.decide(task, complete("final"))
    done = attrs(last(swf.history(parent), "ChildWorkflowExecutionCompleted"))
    assert done["workflowExecution"] == task["workflowExecution"] != child
    assert done["result"] == "final"


def test_child_decision_failures(swf: Driver, monkeypatch: pytest.MonkeyPatch) -> None:
    import botoflowx.server._decisions as decisions_module

    monkeypatch.setattr(decisions_module, "OPEN_CHILDREN_LIMIT", 1)
    swf.register_workflow("bare", defaultChildPolicy=None)
    parent = swf.start("p")
    swf.decide(
        swf.poll_decision(),
        start_child("c1", taskList={"name": "kids"}),
        start_child("c2", taskList={"name": "kids"}),
        {
            "decisionType": "StartChildWorkflowExecution",
            "startChildWorkflowExecutionDecisionAttributes": {
                "workflowType": {"name": "bare", "version": "1"},
                "workflowId": "c3",
            },
        },
    )
    failures = [
        attrs(e)
        for e in swf.history(parent)
        if e["eventType"] == "StartChildWorkflowExecutionFailed"
    ]
    assert [(f["workflowId"], f["cause"], f["initiatedEventId"]) for f in failures] == [
        ("c2", "OPEN_CHILDREN_LIMIT_EXCEEDED", 0),
        ("c3", "DEFAULT_CHILD_POLICY_UNDEFINED", 0),
    ]
