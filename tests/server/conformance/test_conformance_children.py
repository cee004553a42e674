"""Conformance: child workflows, child policies, continue-as-new and external executions."""

from __future__ import annotations

from typing import Any

import pytest

from helpers.server import ServerProcess
from helpers.swf import (
    DecisionTask,
    SWFDomain,
    attrs,
    complete_workflow,
    decision,
    event_types,
    events_of,
    only,
)

CHILD_LIST = "children"


def _start_child(
    domain: SWFDomain, child_id: str, **kw: Any
) -> tuple[dict[str, str], DecisionTask]:
    """Start a parent whose first decision starts one child on CHILD_LIST."""
    parent = domain.start()
    task = domain.expect_decision()
    domain.decide(
        task,
        [
            decision(
                "StartChildWorkflowExecution",
                workflowType=domain.workflow_type,
                workflowId=child_id,
                taskList={"name": CHILD_LIST},
                input="child-input",
                control="child-control",
                tagList=["child"],
                **kw,
            )
        ],
    )
    return parent, task


def _child_run(domain: SWFDomain, parent: dict[str, str]) -> dict[str, str]:
    started = only(domain.history(parent), "ChildWorkflowExecutionStarted")
    return dict(attrs(started)["workflowExecution"])


def test_child_start_events_on_both_sides(domain: SWFDomain) -> None:
    parent, _ = _start_child(domain, "kid")
    events = domain.history(parent)
    initiated = only(events, "StartChildWorkflowExecutionInitiated")
    started = only(events, "ChildWorkflowExecutionStarted")
    initiated_attrs = attrs(initiated)
    assert initiated_attrs["workflowId"] == "kid"
    assert initiated_attrs["workflowType"] == domain.workflow_type
    assert initiated_attrs["taskList"] == {"name": CHILD_LIST}
    assert initiated_attrs["control"] == "child-control"
    assert initiated_attrs["input"] == "child-input"
    assert initiated_attrs["childPolicy"] == "TERMINATE"
    assert (
        initiated_attrs["decisionTaskCompletedEventId"]
        == only(events, "DecisionTaskCompleted")["eventId"]
    )
    assert attrs(started)["initiatedEventId"] == initiated["eventId"]
    assert attrs(started)["workflowType"] == domain.workflow_type
    child = attrs(started)["workflowExecution"]
    assert child["workflowId"] == "kid"
    assert domain.describe(parent)["openCounts"]["openChildWorkflowExecutions"] == 1

    child_started = attrs(domain.history(child)[0])
    assert child_started["parentWorkflowExecution"] == parent
    assert child_started["parentInitiatedEventId"] == initiated["eventId"]
    assert child_started["input"] == "child-input"
    assert child_started["tagList"] == ["child"]
    assert domain.describe(child)["executionInfo"]["parent"] == parent
    child_task = domain.expect_decision(CHILD_LIST)
    assert child_task.execution == child


def _close_child(
    swf_server: ServerProcess, domain: SWFDomain, child: dict[str, str], kind: str
) -> None:
    swf = domain.client
    if kind == "terminated":
        swf.terminate_workflow_execution(domain=domain.name, **child)
        return
    if kind == "timed_out":
        swf_server.advance_clock(101)
        return
    if kind == "canceled":
        swf.request_cancel_workflow_execution(domain=domain.name, **child)
    task = domain.expect_decision(CHILD_LIST)
    closing = {
        "completed": complete_workflow("child-result"),
        "failed": decision("FailWorkflowExecution", reason="child-reason", details="child-details"),
        "canceled": decision("CancelWorkflowExecution", details="child-cancel"),
    }[kind]
    domain.decide(task, [closing])


@pytest.mark.parametrize(
    ("kind", "event", "extra"),
    [
        ("completed", "ChildWorkflowExecutionCompleted", {"result": "child-result"}),
        (
            "failed",
            "ChildWorkflowExecutionFailed",
            {"reason": "child-reason", "details": "child-details"},
        ),
        ("canceled", "ChildWorkflowExecutionCanceled", {"details": "child-cancel"}),
        ("terminated", "ChildWorkflowExecutionTerminated", {}),
        ("timed_out", "ChildWorkflowExecutionTimedOut", {"timeoutType": "START_TO_CLOSE"}),
    ],
)
def test_parent_is_told_how_the_child_closed(
    swf_server: ServerProcess, domain: SWFDomain, kind: str, event: str, extra: dict[str, str]
) -> None:
    parent, _ = _start_child(domain, f"kid-{kind}", executionStartToCloseTimeout="100")
    child = _child_run(domain, parent)
    # Whether ChildWorkflowExecutionStarted wakes the parent is unsettled (swf.md 4.1):
    # answer that task if there is one, so the close below is the next news either way.
    started_task = domain.poll_decision()
    if started_task is not None:
        domain.decide(started_task, [])
    _close_child(swf_server, domain, child, kind)

    events = domain.history(parent)
    closed = only(events, event)
    assert attrs(closed) == {
        "workflowExecution": child,
        "workflowType": domain.workflow_type,
        "initiatedEventId": only(events, "StartChildWorkflowExecutionInitiated")["eventId"],
        "startedEventId": only(events, "ChildWorkflowExecutionStarted")["eventId"],
        **extra,
    }
    assert events[-1]["eventType"] == "DecisionTaskScheduled"
    assert domain.describe(parent)["openCounts"]["openChildWorkflowExecutions"] == 0
    task = domain.expect_decision()
    assert task.execution == parent
    assert event in event_types(task.events)


def _terminate_parent(domain: SWFDomain, policy: str) -> tuple[dict[str, str], dict[str, str]]:
    parent, _ = _start_child(domain, f"kid-{policy.lower()}", childPolicy="ABANDON")
    child = _child_run(domain, parent)
    domain.client.terminate_workflow_execution(domain=domain.name, **parent, childPolicy=policy)
    assert attrs(domain.history(parent)[-1])["childPolicy"] == policy
    return parent, child


def test_terminate_parent_with_policy_terminate(domain: SWFDomain) -> None:
    _, child = _terminate_parent(domain, "TERMINATE")
    events = domain.history(child)
    assert events[-1]["eventType"] == "WorkflowExecutionTerminated"
    assert attrs(events[-1])["cause"] == "CHILD_POLICY_APPLIED"
    assert domain.describe(child)["executionInfo"]["closeStatus"] == "TERMINATED"


def test_terminate_parent_with_policy_request_cancel(domain: SWFDomain) -> None:
    _, child = _terminate_parent(domain, "REQUEST_CANCEL")
    events = domain.history(child)
    requested = only(events, "WorkflowExecutionCancelRequested")
    assert attrs(requested)["cause"] == "CHILD_POLICY_APPLIED"
    info = domain.describe(child)["executionInfo"]
    assert info["executionStatus"] == "OPEN"
    assert info["cancelRequested"] is True


def test_terminate_parent_with_policy_abandon(domain: SWFDomain) -> None:
    _, child = _terminate_parent(domain, "ABANDON")
    events = domain.history(child)
    assert event_types(events) == ["WorkflowExecutionStarted", "DecisionTaskScheduled"]
    assert domain.describe(child)["executionInfo"]["executionStatus"] == "OPEN"


def test_parent_timeout_applies_its_child_policy(
    swf_server: ServerProcess, domain: SWFDomain
) -> None:
    parent = domain.start(executionStartToCloseTimeout="50", childPolicy="TERMINATE")
    domain.decide(
        domain.expect_decision(),
        [
            decision(
                "StartChildWorkflowExecution",
                workflowType=domain.workflow_type,
                workflowId="kid-of-timeout",
                taskList={"name": CHILD_LIST},
            )
        ],
    )
    child = _child_run(domain, parent)
    swf_server.advance_clock(51)
    assert domain.history(parent)[-1]["eventType"] == "WorkflowExecutionTimedOut"
    child_events = domain.history(child)
    assert child_events[-1]["eventType"] == "WorkflowExecutionTerminated"
    assert attrs(child_events[-1])["cause"] == "CHILD_POLICY_APPLIED"


def test_continue_as_new(domain: SWFDomain) -> None:
    first = domain.start(tagList=["gen"])
    task = domain.expect_decision()
    domain.decide(
        task,
        [
            decision(
                "ContinueAsNewWorkflowExecution",
                input="next-input",
                taskList={"name": domain.task_list},
                tagList=["gen2"],
            )
        ],
    )
    events = domain.history(first)
    continued = events[-1]
    assert continued["eventType"] == "WorkflowExecutionContinuedAsNew"
    new_run = attrs(continued)["newExecutionRunId"]
    assert new_run != first["runId"]
    assert attrs(continued)["input"] == "next-input"
    assert attrs(continued)["workflowType"] == domain.workflow_type
    assert (
        attrs(continued)["decisionTaskCompletedEventId"]
        == only(events, "DecisionTaskCompleted")["eventId"]
    )
    info = domain.describe(first)["executionInfo"]
    assert (info["executionStatus"], info["closeStatus"]) == ("CLOSED", "CONTINUED_AS_NEW")

    second = {"workflowId": first["workflowId"], "runId": new_run}
    new_started = attrs(domain.history(second)[0])
    assert new_started["continuedExecutionRunId"] == first["runId"]
    assert new_started["input"] == "next-input"
    assert new_started["tagList"] == ["gen2"]
    next_task = domain.expect_decision()
    assert next_task.execution == second
    assert next_task.previous_started_event_id == 0
    # Signals by workflowId alone now reach the new run.
    domain.client.signal_workflow_execution(
        domain=domain.name, workflowId=first["workflowId"], signalName="s"
    )
    assert "WorkflowExecutionSignaled" in event_types(domain.history(second))


def test_signal_external_execution_both_sides(domain: SWFDomain) -> None:
    target = domain.start(workflow_id="target")
    domain.decide(domain.expect_decision(), [])
    sender = domain.start(workflow_id="sender")
    domain.decide(
        domain.expect_decision(),
        [
            decision(
                "SignalExternalWorkflowExecution",
                workflowId="target",
                runId=target["runId"],
                signalName="hello",
                input="ext-input",
                control="7",
            )
        ],
    )
    sent = domain.history(sender)
    initiated = only(sent, "SignalExternalWorkflowExecutionInitiated")
    assert attrs(initiated) == {
        "workflowId": "target",
        "runId": target["runId"],
        "signalName": "hello",
        "input": "ext-input",
        "control": "7",
        "decisionTaskCompletedEventId": only(sent, "DecisionTaskCompleted")["eventId"],
    }
    signaled = only(sent, "ExternalWorkflowExecutionSignaled")
    assert attrs(signaled) == {
        "workflowExecution": target,
        "initiatedEventId": initiated["eventId"],
    }
    assert sent[-1]["eventType"] == "DecisionTaskScheduled"

    received = only(domain.history(target), "WorkflowExecutionSignaled")
    assert attrs(received) == {
        "signalName": "hello",
        "input": "ext-input",
        "externalWorkflowExecution": sender,
        "externalInitiatedEventId": initiated["eventId"],
    }


def test_request_cancel_external_execution_both_sides(domain: SWFDomain) -> None:
    target = domain.start(workflow_id="cancel-target")
    domain.decide(domain.expect_decision(), [])
    sender = domain.start(workflow_id="canceller")
    domain.decide(
        domain.expect_decision(),
        [
            decision(
                "RequestCancelExternalWorkflowExecution", workflowId="cancel-target", control="9"
            )
        ],
    )
    sent = domain.history(sender)
    initiated = only(sent, "RequestCancelExternalWorkflowExecutionInitiated")
    assert attrs(initiated)["workflowId"] == "cancel-target"
    assert attrs(initiated)["control"] == "9"
    requested = only(sent, "ExternalWorkflowExecutionCancelRequested")
    assert attrs(requested) == {
        "workflowExecution": target,
        "initiatedEventId": initiated["eventId"],
    }

    target_events = domain.history(target)
    cancel = only(target_events, "WorkflowExecutionCancelRequested")
    assert attrs(cancel)["externalWorkflowExecution"] == sender
    assert attrs(cancel)["externalInitiatedEventId"] == initiated["eventId"]
    assert target_events[-1]["eventType"] == "DecisionTaskScheduled"
    assert domain.describe(target)["executionInfo"]["cancelRequested"] is True
    assert len(events_of(target_events, "DecisionTaskScheduled")) == 2


def test_child_policy_does_not_apply_when_the_parent_completes(domain: SWFDomain) -> None:
    # SWF applies the child policy on terminate and on timeout; a parent that completes
    # on its own leaves its open children running.
    parent, _ = _start_child(domain, "kid-outlives", childPolicy="TERMINATE")
    child = _child_run(domain, parent)
    # A signal guarantees the parent a decision task (ChildWorkflowExecutionStarted may not).
    domain.client.signal_workflow_execution(domain=domain.name, **parent, signalName="finish")
    task = domain.expect_decision()
    assert task.execution == parent
    domain.decide(task, [complete_workflow("parent-done")])
    assert domain.describe(parent)["executionInfo"]["closeStatus"] == "COMPLETED"
    child_info = domain.describe(child)["executionInfo"]
    assert child_info["executionStatus"] == "OPEN"
    assert event_types(domain.history(child)) == [
        "WorkflowExecutionStarted",
        "DecisionTaskScheduled",
    ]
