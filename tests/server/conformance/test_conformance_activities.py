"""Conformance: activity tasks from schedule to completion, failure and cancellation."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from helpers.swf import (
    SWFDomain,
    attrs,
    decision,
    error_code,
    event_types,
    events_of,
    only,
    schedule_activity,
)


def _scheduled(domain: SWFDomain, *activity_ids: str, **kw: Any) -> dict[str, str]:
    execution, _ = domain.start_and_decide(
        [schedule_activity(domain.activity_type, a, input=f"in-{a}", **kw) for a in activity_ids]
    )
    return execution


def _pending_activities(domain: SWFDomain) -> int:
    return int(
        domain.client.count_pending_activity_tasks(
            domain=domain.name, taskList={"name": domain.activity_task_list}
        )["count"]
    )


def test_activity_task_poll_and_complete(domain: SWFDomain) -> None:
    execution = _scheduled(domain, "a1")
    assert _pending_activities(domain) == 1
    task = domain.expect_activity()
    assert _pending_activities(domain) == 0
    assert task["activityId"] == "a1"
    assert task["activityType"] == domain.activity_type
    assert task["workflowExecution"] == execution
    assert task["input"] == "in-a1"

    events = domain.history(execution)
    scheduled = only(events, "ActivityTaskScheduled")
    started = only(events, "ActivityTaskStarted")
    assert task["startedEventId"] == started["eventId"]
    assert attrs(started) == {
        "identity": "conformance-worker",
        "scheduledEventId": scheduled["eventId"],
    }
    # Starting an activity is no news for the decider.
    assert events[-1]["eventType"] == "ActivityTaskStarted"
    assert domain.describe(execution)["openCounts"]["openActivityTasks"] == 1

    domain.client.respond_activity_task_completed(taskToken=task["taskToken"], result="done")
    events = domain.history(execution)
    completed = only(events, "ActivityTaskCompleted")
    assert attrs(completed) == {
        "result": "done",
        "scheduledEventId": scheduled["eventId"],
        "startedEventId": started["eventId"],
    }
    assert events[-1]["eventType"] == "DecisionTaskScheduled"
    assert domain.describe(execution)["openCounts"]["openActivityTasks"] == 0
    decision_task = domain.expect_decision()
    assert "ActivityTaskCompleted" in event_types(decision_task.events)


def test_activity_task_fail(domain: SWFDomain) -> None:
    execution = _scheduled(domain, "a1")
    task = domain.expect_activity()
    domain.client.respond_activity_task_failed(
        taskToken=task["taskToken"], reason="KeyError: 'x'", details="traceback"
    )
    events = domain.history(execution)
    failed = only(events, "ActivityTaskFailed")
    assert attrs(failed) == {
        "reason": "KeyError: 'x'",
        "details": "traceback",
        "scheduledEventId": only(events, "ActivityTaskScheduled")["eventId"],
        "startedEventId": task["startedEventId"],
    }
    assert events[-1]["eventType"] == "DecisionTaskScheduled"


def test_heartbeat_writes_no_event(domain: SWFDomain) -> None:
    execution = _scheduled(domain, "a1")
    task = domain.expect_activity()
    before = domain.history(execution)
    status = domain.client.record_activity_task_heartbeat(
        taskToken=task["taskToken"], details="50%"
    )
    assert status["cancelRequested"] is False
    domain.client.record_activity_task_heartbeat(taskToken=task["taskToken"])
    assert domain.history(execution) == before


def test_cancel_of_unstarted_activity_is_immediate(domain: SWFDomain) -> None:
    execution = _scheduled(domain, "a1")
    domain.client.signal_workflow_execution(domain=domain.name, **execution, signalName="stop")
    task = domain.expect_decision()
    domain.decide(task, [decision("RequestCancelActivityTask", activityId="a1")])
    events = domain.history(execution)
    requested = only(events, "ActivityTaskCancelRequested")
    assert attrs(requested) == {
        "activityId": "a1",
        "decisionTaskCompletedEventId": events_of(events, "DecisionTaskCompleted")[-1]["eventId"],
    }
    canceled = only(events, "ActivityTaskCanceled")
    assert canceled["eventId"] > requested["eventId"]
    assert attrs(canceled)["scheduledEventId"] == only(events, "ActivityTaskScheduled")["eventId"]
    assert attrs(canceled)["startedEventId"] == 0
    assert attrs(canceled)["latestCancelRequestedEventId"] == requested["eventId"]
    assert events[-1]["eventType"] == "DecisionTaskScheduled"
    assert domain.poll_activity() is None, "a canceled task is never handed out"
    assert domain.describe(execution)["openCounts"]["openActivityTasks"] == 0


def test_cancel_of_started_activity_goes_through_heartbeat(domain: SWFDomain) -> None:
    execution = _scheduled(domain, "a1")
    activity = domain.expect_activity()
    domain.client.signal_workflow_execution(domain=domain.name, **execution, signalName="stop")
    task = domain.expect_decision()
    domain.decide(task, [decision("RequestCancelActivityTask", activityId="a1")])
    events = domain.history(execution)
    requested = only(events, "ActivityTaskCancelRequested")
    assert "ActivityTaskCanceled" not in event_types(events)
    assert events[-1]["eventType"] == "ActivityTaskCancelRequested"

    status = domain.client.record_activity_task_heartbeat(taskToken=activity["taskToken"])
    assert status["cancelRequested"] is True
    domain.client.respond_activity_task_canceled(taskToken=activity["taskToken"], details="undone")
    events = domain.history(execution)
    canceled = only(events, "ActivityTaskCanceled")
    assert attrs(canceled) == {
        "details": "undone",
        "scheduledEventId": only(events, "ActivityTaskScheduled")["eventId"],
        "startedEventId": activity["startedEventId"],
        "latestCancelRequestedEventId": requested["eventId"],
    }
    assert events[-1]["eventType"] == "DecisionTaskScheduled"


def test_worker_may_complete_despite_cancel_request(domain: SWFDomain) -> None:
    execution = _scheduled(domain, "a1")
    activity = domain.expect_activity()
    domain.client.signal_workflow_execution(domain=domain.name, **execution, signalName="stop")
    domain.decide(
        domain.expect_decision(), [decision("RequestCancelActivityTask", activityId="a1")]
    )
    domain.client.respond_activity_task_completed(taskToken=activity["taskToken"], result="r")
    events = domain.history(execution)
    assert "ActivityTaskCompleted" in event_types(events)
    assert "ActivityTaskCanceled" not in event_types(events)


@pytest.mark.parametrize(
    "respond",
    [
        lambda swf, token: swf.respond_activity_task_completed(taskToken=token, result="again"),
        lambda swf, token: swf.respond_activity_task_failed(taskToken=token, reason="again"),
        lambda swf, token: swf.respond_activity_task_canceled(taskToken=token),
        lambda swf, token: swf.record_activity_task_heartbeat(taskToken=token),
    ],
    ids=["completed", "failed", "canceled", "heartbeat"],
)
def test_responses_for_a_closed_activity_task_are_unknown_resource(
    domain: SWFDomain, respond: Any
) -> None:
    execution = _scheduled(domain, "a1")
    task = domain.expect_activity()
    domain.client.respond_activity_task_completed(taskToken=task["taskToken"], result="first")
    with pytest.raises(ClientError) as err:
        respond(domain.client, task["taskToken"])
    assert error_code(err.value) == "UnknownResourceFault"
    assert len(events_of(domain.history(execution), "ActivityTaskCompleted")) == 1


def test_activity_tasks_of_a_closed_run_are_unusable(domain: SWFDomain) -> None:
    execution = _scheduled(domain, "started", "waiting")
    started = domain.expect_activity()
    domain.client.terminate_workflow_execution(domain=domain.name, **execution)
    assert domain.poll_activity() is None, "the unstarted task died with the run"
    with pytest.raises(ClientError) as err:
        domain.client.record_activity_task_heartbeat(taskToken=started["taskToken"])
    assert error_code(err.value) == "UnknownResourceFault"
    with pytest.raises(ClientError) as err:
        domain.client.respond_activity_task_completed(taskToken=started["taskToken"])
    assert error_code(err.value) == "UnknownResourceFault"
    assert domain.history(execution)[-1]["eventType"] == "WorkflowExecutionTerminated"


def test_decision_token_is_single_use(domain: SWFDomain) -> None:
    domain.start()
    task = domain.expect_decision()
    domain.decide(task, [])
    with pytest.raises(ClientError) as err:
        domain.decide(task, [])
    assert error_code(err.value) == "UnknownResourceFault"


def test_activity_tasks_are_routed_by_task_list(domain: SWFDomain) -> None:
    execution, _ = domain.start_and_decide(
        [
            schedule_activity(domain.activity_type, "default-list"),
            schedule_activity(domain.activity_type, "special", taskList={"name": "special"}),
        ]
    )
    special = domain.expect_activity("special")
    assert special["activityId"] == "special"
    assert domain.expect_activity()["activityId"] == "default-list"
    assert domain.poll_activity("special") is None
    assert len(events_of(domain.history(execution), "ActivityTaskStarted")) == 2


def test_higher_priority_activity_tasks_are_delivered_first(domain: SWFDomain) -> None:
    # SWF "will attempt to deliver higher-priority tasks on a task list before those with
    # lower priority"; with every task queued before the first poll there is no race.
    priorities = {"low": "-5", "default": None, "high": "10", "highest": "2147483647"}
    decisions = [
        schedule_activity(domain.activity_type, name, **({} if p is None else {"taskPriority": p}))
        for name, p in priorities.items()
    ]
    domain.start_and_decide(decisions)
    order = [domain.expect_activity()["activityId"] for _ in priorities]
    assert order == ["highest", "high", "default", "low"]
