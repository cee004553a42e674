"""Conformance: every SWF timeout kind, fired by the server's scheduler on the test clock."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from helpers.server import ServerProcess
from helpers.swf import (
    SWFDomain,
    attrs,
    error_code,
    event_types,
    events_of,
    only,
    schedule_activity,
    start_timer,
)


def _schedule(domain: SWFDomain, **timeouts: str) -> dict[str, str]:
    execution, _ = domain.start_and_decide(
        [schedule_activity(domain.activity_type, "a1", **timeouts)]
    )
    return execution


def _assert_follow_up_decision(domain: SWFDomain, execution: dict[str, str], event: str) -> None:
    events = domain.history(execution)
    assert events[-1]["eventType"] == "DecisionTaskScheduled"
    task = domain.expect_decision()
    assert task.execution == execution
    assert event in event_types(task.events)


def test_workflow_start_to_close(swf_server: ServerProcess, domain: SWFDomain) -> None:
    execution = domain.start(executionStartToCloseTimeout="40", childPolicy="ABANDON")
    task = domain.expect_decision()
    domain.decide(task, [start_timer("t", 1000)])
    swf_server.advance_clock(30)
    assert domain.describe(execution)["executionInfo"]["executionStatus"] == "OPEN"
    swf_server.advance_clock(11)
    events = domain.history(execution)
    assert events[-1]["eventType"] == "WorkflowExecutionTimedOut"
    assert attrs(events[-1]) == {"timeoutType": "START_TO_CLOSE", "childPolicy": "ABANDON"}
    info = domain.describe(execution)["executionInfo"]
    assert info["executionStatus"] == "CLOSED"
    assert info["closeStatus"] == "TIMED_OUT"
    assert info["closeTimestamp"] > info["startTimestamp"]
    # A closed run gets no decision task and its timers are gone.
    assert domain.poll_decision() is None
    swf_server.advance_clock(1000)
    assert domain.history(execution)[-1]["eventType"] == "WorkflowExecutionTimedOut"


def test_decision_start_to_close(swf_server: ServerProcess, domain: SWFDomain) -> None:
    execution = domain.start(taskStartToCloseTimeout="20")
    task = domain.expect_decision()
    swf_server.advance_clock(21)
    events = domain.history(execution)
    timed_out = only(events, "DecisionTaskTimedOut")
    assert attrs(timed_out) == {
        "timeoutType": "START_TO_CLOSE",
        "scheduledEventId": 2,
        "startedEventId": task.started_event_id,
    }
    assert events[-1]["eventType"] == "DecisionTaskScheduled"
    with pytest.raises(ClientError) as err:
        domain.decide(task, [])
    assert error_code(err.value) == "UnknownResourceFault"
    retry = domain.expect_decision()
    assert retry.execution == execution
    assert "DecisionTaskTimedOut" in event_types(retry.events)
    domain.decide(retry, [])


def test_decision_start_to_close_none_never_times_out(
    swf_server: ServerProcess, domain: SWFDomain
) -> None:
    execution = domain.start(taskStartToCloseTimeout="NONE")
    task = domain.expect_decision()
    swf_server.advance_clock(5000)
    assert "DecisionTaskTimedOut" not in event_types(domain.history(execution))
    domain.decide(task, [])


def test_decision_schedule_to_start_on_override_list(
    swf_server: ServerProcess, domain: SWFDomain
) -> None:
    execution = domain.start()
    domain.decide(
        domain.expect_decision(),
        [],
        taskList={"name": "nobody-polls"},
        taskListScheduleToStartTimeout="10",
    )
    domain.client.signal_workflow_execution(domain=domain.name, **execution, signalName="s")
    swf_server.advance_clock(11)
    events = domain.history(execution)
    timed_out = attrs(only(events, "DecisionTaskTimedOut"))
    assert timed_out["timeoutType"] == "SCHEDULE_TO_START"
    assert by_type_id(events, timed_out["scheduledEventId"]) == "DecisionTaskScheduled"
    _assert_follow_up_decision(domain, execution, "DecisionTaskTimedOut")


def by_type_id(events: list[dict[str, Any]], event_id: int) -> str:
    return next(e["eventType"] for e in events if e["eventId"] == event_id)


def test_activity_schedule_to_start(swf_server: ServerProcess, domain: SWFDomain) -> None:
    execution = _schedule(domain, scheduleToStartTimeout="10")
    swf_server.advance_clock(11)
    events = domain.history(execution)
    timed_out = only(events, "ActivityTaskTimedOut")
    assert attrs(timed_out) == {
        "timeoutType": "SCHEDULE_TO_START",
        "scheduledEventId": only(events, "ActivityTaskScheduled")["eventId"],
        "startedEventId": 0,
    }
    assert domain.poll_activity() is None, "a timed-out task is never handed out"
    _assert_follow_up_decision(domain, execution, "ActivityTaskTimedOut")


def test_activity_schedule_to_close(swf_server: ServerProcess, domain: SWFDomain) -> None:
    execution = _schedule(domain, scheduleToCloseTimeout="30")
    swf_server.advance_clock(20)
    task = domain.expect_activity()
    swf_server.advance_clock(11)
    events = domain.history(execution)
    assert attrs(only(events, "ActivityTaskTimedOut")) == {
        "timeoutType": "SCHEDULE_TO_CLOSE",
        "scheduledEventId": only(events, "ActivityTaskScheduled")["eventId"],
        "startedEventId": task["startedEventId"],
    }
    with pytest.raises(ClientError) as err:
        domain.client.respond_activity_task_completed(taskToken=task["taskToken"], result="late")
    assert error_code(err.value) == "UnknownResourceFault"
    _assert_follow_up_decision(domain, execution, "ActivityTaskTimedOut")


def test_activity_start_to_close(swf_server: ServerProcess, domain: SWFDomain) -> None:
    execution = _schedule(domain, startToCloseTimeout="15")
    swf_server.advance_clock(100)  # waiting in the queue does not count
    task = domain.expect_activity()
    domain.client.record_activity_task_heartbeat(taskToken=task["taskToken"], details="p1")
    swf_server.advance_clock(10)
    domain.client.record_activity_task_heartbeat(taskToken=task["taskToken"], details="p2")
    swf_server.advance_clock(6)
    events = domain.history(execution)
    assert attrs(only(events, "ActivityTaskTimedOut"))["timeoutType"] == "START_TO_CLOSE"
    # Heartbeats do not extend start-to-close, and the last details ride on the timeout.
    assert attrs(only(events, "ActivityTaskTimedOut"))["details"] == "p2"
    assert attrs(only(events, "ActivityTaskTimedOut"))["startedEventId"] == task["startedEventId"]
    with pytest.raises(ClientError) as err:
        domain.client.respond_activity_task_failed(taskToken=task["taskToken"], reason="late")
    assert error_code(err.value) == "UnknownResourceFault"
    _assert_follow_up_decision(domain, execution, "ActivityTaskTimedOut")


def test_activity_heartbeat_clock_starts_when_the_task_starts(
    swf_server: ServerProcess, domain: SWFDomain
) -> None:
    execution = _schedule(domain, heartbeatTimeout="10")
    swf_server.advance_clock(50)
    assert "ActivityTaskTimedOut" not in event_types(domain.history(execution))
    task = domain.expect_activity()
    swf_server.advance_clock(6)
    status = domain.client.record_activity_task_heartbeat(taskToken=task["taskToken"], details="d1")
    assert status["cancelRequested"] is False
    swf_server.advance_clock(6)
    domain.client.record_activity_task_heartbeat(taskToken=task["taskToken"], details="d2")
    swf_server.advance_clock(6)
    assert "ActivityTaskTimedOut" not in event_types(domain.history(execution))
    swf_server.advance_clock(5)
    events = domain.history(execution)
    assert attrs(only(events, "ActivityTaskTimedOut")) == {
        "timeoutType": "HEARTBEAT",
        "scheduledEventId": only(events, "ActivityTaskScheduled")["eventId"],
        "startedEventId": task["startedEventId"],
        "details": "d2",
    }
    with pytest.raises(ClientError) as err:
        domain.client.record_activity_task_heartbeat(taskToken=task["taskToken"])
    assert error_code(err.value) == "UnknownResourceFault"
    _assert_follow_up_decision(domain, execution, "ActivityTaskTimedOut")


def test_one_timeout_only_per_activity(swf_server: ServerProcess, domain: SWFDomain) -> None:
    execution = _schedule(
        domain, scheduleToStartTimeout="10", scheduleToCloseTimeout="10", heartbeatTimeout="5"
    )
    swf_server.advance_clock(60)
    events = domain.history(execution)
    assert len(events_of(events, "ActivityTaskTimedOut")) == 1
    assert events_of(events, "DecisionTaskScheduled")[-1]["eventId"] == events[-1]["eventId"]


def test_workflow_timeout_during_a_started_decision(
    swf_server: ServerProcess, domain: SWFDomain
) -> None:
    execution = domain.start(executionStartToCloseTimeout="20", taskStartToCloseTimeout="100")
    task = domain.expect_decision()
    swf_server.advance_clock(21)
    events = domain.history(execution)
    assert events[-1]["eventType"] == "WorkflowExecutionTimedOut"
    assert "DecisionTaskTimedOut" not in event_types(events)
    with pytest.raises(ClientError) as err:
        domain.decide(task, [])
    assert error_code(err.value) == "UnknownResourceFault"
    assert domain.history(execution) == events
