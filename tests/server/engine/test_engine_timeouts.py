"""Every timeout kind, fired by the engine's scheduler at its due time."""

from __future__ import annotations

import time

import pytest
from engine_support import Driver, attrs, last, schedule_activity

from botoflowx.server._faults import UnknownResourceFault, ValidationException


def _run_with_activity(swf: Driver, **timeouts: str) -> dict[str, str]:
    execution = swf.start()
    swf.decide(swf.poll_decision(), schedule_activity("1", **timeouts))
    return execution


def test_workflow_start_to_close(swf: Driver) -> None:
    execution = swf.start(executionStartToCloseTimeout="100")
    swf.advance(99)
    assert swf.describe(execution)["executionInfo"]["executionStatus"] == "OPEN"
    swf.advance(1)
    info = swf.describe(execution)["executionInfo"]
    assert info["closeStatus"] == "TIMED_OUT"
    assert attrs(swf.history(execution)[-1]) == {
        "timeoutType": "START_TO_CLOSE",
        "childPolicy": "TERMINATE",
    }
    assert swf.poll_decision()["startedEventId"] == 0


def test_timeout_fires_without_any_call(engine_real_time: Driver) -> None:
    """The scheduler thread fires on its own, at the due time, with no API call arriving."""
    swf = engine_real_time
    execution = swf.start()
    swf.decide(
        swf.poll_decision(),
        {
            "decisionType": "StartTimer",
            "startTimerDecisionAttributes": {"timerId": "t", "startToFireTimeout": "1"},
        },
    )
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        with swf.engine._store.lock:  # peek without an API call that could fire lazily
            fired = swf.engine._store.read().scalar(
                "SELECT COUNT(*) FROM events WHERE type = 'TimerFired'"
            )
        if fired:
            break
        time.sleep(0.02)
    assert fired == 1
    assert "TimerFired" in swf.types(execution)


def test_decision_start_to_close(swf: Driver) -> None:
    execution = swf.start(taskStartToCloseTimeout="10")
    task = swf.poll_decision()
    swf.advance(10)
    events = swf.history(execution)
    assert [e["eventType"] for e in events][-2:] == [
        "DecisionTaskTimedOut",
        "DecisionTaskScheduled",
    ]
    assert attrs(events[-2]) == {
        "timeoutType": "START_TO_CLOSE",
        "scheduledEventId": 2,
        "startedEventId": 3,
    }
    with pytest.raises(UnknownResourceFault):
        swf.decide(task)
    task = swf.poll_decision()
    # A timed-out task was not processed: previousStartedEventId stays at the last completed.
    assert task["previousStartedEventId"] == 0
    swf.decide(task)
    swf.op("SignalWorkflowExecution", workflowId=execution["workflowId"], signalName="s")
    assert swf.poll_decision()["previousStartedEventId"] == task["startedEventId"]


def test_activity_schedule_to_start(swf: Driver) -> None:
    execution = _run_with_activity(swf, scheduleToStartTimeout="5")
    swf.advance(5)
    events = swf.history(execution)
    timed_out = last(events, "ActivityTaskTimedOut")
    assert attrs(timed_out) == {
        "timeoutType": "SCHEDULE_TO_START",
        "scheduledEventId": 5,
        "startedEventId": 0,
    }
    assert events[-1]["eventType"] == "DecisionTaskScheduled"
    assert swf.poll_activity() == {"startedEventId": 0}


def test_activity_schedule_to_close_counts_from_scheduling(swf: Driver) -> None:
    execution = _run_with_activity(swf, scheduleToCloseTimeout="20")
    swf.advance(15)
    task = swf.poll_activity()
    swf.advance(5)
    assert attrs(last(swf.history(execution), "ActivityTaskTimedOut")) == {
        "timeoutType": "SCHEDULE_TO_CLOSE",
        "scheduledEventId": 5,
        "startedEventId": 6,
    }
    with pytest.raises(UnknownResourceFault):
        swf("RespondActivityTaskCompleted", taskToken=task["taskToken"])


def test_activity_start_to_close_counts_from_start(swf: Driver) -> None:
    execution = _run_with_activity(swf, startToCloseTimeout="20")
    swf.advance(100)  # waiting in the queue does not count
    task = swf.poll_activity()
    swf.advance(19)
    swf("RecordActivityTaskHeartbeat", taskToken=task["taskToken"])  # heartbeats do not help
    swf.advance(1)
    assert attrs(last(swf.history(execution), "ActivityTaskTimedOut"))["timeoutType"] == (
        "START_TO_CLOSE"
    )
    with pytest.raises(UnknownResourceFault):
        swf("RecordActivityTaskHeartbeat", taskToken=task["taskToken"])


def test_activity_heartbeat(swf: Driver) -> None:
    execution = _run_with_activity(swf, heartbeatTimeout="10")
    swf.advance(50)  # the heartbeat clock starts when the task starts, not when scheduled
    assert "ActivityTaskTimedOut" not in swf.types(execution)
    task = swf.poll_activity()
    for _ in range(3):
        swf.advance(9)
        assert swf(
            "RecordActivityTaskHeartbeat", taskToken=task["taskToken"], details="progress"
        ) == {"cancelRequested": False}
    assert "ActivityTaskTimedOut" not in swf.types(execution)
    swf.advance(10)
    timed_out = attrs(last(swf.history(execution), "ActivityTaskTimedOut"))
    assert timed_out == {
        "timeoutType": "HEARTBEAT",
        "scheduledEventId": 5,
        "startedEventId": 6,
        "details": "progress",
    }
    with pytest.raises(UnknownResourceFault):
        swf("RespondActivityTaskFailed", taskToken=task["taskToken"])


def test_closing_the_run_retires_its_tasks(swf: Driver) -> None:
    execution = _run_with_activity(swf, heartbeatTimeout="10")
    task = swf.poll_activity()
    swf.op("TerminateWorkflowExecution", workflowId=execution["workflowId"])
    with pytest.raises(UnknownResourceFault):
        swf("RecordActivityTaskHeartbeat", taskToken=task["taskToken"])
    swf.advance(100)
    assert swf.types(execution)[-1] == "WorkflowExecutionTerminated"


@pytest.fixture
def engine_real_time() -> Driver:
    # Imported lazily: a real-time engine so the scheduler must fire by itself.
    from botoflowx.server._engine import Engine

    engine = Engine(":memory:", long_poll_seconds=0.05)
    engine.start()
    driver = Driver(engine, "rt")
    driver("RegisterDomain", name="rt", workflowExecutionRetentionPeriodInDays="1")
    driver.register_workflow()
    yield driver  # type: ignore[misc]
    engine.close()


def test_heartbeat_details_limit(swf: Driver) -> None:
    _run_with_activity(swf)
    task = swf.poll_activity()
    with pytest.raises(ValidationException, match="details"):
        swf("RecordActivityTaskHeartbeat", taskToken=task["taskToken"], details="x" * 2049)
    swf("RecordActivityTaskHeartbeat", taskToken=task["taskToken"], details="x" * 2048)
