"""Long polls, racing pollers, priorities, the event limit and restart recovery."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from engine_support import Driver, attrs, schedule_activity, start_timer

from botoflowx.server._clock import TestClock
from botoflowx.server._engine import Engine
from botoflowx.server._faults import InternalFailure, LimitExceededFault, UnknownResourceFault
from botoflowx.server._limits import EVENT_LIMIT


def test_waiting_poll_returns_when_a_task_arrives(engine: Engine, swf: Driver) -> None:
    engine._long_poll_seconds = 5.0  # a long hold, to prove the poll is woken early
    result: dict = {}

    def poll() -> None:
        start = time.monotonic()
        result["task"] = swf.poll_activity()
        result["elapsed"] = time.monotonic() - start

    execution = swf.start()
    task = swf.poll_decision()
    poller = threading.Thread(target=poll)
    poller.start()
    time.sleep(0.1)
    swf.decide(task, schedule_activity("1"))
    poller.join(5)
    assert result["task"]["workflowExecution"] == execution
    assert result["elapsed"] < 1.0


def test_empty_polls_and_close_releases_waiters(engine: Engine, swf: Driver) -> None:
    assert swf.poll_decision() == {"previousStartedEventId": 0, "startedEventId": 0}
    assert swf.poll_activity() == {"startedEventId": 0}
    engine._long_poll_seconds = 30.0
    result: dict = {}
    poller = threading.Thread(target=lambda: result.setdefault("r", swf.poll_activity()))
    poller.start()
    time.sleep(0.1)
    engine.close()
    poller.join(2)
    assert result["r"] == {"startedEventId": 0}


def test_fifty_pollers_each_task_delivered_once(engine: Engine, swf: Driver) -> None:
    engine._long_poll_seconds = 0.5
    got: list[str] = []
    lock = threading.Lock()

    def poll() -> None:
        task = swf.poll_activity()
        if task.get("taskToken"):
            with lock:
                got.append(task["activityId"])

    pollers = [threading.Thread(target=poll) for _ in range(50)]
    for p in pollers:
        p.start()
    time.sleep(0.1)
    swf.start()
    swf.decide(swf.poll_decision(), *[schedule_activity(str(i)) for i in range(30)])
    for p in pollers:
        p.join(5)
    assert sorted(got, key=int) == [str(i) for i in range(30)]


def test_priority_then_fifo(swf: Driver) -> None:
    swf.start()
    swf.decide(
        swf.poll_decision(),
        schedule_activity("low-1"),
        schedule_activity("high", taskPriority="10"),
        schedule_activity("low-2"),
        schedule_activity("neg", taskPriority="-5"),
    )
    order = [swf.poll_activity()["activityId"] for _ in range(4)]
    assert order == ["high", "low-1", "low-2", "neg"]


def test_event_limit_terminates_the_run(swf: Driver) -> None:
    execution = swf.start()
    engine = swf.engine
    signal = {"domain": "dom", "workflowId": execution["workflowId"], "signalName": "s"}
    for _ in range(EVENT_LIMIT - 30):  # events 3 .. 24,972
        engine.handle("SignalWorkflowExecution", signal)
    task = swf.poll_decision(reverseOrder=True, maximumPageSize=1)
    markers = [
        {"decisionType": "RecordMarker", "recordMarkerDecisionAttributes": {"markerName": f"m{i}"}}
        for i in range(40)
    ]
    swf.decide(task, *markers)  # the limit is reached in the middle of the batch
    events = swf.history(execution)
    assert len(events) == EVENT_LIMIT
    assert events[-1]["eventType"] == "WorkflowExecutionTerminated"
    assert attrs(events[-1])["cause"] == "EVENT_LIMIT_EXCEEDED"
    with pytest.raises(UnknownResourceFault):
        engine.handle("SignalWorkflowExecution", signal)


def test_event_limit_reached_by_a_poll_hands_out_no_task(swf: Driver) -> None:
    execution = swf.start()
    signal = {"domain": "dom", "workflowId": execution["workflowId"], "signalName": "s"}
    for _ in range(EVENT_LIMIT - 4):  # events 3 .. 24,998
        swf.engine.handle("SignalWorkflowExecution", signal)
    assert swf.poll_decision() == {"previousStartedEventId": 0, "startedEventId": 0}
    events = swf.op(
        "GetWorkflowExecutionHistory", execution=execution, reverseOrder=True, maximumPageSize=2
    )["events"]
    assert [e["eventType"] for e in events] == [
        "WorkflowExecutionTerminated",
        "DecisionTaskStarted",
    ]
    assert events[0]["eventId"] == EVENT_LIMIT
    assert swf.describe(execution)["openCounts"]["openDecisionTasks"] == 0


@pytest.mark.parametrize("downtime", [0, 500])
def test_restart_recovers_timers_and_tasks(tmp_path: Path, downtime: int) -> None:
    database = str(tmp_path / "swf.sqlite3")
    clock = TestClock()
    first = Engine(database, clock=clock, long_poll_seconds=0.05)
    first.start()
    swf = Driver(first, "dom")
    swf("RegisterDomain", name="dom", workflowExecutionRetentionPeriodInDays="1")
    swf.register_workflow()
    swf.register_activity()
    execution = swf.start()
    swf.decide(
        swf.poll_decision(),
        start_timer("t", "300"),
        schedule_activity("1", startToCloseTimeout="600"),
    )
    activity = swf.poll_activity()
    first.close()

    clock.advance(downtime)
    second = Engine(database, clock=clock, long_poll_seconds=0.05)
    second.start()
    swf = Driver(second, "dom")
    try:
        if downtime:
            # Due while we were down: fired at once by the scheduler's first round.
            deadline = time.monotonic() + 2
            while "TimerFired" not in swf.types(execution) and time.monotonic() < deadline:
                time.sleep(0.02)
        else:
            assert "TimerFired" not in swf.types(execution)
            swf.advance(300)
        assert "TimerFired" in swf.types(execution)
        # The activity started before the restart is still completable.
        swf("RespondActivityTaskCompleted", taskToken=activity["taskToken"], result="ok")
        task = swf.poll_decision()
        assert task["previousStartedEventId"] == 3
        assert [e["eventType"] for e in task["events"]][-4:] == [
            "TimerFired",
            "DecisionTaskScheduled",
            "ActivityTaskCompleted",
            "DecisionTaskStarted",
        ]
    finally:
        second.close()


def test_open_activities_limit(swf: Driver) -> None:
    execution = swf.start()
    swf.decide(swf.poll_decision(), *[schedule_activity(str(i)) for i in range(1000)])
    swf.op("SignalWorkflowExecution", workflowId=execution["workflowId"], signalName="go")
    swf.decide(swf.poll_decision(), schedule_activity("one-too-many"))
    failed = [e for e in swf.history(execution) if e["eventType"] == "ScheduleActivityTaskFailed"]
    assert attrs(failed[-1])["cause"] == "OPEN_ACTIVITIES_LIMIT_EXCEEDED"


def test_open_executions_limit(swf: Driver, monkeypatch: pytest.MonkeyPatch) -> None:
    import botoflowx.server._engine as engine_module

    monkeypatch.setattr(engine_module, "OPEN_EXECUTIONS_PER_DOMAIN", 2)
    first = swf.start()
    swf.start()
    with pytest.raises(LimitExceededFault):
        swf.start()
    swf.op("TerminateWorkflowExecution", workflowId=first["workflowId"])
    swf.start()  # closing one frees a slot


def test_calls_after_close_fail_cleanly(engine: Engine, swf: Driver) -> None:
    engine.close()
    with pytest.raises(InternalFailure):
        swf("DescribeDomain", name="dom")


def test_concurrent_deciders_and_workers(engine: Engine, swf: Driver) -> None:
    """Many threads drive many runs at once; every run completes with a sane history."""
    engine._long_poll_seconds = 0.2
    runs = [swf.start() for _ in range(40)]
    stop = threading.Event()
    errors: list[BaseException] = []

    def decider() -> None:
        try:
            while not stop.is_set():
                task = swf.poll_decision()
                if not task.get("taskToken"):
                    continue
                types = [e["eventType"] for e in task["events"]]
                done = types.count("ActivityTaskCompleted")
                if done == 2:
                    swf.decide(task, {"decisionType": "CompleteWorkflowExecution"})
                elif "ActivityTaskScheduled" not in types:
                    swf.decide(task, schedule_activity("a"), schedule_activity("b"))
                else:
                    swf.decide(task)
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    def worker() -> None:
        try:
            while not stop.is_set():
                task = swf.poll_activity()
                if task.get("taskToken"):
                    swf("RespondActivityTaskCompleted", taskToken=task["taskToken"])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=f) for f in [decider] * 6 + [worker] * 6]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        closed = swf.op("CountClosedWorkflowExecutions", startTimeFilter={"oldestDate": 0})
        if closed["count"] == len(runs) or errors:
            break
        time.sleep(0.05)
    stop.set()
    for t in threads:
        t.join(5)
    assert not errors
    for execution in runs:
        events = swf.history(execution)
        assert [e["eventId"] for e in events] == list(range(1, len(events) + 1))
        assert events[-1]["eventType"] == "WorkflowExecutionCompleted"
        types = [e["eventType"] for e in events]
        assert types.count("ActivityTaskStarted") == 2
        # Never two decision tasks outstanding.
        outstanding = 0
        for event_type in types:
            if event_type == "DecisionTaskScheduled":
                outstanding += 1
                assert outstanding == 1
            elif event_type in ("DecisionTaskCompleted", "DecisionTaskTimedOut"):
                outstanding -= 1


def test_pollers_per_task_list_limit(
    engine: Engine, swf: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    import botoflowx.server._engine as engine_module

    monkeypatch.setattr(engine_module, "MAX_POLLERS_PER_TASK_LIST", 2)
    engine._long_poll_seconds = 1.0
    results: list[object] = []

    def poll() -> None:
        try:
            results.append(swf.poll_activity())
        except LimitExceededFault as exc:
            results.append(exc)

    pollers = [threading.Thread(target=poll) for _ in range(2)]
    for p in pollers:
        p.start()
    time.sleep(0.2)
    with pytest.raises(LimitExceededFault, match="concurrent poll requests"):
        swf.poll_activity()
    for p in pollers:
        p.join(3)
    assert results == [{"startedEventId": 0}] * 2
