"""Conformance: every decision type, its success events, and its failure events and causes."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from helpers.server import ServerProcess
from helpers.swf import (
    SWFDomain,
    attrs,
    complete_workflow,
    decision,
    error_code,
    event_types,
    events_of,
    make_client,
    new_domain,
    only,
    schedule_activity,
    start_timer,
)

ALL_TIMEOUTS = {
    "scheduleToStartTimeout": "100",
    "scheduleToCloseTimeout": "300",
    "startToCloseTimeout": "200",
    "heartbeatTimeout": "50",
}


def _completed_id(events: list[dict[str, Any]]) -> int:
    return int(events_of(events, "DecisionTaskCompleted")[-1]["eventId"])


# -- ScheduleActivityTask --------------------------------------------------------------------


def test_schedule_activity_records_resolved_values(domain: SWFDomain) -> None:
    act = domain.register_activity_type(
        defaultTaskList={"name": "act-default"},
        defaultTaskScheduleToStartTimeout="11",
        defaultTaskScheduleToCloseTimeout="33",
        defaultTaskStartToCloseTimeout="22",
        defaultTaskHeartbeatTimeout="5",
        defaultTaskPriority="3",
    )
    execution, _ = domain.start_and_decide(
        [
            schedule_activity(act, "defaults", input="in"),
            schedule_activity(
                act,
                "explicit",
                control="ctl",
                taskList={"name": "other"},
                taskPriority="9",
                **ALL_TIMEOUTS,
            ),
        ]
    )
    events = domain.history(execution)
    completed = _completed_id(events)
    by_activity = {
        attrs(e)["activityId"]: attrs(e) for e in events_of(events, "ActivityTaskScheduled")
    }
    assert by_activity["defaults"] == {
        "activityType": act,
        "activityId": "defaults",
        "input": "in",
        "taskList": {"name": "act-default"},
        "taskPriority": "3",
        "scheduleToStartTimeout": "11",
        "scheduleToCloseTimeout": "33",
        "startToCloseTimeout": "22",
        "heartbeatTimeout": "5",
        "decisionTaskCompletedEventId": completed,
    }
    assert by_activity["explicit"] == {
        "activityType": act,
        "activityId": "explicit",
        "control": "ctl",
        "taskList": {"name": "other"},
        "taskPriority": "9",
        **ALL_TIMEOUTS,
        "decisionTaskCompletedEventId": completed,
    }
    # Scheduling an activity is the decider's own doing: no new decision task.
    assert events[-1]["eventType"] == "ActivityTaskScheduled"


def _schedule_failure(domain: SWFDomain, decisions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    execution, _ = domain.start_and_decide(
        [*decisions, decision("RecordMarker", markerName="after-failure")]
    )
    return domain.history(execution)


def test_schedule_unknown_activity_type_fails(domain: SWFDomain) -> None:
    ghost = {"name": "ghost", "version": "1"}
    events = _schedule_failure(domain, [schedule_activity(ghost, "a1")])
    failed = only(events, "ScheduleActivityTaskFailed")
    assert attrs(failed) == {
        "activityType": ghost,
        "activityId": "a1",
        "cause": "ACTIVITY_TYPE_DOES_NOT_EXIST",
        "decisionTaskCompletedEventId": _completed_id(events),
    }
    # The rest of the batch still applies, and the decider gets a task to see the failure.
    assert "MarkerRecorded" in event_types(events)
    assert events[-1]["eventType"] == "DecisionTaskScheduled"


def test_schedule_deprecated_activity_type_fails(domain: SWFDomain) -> None:
    domain.client.deprecate_activity_type(domain=domain.name, activityType=domain.activity_type)
    events = _schedule_failure(domain, [schedule_activity(domain.activity_type, "a1")])
    assert attrs(only(events, "ScheduleActivityTaskFailed"))["cause"] == "ACTIVITY_TYPE_DEPRECATED"


def test_schedule_activity_id_already_in_use(domain: SWFDomain) -> None:
    events = _schedule_failure(
        domain,
        [
            schedule_activity(domain.activity_type, "dup"),
            schedule_activity(domain.activity_type, "dup"),
        ],
    )
    assert len(events_of(events, "ActivityTaskScheduled")) == 1
    failed = only(events, "ScheduleActivityTaskFailed")
    assert attrs(failed)["cause"] == "ACTIVITY_ID_ALREADY_IN_USE"
    assert attrs(failed)["activityId"] == "dup"


@pytest.mark.parametrize(
    ("omitted", "cause"),
    [
        ("taskList", "DEFAULT_TASK_LIST_UNDEFINED"),
        ("scheduleToStartTimeout", "DEFAULT_SCHEDULE_TO_START_TIMEOUT_UNDEFINED"),
        ("scheduleToCloseTimeout", "DEFAULT_SCHEDULE_TO_CLOSE_TIMEOUT_UNDEFINED"),
        ("startToCloseTimeout", "DEFAULT_START_TO_CLOSE_TIMEOUT_UNDEFINED"),
        ("heartbeatTimeout", "DEFAULT_HEARTBEAT_TIMEOUT_UNDEFINED"),
    ],
)
def test_schedule_activity_without_value_or_default(
    domain: SWFDomain, omitted: str, cause: str
) -> None:
    bare = domain.register_activity_type()
    given: dict[str, Any] = {"taskList": {"name": "tl"}, **ALL_TIMEOUTS}
    del given[omitted]
    events = _schedule_failure(domain, [schedule_activity(bare, "a1", **given)])
    assert attrs(only(events, "ScheduleActivityTaskFailed"))["cause"] == cause
    assert "ActivityTaskScheduled" not in event_types(events)


# -- RequestCancelActivityTask -----------------------------------------------------------------


def test_request_cancel_unknown_activity_fails(domain: SWFDomain) -> None:
    execution, _ = domain.start_and_decide(
        [decision("RequestCancelActivityTask", activityId="never-scheduled")]
    )
    events = domain.history(execution)
    assert attrs(only(events, "RequestCancelActivityTaskFailed")) == {
        "activityId": "never-scheduled",
        "cause": "ACTIVITY_ID_UNKNOWN",
        "decisionTaskCompletedEventId": _completed_id(events),
    }
    assert events[-1]["eventType"] == "DecisionTaskScheduled"


# -- close decisions -----------------------------------------------------------------------------


def test_complete_workflow(domain: SWFDomain) -> None:
    execution, _ = domain.start_and_decide([complete_workflow("the result")])
    events = domain.history(execution)
    assert events[-1]["eventType"] == "WorkflowExecutionCompleted"
    assert attrs(events[-1]) == {
        "result": "the result",
        "decisionTaskCompletedEventId": _completed_id(events),
    }
    info = domain.describe(execution)["executionInfo"]
    assert (info["executionStatus"], info["closeStatus"]) == ("CLOSED", "COMPLETED")


def test_fail_workflow(domain: SWFDomain) -> None:
    execution, _ = domain.start_and_decide(
        [decision("FailWorkflowExecution", reason="ValueError: bad", details="trace")]
    )
    events = domain.history(execution)
    assert events[-1]["eventType"] == "WorkflowExecutionFailed"
    assert attrs(events[-1]) == {
        "reason": "ValueError: bad",
        "details": "trace",
        "decisionTaskCompletedEventId": _completed_id(events),
    }
    assert domain.describe(execution)["executionInfo"]["closeStatus"] == "FAILED"


@pytest.mark.parametrize(
    ("close", "failed_event"),
    [
        (complete_workflow("r"), "CompleteWorkflowExecutionFailed"),
        (decision("FailWorkflowExecution", reason="r"), "FailWorkflowExecutionFailed"),
        (decision("CancelWorkflowExecution"), "CancelWorkflowExecutionFailed"),
        (decision("ContinueAsNewWorkflowExecution"), "ContinueAsNewWorkflowExecutionFailed"),
    ],
)
def test_close_decision_after_new_event_is_unhandled_decision(
    domain: SWFDomain, close: dict[str, Any], failed_event: str
) -> None:
    execution = domain.start()
    task = domain.expect_decision()
    # A signal lands while the decider holds the task: the close must not win.
    domain.client.signal_workflow_execution(domain=domain.name, **execution, signalName="late")
    domain.decide(task, [close])
    events = domain.history(execution)
    assert attrs(only(events, failed_event)) == {
        "cause": "UNHANDLED_DECISION",
        "decisionTaskCompletedEventId": _completed_id(events),
    }
    info = domain.describe(execution)["executionInfo"]
    assert info["executionStatus"] == "OPEN"
    follow_up = domain.expect_decision()
    assert follow_up.previous_started_event_id == task.started_event_id
    assert "WorkflowExecutionSignaled" in event_types(follow_up.events)
    domain.decide(follow_up, [complete_workflow("now")])
    assert domain.describe(execution)["executionInfo"]["closeStatus"] == "COMPLETED"


def test_close_decision_not_last_is_validation_error_and_task_survives(domain: SWFDomain) -> None:
    execution = domain.start()
    task = domain.expect_decision()
    with pytest.raises(ClientError) as err:
        domain.decide(task, [complete_workflow("r"), decision("RecordMarker", markerName="m")])
    assert error_code(err.value) == "ValidationException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # Nothing applied; the same token still answers.
    assert event_types(domain.history(execution)) == [
        "WorkflowExecutionStarted",
        "DecisionTaskScheduled",
        "DecisionTaskStarted",
    ]
    domain.decide(task, [decision("RecordMarker", markerName="m"), complete_workflow("r")])
    assert domain.describe(execution)["executionInfo"]["closeStatus"] == "COMPLETED"


def test_malformed_batch_applies_nothing(swf_server: ServerProcess, domain: SWFDomain) -> None:
    execution = domain.start()
    task = domain.expect_decision()
    raw = make_client(swf_server.endpoint_url, parameter_validation=False)
    with pytest.raises(ClientError) as err:
        raw.respond_decision_task_completed(
            taskToken=task.token,
            decisions=[
                decision("RecordMarker", markerName="first"),
                decision("StartTimer", startToFireTimeout="10"),  # timerId missing
            ],
        )
    assert error_code(err.value) == "ValidationException"
    assert "timerId" in err.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as err:
        raw.respond_decision_task_completed(
            taskToken=task.token, decisions=[{"decisionType": "NotADecision"}]
        )
    assert error_code(err.value) == "ValidationException"
    assert event_types(domain.history(execution))[-1] == "DecisionTaskStarted"
    domain.decide(task, [decision("RecordMarker", markerName="second")])
    markers = [
        attrs(e)["markerName"] for e in events_of(domain.history(execution), "MarkerRecorded")
    ]
    assert markers == ["second"]


def test_empty_decision_list_completes_the_task(domain: SWFDomain) -> None:
    execution, task = domain.start_and_decide([])
    events = domain.history(execution)
    assert event_types(events) == [
        "WorkflowExecutionStarted",
        "DecisionTaskScheduled",
        "DecisionTaskStarted",
        "DecisionTaskCompleted",
    ]
    assert attrs(events[3])["scheduledEventId"] == 2
    assert attrs(events[3])["startedEventId"] == task.started_event_id == 3
    assert domain.describe(execution)["openCounts"]["openDecisionTasks"] == 0


def test_continue_as_new_unknown_version_fails(domain: SWFDomain) -> None:
    execution, _ = domain.start_and_decide(
        [decision("ContinueAsNewWorkflowExecution", workflowTypeVersion="no-such-version")]
    )
    events = domain.history(execution)
    assert attrs(only(events, "ContinueAsNewWorkflowExecutionFailed"))["cause"] == (
        "WORKFLOW_TYPE_DOES_NOT_EXIST"
    )
    assert domain.describe(execution)["executionInfo"]["executionStatus"] == "OPEN"


# -- markers and timers --------------------------------------------------------------------------


def test_record_marker(domain: SWFDomain) -> None:
    execution, _ = domain.start_and_decide(
        [
            decision("RecordMarker", markerName="m1", details="d1"),
            decision("RecordMarker", markerName="m2"),
        ]
    )
    events = domain.history(execution)
    markers = [attrs(e) for e in events_of(events, "MarkerRecorded")]
    completed = _completed_id(events)
    assert markers == [
        {"markerName": "m1", "details": "d1", "decisionTaskCompletedEventId": completed},
        {"markerName": "m2", "decisionTaskCompletedEventId": completed},
    ]
    assert events[-1]["eventType"] == "MarkerRecorded", "a marker schedules no decision task"


def test_timer_fires_on_the_test_clock(swf_server: ServerProcess, domain: SWFDomain) -> None:
    execution, _ = domain.start_and_decide([start_timer("t1", 120, control="c")])
    events = domain.history(execution)
    started = only(events, "TimerStarted")
    assert attrs(started) == {
        "timerId": "t1",
        "control": "c",
        "startToFireTimeout": "120",
        "decisionTaskCompletedEventId": _completed_id(events),
    }
    assert domain.describe(execution)["openCounts"]["openTimers"] == 1
    swf_server.advance_clock(60)
    assert "TimerFired" not in event_types(domain.history(execution))
    swf_server.advance_clock(61)
    events = domain.history(execution)
    fired = only(events, "TimerFired")
    assert attrs(fired) == {"timerId": "t1", "startedEventId": started["eventId"]}
    assert events[-1]["eventType"] == "DecisionTaskScheduled"
    assert domain.describe(execution)["openCounts"]["openTimers"] == 0
    assert domain.expect_decision().execution == execution


def test_zero_second_timer_fires_at_once(domain: SWFDomain) -> None:
    execution, _ = domain.start_and_decide([start_timer("now", 0)])
    task = domain.expect_decision()
    assert task.execution == execution
    assert "TimerFired" in event_types(task.events)


def test_timer_id_already_in_use(domain: SWFDomain) -> None:
    execution, _ = domain.start_and_decide([start_timer("t", 100), start_timer("t", 200)])
    events = domain.history(execution)
    assert len(events_of(events, "TimerStarted")) == 1
    assert attrs(only(events, "StartTimerFailed")) == {
        "timerId": "t",
        "cause": "TIMER_ID_ALREADY_IN_USE",
        "decisionTaskCompletedEventId": _completed_id(events),
    }
    assert events[-1]["eventType"] == "DecisionTaskScheduled"


def test_cancel_timer(swf_server: ServerProcess, domain: SWFDomain) -> None:
    execution, _ = domain.start_and_decide([start_timer("t", 100)])
    domain.client.signal_workflow_execution(domain=domain.name, **execution, signalName="wake")
    task = domain.expect_decision()
    domain.decide(task, [decision("CancelTimer", timerId="t")])
    events = domain.history(execution)
    assert attrs(only(events, "TimerCanceled")) == {
        "timerId": "t",
        "startedEventId": only(events, "TimerStarted")["eventId"],
        "decisionTaskCompletedEventId": _completed_id(events),
    }
    assert domain.describe(execution)["openCounts"]["openTimers"] == 0
    swf_server.advance_clock(101)
    assert "TimerFired" not in event_types(domain.history(execution))


def test_cancel_unknown_timer_fails(domain: SWFDomain) -> None:
    execution, _ = domain.start_and_decide([decision("CancelTimer", timerId="nope")])
    events = domain.history(execution)
    assert attrs(only(events, "CancelTimerFailed")) == {
        "timerId": "nope",
        "cause": "TIMER_ID_UNKNOWN",
        "decisionTaskCompletedEventId": _completed_id(events),
    }
    assert events[-1]["eventType"] == "DecisionTaskScheduled"


def test_timer_is_cancelled_when_the_run_closes(
    swf_server: ServerProcess, domain: SWFDomain
) -> None:
    execution, _ = domain.start_and_decide([start_timer("t", 50)])
    domain.client.terminate_workflow_execution(domain=domain.name, **execution)
    swf_server.advance_clock(51)
    events = domain.history(execution)
    assert events[-1]["eventType"] == "WorkflowExecutionTerminated"
    assert "TimerFired" not in event_types(events)


# -- child workflows: decision failures ------------------------------------------------------------


def _start_child(wf_type: dict[str, str], workflow_id: str, **kw: Any) -> dict[str, Any]:
    return decision(
        "StartChildWorkflowExecution", workflowType=wf_type, workflowId=workflow_id, **kw
    )


def test_start_child_unknown_or_deprecated_type_fails(domain: SWFDomain) -> None:
    deprecated = domain.register_workflow_type(
        defaultTaskList={"name": "x"},
        defaultTaskStartToCloseTimeout="10",
        defaultExecutionStartToCloseTimeout="100",
        defaultChildPolicy="TERMINATE",
    )
    domain.client.deprecate_workflow_type(domain=domain.name, workflowType=deprecated)
    ghost = {"name": "ghost", "version": "1"}
    execution, _ = domain.start_and_decide(
        [_start_child(ghost, "c1", control="k"), _start_child(deprecated, "c2")]
    )
    events = domain.history(execution)
    failures = {
        attrs(e)["workflowId"]: attrs(e)
        for e in events_of(events, "StartChildWorkflowExecutionFailed")
    }
    assert failures["c1"]["cause"] == "WORKFLOW_TYPE_DOES_NOT_EXIST"
    assert failures["c1"]["workflowType"] == ghost
    assert failures["c1"]["control"] == "k"
    assert failures["c1"]["decisionTaskCompletedEventId"] == _completed_id(events)
    assert failures["c2"]["cause"] == "WORKFLOW_TYPE_DEPRECATED"
    assert events[-1]["eventType"] == "DecisionTaskScheduled"


def test_start_child_with_running_workflow_id_fails(domain: SWFDomain) -> None:
    other = domain.start(workflow_id="taken", taskList={"name": "elsewhere"})
    execution, _ = domain.start_and_decide([_start_child(domain.workflow_type, "taken")])
    events = domain.history(execution)
    failed = attrs(only(events, "StartChildWorkflowExecutionFailed"))
    assert failed["cause"] == "WORKFLOW_ALREADY_RUNNING"
    assert failed["workflowId"] == "taken"
    if failed["initiatedEventId"]:
        initiated = [e for e in events if e["eventId"] == failed["initiatedEventId"]]
        assert event_types(initiated) == ["StartChildWorkflowExecutionInitiated"]
    # The running execution is untouched.
    assert domain.describe(other)["executionInfo"]["executionStatus"] == "OPEN"
    assert "ChildWorkflowExecutionStarted" not in event_types(domain.history(execution))


@pytest.mark.parametrize(
    ("omitted", "cause"),
    [
        ("taskList", "DEFAULT_TASK_LIST_UNDEFINED"),
        ("executionStartToCloseTimeout", "DEFAULT_EXECUTION_START_TO_CLOSE_TIMEOUT_UNDEFINED"),
        ("taskStartToCloseTimeout", "DEFAULT_TASK_START_TO_CLOSE_TIMEOUT_UNDEFINED"),
        ("childPolicy", "DEFAULT_CHILD_POLICY_UNDEFINED"),
    ],
)
def test_start_child_without_value_or_default(domain: SWFDomain, omitted: str, cause: str) -> None:
    bare = domain.register_workflow_type()
    given: dict[str, Any] = {
        "taskList": {"name": "children"},
        "executionStartToCloseTimeout": "100",
        "taskStartToCloseTimeout": "10",
        "childPolicy": "TERMINATE",
    }
    del given[omitted]
    execution, _ = domain.start_and_decide([_start_child(bare, "child", **given)])
    events = domain.history(execution)
    assert attrs(only(events, "StartChildWorkflowExecutionFailed"))["cause"] == cause
    assert "ChildWorkflowExecutionStarted" not in event_types(events)


# -- external executions: decision failures --------------------------------------------------------


def test_signal_unknown_external_execution_fails(domain: SWFDomain) -> None:
    execution, _ = domain.start_and_decide(
        [
            decision(
                "SignalExternalWorkflowExecution",
                workflowId="nobody",
                signalName="s",
                control="1",
            )
        ]
    )
    events = domain.history(execution)
    initiated = only(events, "SignalExternalWorkflowExecutionInitiated")
    failed = attrs(only(events, "SignalExternalWorkflowExecutionFailed"))
    assert failed["cause"] == "UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION"
    assert failed["workflowId"] == "nobody"
    assert failed["initiatedEventId"] == initiated["eventId"]
    assert failed["control"] == "1"
    assert events[-1]["eventType"] == "DecisionTaskScheduled"


def test_request_cancel_unknown_external_execution_fails(domain: SWFDomain) -> None:
    execution, _ = domain.start_and_decide(
        [decision("RequestCancelExternalWorkflowExecution", workflowId="nobody", control="2")]
    )
    events = domain.history(execution)
    initiated = only(events, "RequestCancelExternalWorkflowExecutionInitiated")
    failed = attrs(only(events, "RequestCancelExternalWorkflowExecutionFailed"))
    assert failed["cause"] == "UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION"
    assert failed["initiatedEventId"] == initiated["eventId"]
    assert failed["control"] == "2"
    assert events[-1]["eventType"] == "DecisionTaskScheduled"


def test_deprecated_type_and_unknown_domain_do_not_leak_between_domains(swf: Any) -> None:
    # The same type name in two domains is two types: deprecating one leaves the other.
    first, second = new_domain(swf), new_domain(swf)
    swf.deprecate_activity_type(domain=first.name, activityType=first.activity_type)
    execution, _ = second.start_and_decide([schedule_activity(second.activity_type, "a")])
    assert "ActivityTaskScheduled" in event_types(second.history(execution))


def test_continue_as_new_with_deprecated_type_fails(domain: SWFDomain) -> None:
    execution = domain.start()
    task = domain.expect_decision()
    domain.client.deprecate_workflow_type(domain=domain.name, workflowType=domain.workflow_type)
    domain.decide(task, [decision("ContinueAsNewWorkflowExecution")])
    events = domain.history(execution)
    assert attrs(only(events, "ContinueAsNewWorkflowExecutionFailed")) == {
        "cause": "WORKFLOW_TYPE_DEPRECATED",
        "decisionTaskCompletedEventId": _completed_id(events),
    }
    # A running execution of a deprecated type carries on.
    assert domain.describe(execution)["executionInfo"]["executionStatus"] == "OPEN"
    assert events[-1]["eventType"] == "DecisionTaskScheduled"


@pytest.mark.parametrize(
    ("omitted", "cause"),
    [
        ("executionStartToCloseTimeout", "DEFAULT_EXECUTION_START_TO_CLOSE_TIMEOUT_UNDEFINED"),
        ("taskStartToCloseTimeout", "DEFAULT_TASK_START_TO_CLOSE_TIMEOUT_UNDEFINED"),
    ],
)
def test_continue_as_new_without_value_or_default(
    domain: SWFDomain, omitted: str, cause: str
) -> None:
    bare = domain.register_workflow_type()
    given: dict[str, Any] = {
        "taskList": {"name": "bare-list"},
        "executionStartToCloseTimeout": "100",
        "taskStartToCloseTimeout": "10",
        "childPolicy": "TERMINATE",
    }
    execution = domain.start(workflow_type=bare, **given)
    task = domain.expect_decision("bare-list")
    del given[omitted]
    domain.decide(task, [decision("ContinueAsNewWorkflowExecution", **given)])
    events = domain.history(execution)
    assert attrs(only(events, "ContinueAsNewWorkflowExecutionFailed"))["cause"] == cause
    assert domain.describe(execution)["executionInfo"]["executionStatus"] == "OPEN"


def test_decision_for_a_terminated_run_is_unknown_resource(domain: SWFDomain) -> None:
    execution = domain.start()
    task = domain.expect_decision()
    domain.client.terminate_workflow_execution(domain=domain.name, **execution)
    with pytest.raises(ClientError) as err:
        domain.decide(task, [complete_workflow("too late")])
    assert error_code(err.value) == "UnknownResourceFault"
    assert domain.history(execution)[-1]["eventType"] == "WorkflowExecutionTerminated"


@pytest.mark.parametrize("news", ["activity_completed", "timer_fired", "cancel_requested"])
def test_any_new_event_during_the_decision_blocks_the_close(
    swf_server: ServerProcess, domain: SWFDomain, news: str
) -> None:
    execution, _ = domain.start_and_decide(
        [schedule_activity(domain.activity_type, "a1"), start_timer("t1", 50)]
    )
    activity = domain.expect_activity()
    domain.client.signal_workflow_execution(domain=domain.name, **execution, signalName="wake")
    task = domain.expect_decision()
    if news == "activity_completed":
        domain.client.respond_activity_task_completed(taskToken=activity["taskToken"])
    elif news == "timer_fired":
        swf_server.advance_clock(51)
    else:
        domain.client.request_cancel_workflow_execution(domain=domain.name, **execution)
    domain.decide(task, [complete_workflow("premature")])
    events = domain.history(execution)
    assert attrs(only(events, "CompleteWorkflowExecutionFailed"))["cause"] == "UNHANDLED_DECISION"
    assert domain.describe(execution)["executionInfo"]["executionStatus"] == "OPEN"
    assert domain.expect_decision().execution == execution
