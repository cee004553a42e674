"""The decision-task state machine and every decision type with its failure events."""

from __future__ import annotations

from typing import Any

import pytest
from engine_support import Driver, attrs, complete, last, schedule_activity, start_timer

from botoflowx.server._faults import (
    DefaultUndefinedFault,
    TypeDeprecatedFault,
    UnknownResourceFault,
    ValidationException,
    WorkflowExecutionAlreadyStartedFault,
)


def test_full_cycle_and_previous_started_event_id(swf: Driver) -> None:
    execution = swf.start(input="in", tagList=["t1"])
    task = swf.poll_decision()
    assert task["previousStartedEventId"] == 0
    assert task["startedEventId"] == 3
    assert task["workflowExecution"] == execution
    started = attrs(task["events"][0])
    assert started["input"] == "in" and started["tagList"] == ["t1"]
    assert started["parentInitiatedEventId"] == 0
    swf.decide(task, schedule_activity("1", input="ai"), executionContext="ctx")
    activity = swf.poll_activity()
    assert activity["activityId"] == "1" and activity["input"] == "ai"
    assert activity["workflowExecution"] == execution
    swf("RespondActivityTaskCompleted", taskToken=activity["taskToken"], result="r")
    task = swf.poll_decision()
    assert task["previousStartedEventId"] == 3
    swf.decide(task, complete("done"))
    assert swf.types(execution) == [
        "WorkflowExecutionStarted",
        "DecisionTaskScheduled",
        "DecisionTaskStarted",
        "DecisionTaskCompleted",
        "ActivityTaskScheduled",
        "ActivityTaskStarted",
        "ActivityTaskCompleted",
        "DecisionTaskScheduled",
        "DecisionTaskStarted",
        "DecisionTaskCompleted",
        "WorkflowExecutionCompleted",
    ]
    events = swf.history(execution)
    scheduled = attrs(events[4])
    # The resolved options are recorded, not just the ones the decision gave.
    assert scheduled["taskList"] == {"name": "activities"}
    assert scheduled["heartbeatTimeout"] == "NONE"
    assert scheduled["taskPriority"] == "0"
    assert attrs(events[3])["executionContext"] == "ctx"
    assert swf.describe(execution)["executionInfo"]["closeStatus"] == "COMPLETED"
    # A used token is gone.
    with pytest.raises(UnknownResourceFault):
        swf.decide(task)
    with pytest.raises(UnknownResourceFault):
        swf("RespondActivityTaskCompleted", taskToken=activity["taskToken"])


def test_start_faults(swf: Driver) -> None:
    execution = swf.start("dup")
    with pytest.raises(WorkflowExecutionAlreadyStartedFault):
        swf.start("dup")
    swf.op("TerminateWorkflowExecution", workflowId="dup")
    swf.start("dup")  # re-use after close is allowed
    assert swf.describe(execution)["executionInfo"]["closeStatus"] == "TERMINATED"
    swf.register_workflow("bare", defaultTaskList=None)
    with pytest.raises(DefaultUndefinedFault, match="task list"):
        swf.start(name="bare")
    swf.start(name="bare", taskList={"name": "x"})
    with pytest.raises(ValidationException, match="executionStartToCloseTimeout"):
        swf.start(executionStartToCloseTimeout="NONE")
    with pytest.raises(ValidationException, match="tagList"):
        swf.start(tagList=["a", "b", "c", "d", "e", "f"])
    swf.op("DeprecateWorkflowType", workflowType={"name": "bare", "version": "1"})
    with pytest.raises(TypeDeprecatedFault):
        swf.start(name="bare", taskList={"name": "x"})
    with pytest.raises(UnknownResourceFault):
        swf.start(name="missing")


def test_one_outstanding_task_and_batching(swf: Driver) -> None:
    execution = swf.start()
    # Signals while the first task is scheduled ride on that task.
    swf.op("SignalWorkflowExecution", workflowId=execution["workflowId"], signalName="s1")
    assert swf.op("CountPendingDecisionTasks", taskList={"name": "decisions"})["count"] == 1
    task = swf.poll_decision()
    assert [e["eventType"] for e in task["events"]][-2:] == [
        "WorkflowExecutionSignaled",
        "DecisionTaskStarted",
    ]
    # Signals while it is started queue exactly one follow-up, written after completion.
    swf.op(
        "SignalWorkflowExecution", workflowId=execution["workflowId"], signalName="s2", input="x"
    )
    swf.op("SignalWorkflowExecution", workflowId=execution["workflowId"], signalName="s3")
    assert swf.describe(execution)["openCounts"]["openDecisionTasks"] == 1
    assert swf.op("CountPendingDecisionTasks", taskList={"name": "decisions"})["count"] == 0
    swf.decide(task)
    assert swf.types(execution)[-4:] == [
        "WorkflowExecutionSignaled",
        "WorkflowExecutionSignaled",
        "DecisionTaskCompleted",
        "DecisionTaskScheduled",
    ]
    assert swf.op("CountPendingDecisionTasks", taskList={"name": "decisions"})["count"] == 1
    task = swf.poll_decision()
    swf.decide(task)
    # Nothing new happened: no further task.
    assert swf.describe(execution)["openCounts"]["openDecisionTasks"] == 0
    assert swf.poll_decision() == {"previousStartedEventId": 0, "startedEventId": 0}


def test_unhandled_decision_keeps_the_run_open(swf: Driver) -> None:
    execution = swf.start()
    task = swf.poll_decision()
    swf.op("SignalWorkflowExecution", workflowId=execution["workflowId"], signalName="late")
    swf.decide(task, complete("x"))
    events = swf.history(execution)
    failed = last(events, "CompleteWorkflowExecutionFailed")
    assert attrs(failed) == {
        "cause": "UNHANDLED_DECISION",
        "decisionTaskCompletedEventId": failed["eventId"] - 1,
    }
    assert events[-1]["eventType"] == "DecisionTaskScheduled"
    assert swf.describe(execution)["executionInfo"]["executionStatus"] == "OPEN"
    task = swf.poll_decision()
    swf.decide(task, complete("x"))
    assert swf.types(execution)[-1] == "WorkflowExecutionCompleted"


def test_malformed_batch_applies_nothing_and_task_stays_started(swf: Driver) -> None:
    execution = swf.start()
    task = swf.poll_decision()
    before = swf.types(execution)
    bad_timer = {
        "decisionType": "StartTimer",
        "startTimerDecisionAttributes": {"timerId": "t", "startToFireTimeout": "soon"},
    }
    with pytest.raises(ValidationException) as info:
        swf.decide(task, schedule_activity("1"), bad_timer)
    assert (
        "Value 'soon' at 'decisions.2.member.startTimerDecisionAttributes.startToFireTimeout'"
    ) in info.value.message
    with pytest.raises(ValidationException, match="Close must be last decision in list"):
        swf.decide(task, complete(), schedule_activity("1"))
    with pytest.raises(ValidationException, match="scheduleActivityTaskDecisionAttributes"):
        swf.decide(task, {"decisionType": "ScheduleActivityTask"})
    assert swf.types(execution) == before
    swf.decide(task, schedule_activity("1"))  # the same token still works
    assert swf.types(execution)[-1] == "ActivityTaskScheduled"


def _failed_event(swf: Driver, *decisions: dict[str, Any]) -> dict[str, Any]:
    execution = swf.start()
    task_list = f"own-{execution['workflowId']}"
    swf.op("TerminateWorkflowExecution", workflowId=execution["workflowId"])
    execution = swf.start(taskList={"name": task_list})
    task = swf.poll_decision(task_list)
    swf.decide(task, *decisions)
    events = swf.history(execution)
    # Every failure schedules a new decision task so the decider sees it.
    assert events[-1]["eventType"] == "DecisionTaskScheduled"
    return events[-2]


@pytest.mark.parametrize(
    ("decision", "event_type", "cause"),
    [
        (
            schedule_activity("1", name="nope"),
            "ScheduleActivityTaskFailed",
            "ACTIVITY_TYPE_DOES_NOT_EXIST",
        ),
        (
            {"decisionType": "CancelTimer", "cancelTimerDecisionAttributes": {"timerId": "t"}},
            "CancelTimerFailed",
            "TIMER_ID_UNKNOWN",
        ),
        (
            {
                "decisionType": "RequestCancelActivityTask",
                "requestCancelActivityTaskDecisionAttributes": {"activityId": "zz"},
            },
            "RequestCancelActivityTaskFailed",
            "ACTIVITY_ID_UNKNOWN",
        ),
        (
            {
                "decisionType": "SignalExternalWorkflowExecution",
                "signalExternalWorkflowExecutionDecisionAttributes": {
                    "workflowId": "ghost",
                    "signalName": "s",
                },
            },
            "SignalExternalWorkflowExecutionFailed",
            "UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION",
        ),
        (
            {
                "decisionType": "RequestCancelExternalWorkflowExecution",
                "requestCancelExternalWorkflowExecutionDecisionAttributes": {"workflowId": "ghost"},
            },
            "RequestCancelExternalWorkflowExecutionFailed",
            "UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION",
        ),
        (
            {
                "decisionType": "ScheduleLambdaFunction",
                "scheduleLambdaFunctionDecisionAttributes": {"id": "l", "name": "fn"},
            },
            "ScheduleLambdaFunctionFailed",
            "LAMBDA_SERVICE_NOT_AVAILABLE_IN_REGION",
        ),
        (
            {
                "decisionType": "StartChildWorkflowExecution",
                "startChildWorkflowExecutionDecisionAttributes": {
                    "workflowType": {"name": "nope", "version": "1"},
                    "workflowId": "c",
                },
            },
            "StartChildWorkflowExecutionFailed",
            "WORKFLOW_TYPE_DOES_NOT_EXIST",
        ),
    ],
)
def test_decision_failures(
    swf: Driver, decision: dict[str, Any], event_type: str, cause: str
) -> None:
    event = _failed_event(swf, decision)
    assert event["eventType"] == event_type
    assert attrs(event)["cause"] == cause
    # Started(1), Scheduled(2), Started(3), Completed(4).
    assert attrs(event)["decisionTaskCompletedEventId"] == 4


def test_activity_defaults_undefined_and_deprecated(swf: Driver) -> None:
    swf.register_activity("bare", defaultTaskHeartbeatTimeout=None)
    event = _failed_event(swf, schedule_activity("1", name="bare"))
    assert attrs(event)["cause"] == "DEFAULT_HEARTBEAT_TIMEOUT_UNDEFINED"
    swf.op("DeprecateActivityType", activityType={"name": "bare", "version": "1"})
    event = _failed_event(swf, schedule_activity("1", name="bare", heartbeatTimeout="5"))
    assert attrs(event)["cause"] == "ACTIVITY_TYPE_DEPRECATED"


def test_id_already_in_use(swf: Driver) -> None:
    execution = swf.start()
    task = swf.poll_decision()
    swf.decide(
        task,
        schedule_activity("1"),
        schedule_activity("1"),
        start_timer("t", "100"),
        start_timer("t", "100"),
    )
    events = swf.history(execution)
    assert attrs(last(events, "ScheduleActivityTaskFailed"))["cause"] == (
        "ACTIVITY_ID_ALREADY_IN_USE"
    )
    assert attrs(last(events, "StartTimerFailed"))["cause"] == "TIMER_ID_ALREADY_IN_USE"
    counts = swf.describe(execution)["openCounts"]
    assert counts["openActivityTasks"] == 1 and counts["openTimers"] == 1


def test_open_timers_limit(swf: Driver) -> None:
    execution = swf.start()
    task = swf.poll_decision()
    swf.decide(task, *[start_timer(str(i), "1000") for i in range(1000)])
    task = swf.poll_decision()  # timers do not schedule tasks; a 0 s timer would
    assert task["startedEventId"] == 0
    swf.op("SignalWorkflowExecution", workflowId=execution["workflowId"], signalName="go")
    task = swf.poll_decision()
    swf.decide(task, start_timer("extra", "1"))
    events = swf.history(execution)
    assert attrs(last(events, "StartTimerFailed"))["cause"] == "OPEN_TIMERS_LIMIT_EXCEEDED"


def test_timers_fire_and_cancel(swf: Driver) -> None:
    execution = swf.start()
    task = swf.poll_decision()
    swf.decide(
        task, start_timer("zero", "0"), start_timer("hour", "600"), start_timer("gone", "10")
    )
    swf.advance(0)
    task = swf.poll_decision()
    assert [e["eventType"] for e in task["events"]][-3:] == [
        "TimerFired",
        "DecisionTaskScheduled",
        "DecisionTaskStarted",
    ]
    swf.decide(
        task, {"decisionType": "CancelTimer", "cancelTimerDecisionAttributes": {"timerId": "gone"}}
    )
    canceled = last(swf.history(execution), "TimerCanceled")
    assert attrs(canceled)["timerId"] == "gone"
    swf.advance(599)
    assert swf.types(execution)[-1] == "TimerCanceled"  # not yet due
    swf.advance(1)
    events = swf.history(execution)
    fired = [attrs(e)["timerId"] for e in events if e["eventType"] == "TimerFired"]
    assert fired == ["zero", "hour"]
    assert attrs(last(events, "TimerFired"))["startedEventId"] == next(
        e["eventId"]
        for e in events
        if e["eventType"] == "TimerStarted" and attrs(e)["timerId"] == "hour"
    )


def test_request_cancel_activity(swf: Driver) -> None:
    execution = swf.start()
    task = swf.poll_decision()
    swf.decide(task, schedule_activity("queued"), schedule_activity("running"))
    activity = swf.poll_activity()
    assert activity["activityId"] == "queued"
    activity = swf.poll_activity()
    assert activity["activityId"] == "running"
    swf.op("SignalWorkflowExecution", workflowId=execution["workflowId"], signalName="s")
    task = swf.poll_decision()
    cancel = [
        {
            "decisionType": "RequestCancelActivityTask",
            "requestCancelActivityTaskDecisionAttributes": {"activityId": a},
        }
        for a in ("running",)
    ]
    swf.decide(task, *cancel)
    assert swf("RecordActivityTaskHeartbeat", taskToken=activity["taskToken"]) == {
        "cancelRequested": True
    }
    swf("RespondActivityTaskCanceled", taskToken=activity["taskToken"], details="bye")
    events = swf.history(execution)
    requested = last(events, "ActivityTaskCancelRequested")
    canceled = attrs(last(events, "ActivityTaskCanceled"))
    assert canceled["details"] == "bye"
    assert canceled["latestCancelRequestedEventId"] == requested["eventId"]


def test_request_cancel_of_unstarted_activity_cancels_at_once(swf: Driver) -> None:
    execution = swf.start()
    task = swf.poll_decision()
    swf.decide(
        task,
        schedule_activity("1"),
        {
            "decisionType": "RequestCancelActivityTask",
            "requestCancelActivityTaskDecisionAttributes": {"activityId": "1"},
        },
    )
    events = swf.history(execution)
    assert [e["eventType"] for e in events][-4:] == [
        "ActivityTaskScheduled",
        "ActivityTaskCancelRequested",
        "ActivityTaskCanceled",
        "DecisionTaskScheduled",
    ]
    assert attrs(events[-2])["startedEventId"] == 0
    assert swf.poll_activity() == {"startedEventId": 0}


def test_markers_signals_and_cancel_between_executions(swf: Driver) -> None:
    target = swf.start("target")
    source = swf.start("source")
    swf.decide(swf.poll_decision())  # target's first task
    task = swf.poll_decision()
    assert task["workflowExecution"] == source
    swf.decide(
        task,
        {
            "decisionType": "RecordMarker",
            "recordMarkerDecisionAttributes": {"markerName": "m", "details": "d"},
        },
        {
            "decisionType": "SignalExternalWorkflowExecution",
            "signalExternalWorkflowExecutionDecisionAttributes": {
                "workflowId": "target",
                "signalName": "hello",
                "input": "hi",
                "control": "1",
            },
        },
        {
            "decisionType": "RequestCancelExternalWorkflowExecution",
            "requestCancelExternalWorkflowExecutionDecisionAttributes": {
                "workflowId": "target",
                "runId": target["runId"],
            },
        },
    )
    src = swf.history(source)
    assert attrs(last(src, "MarkerRecorded")) == {
        "markerName": "m",
        "details": "d",
        "decisionTaskCompletedEventId": 4,
    }
    initiated = last(src, "SignalExternalWorkflowExecutionInitiated")
    assert attrs(last(src, "ExternalWorkflowExecutionSignaled")) == {
        "workflowExecution": target,
        "initiatedEventId": initiated["eventId"],
    }
    cancel_initiated = last(src, "RequestCancelExternalWorkflowExecutionInitiated")
    assert (
        attrs(last(src, "ExternalWorkflowExecutionCancelRequested"))["initiatedEventId"]
        == cancel_initiated["eventId"]
    )
    tgt = swf.history(target)
    assert attrs(last(tgt, "WorkflowExecutionSignaled")) == {
        "signalName": "hello",
        "input": "hi",
        "externalWorkflowExecution": source,
        "externalInitiatedEventId": initiated["eventId"],
    }
    assert attrs(last(tgt, "WorkflowExecutionCancelRequested")) == {
        "externalWorkflowExecution": source,
        "externalInitiatedEventId": cancel_initiated["eventId"],
    }
    assert swf.describe(target)["executionInfo"]["cancelRequested"] is True
    task = swf.poll_decision()
    assert task["workflowExecution"] == target
    swf.decide(
        task,
        {
            "decisionType": "CancelWorkflowExecution",
            "cancelWorkflowExecutionDecisionAttributes": {"details": "ok"},
        },
    )
    assert swf.describe(target)["executionInfo"]["closeStatus"] == "CANCELED"


def test_closed_run_rejects_signal_cancel_terminate(swf: Driver) -> None:
    execution = swf.start()
    swf.op("TerminateWorkflowExecution", workflowId=execution["workflowId"], reason="r")
    for op, extra in (
        ("SignalWorkflowExecution", {"signalName": "s"}),
        ("RequestCancelWorkflowExecution", {}),
        ("TerminateWorkflowExecution", {}),
    ):
        with pytest.raises(UnknownResourceFault):
            swf.op(op, workflowId=execution["workflowId"], runId=execution["runId"], **extra)
    terminated = attrs(swf.history(execution)[-1])
    # An operator's termination carries no cause (that is for automatic ones).
    assert terminated == {"reason": "r", "childPolicy": "TERMINATE"}
    # Its decision task is gone.
    assert swf.poll_decision()["startedEventId"] == 0
