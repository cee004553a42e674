"""The decision task-list override on RespondDecisionTaskCompleted and its timeouts."""

from __future__ import annotations

from engine_support import Driver, attrs, last


def _signal(swf: Driver, execution: dict[str, str]) -> None:
    swf.op("SignalWorkflowExecution", workflowId=execution["workflowId"], signalName="s")


def test_temporary_override_routes_then_reverts_on_schedule_to_start(swf: Driver) -> None:
    execution = swf.start()
    swf.decide(swf.poll_decision(), taskList={"name": "sticky"}, taskListScheduleToStartTimeout="5")
    completed = last(swf.history(execution), "DecisionTaskCompleted")
    assert attrs(completed)["taskList"] == {"name": "sticky"}
    assert attrs(completed)["taskListScheduleToStartTimeout"] == "5"
    _signal(swf, execution)
    scheduled = last(swf.history(execution), "DecisionTaskScheduled")
    assert attrs(scheduled)["taskList"] == {"name": "sticky"}
    assert attrs(scheduled)["scheduleToStartTimeout"] == "5"
    assert swf.poll_decision()["startedEventId"] == 0  # not on the original list
    assert swf.op("CountPendingDecisionTasks", taskList={"name": "sticky"})["count"] == 1
    swf.advance(5)
    events = swf.history(execution)
    assert attrs(events[-2]) == {
        "timeoutType": "SCHEDULE_TO_START",
        "scheduledEventId": scheduled["eventId"],
        "startedEventId": 0,
    }
    assert attrs(events[-1])["taskList"] == {"name": "decisions"}
    assert attrs(events[-1])["scheduleToStartTimeout"] == "NONE"
    assert swf.poll_decision("sticky")["startedEventId"] == 0
    task = swf.poll_decision()
    assert task["workflowExecution"] == execution
    # Reverted for good: the next task goes to the original list too.
    swf.decide(task)
    _signal(swf, execution)
    assert swf.poll_decision()["workflowExecution"] == execution


def test_temporary_override_started_in_time(swf: Driver) -> None:
    execution = swf.start()
    swf.decide(swf.poll_decision(), taskList={"name": "sticky"}, taskListScheduleToStartTimeout="5")
    _signal(swf, execution)
    task = swf.poll_decision("sticky")
    assert task["workflowExecution"] == execution
    swf.advance(20)  # started in time: no schedule-to-start timeout (start-to-close is 30)
    assert "DecisionTaskTimedOut" not in swf.types(execution)
    swf.decide(task)
    _signal(swf, execution)
    # The override stays until a timeout reverts it.
    assert swf.poll_decision("sticky")["workflowExecution"] == execution


def test_override_task_missing_start_to_close_reverts(swf: Driver) -> None:
    execution = swf.start(taskStartToCloseTimeout="10")
    swf.decide(swf.poll_decision(), taskList={"name": "sticky"}, taskListScheduleToStartTimeout="5")
    _signal(swf, execution)
    swf.poll_decision("sticky")
    swf.advance(10)
    events = swf.history(execution)
    assert attrs(events[-2])["timeoutType"] == "START_TO_CLOSE"
    assert attrs(events[-1])["taskList"] == {"name": "decisions"}


def test_permanent_override(swf: Driver) -> None:
    execution = swf.start(taskStartToCloseTimeout="10")
    swf.decide(swf.poll_decision(), taskList={"name": "moved"})
    completed = attrs(last(swf.history(execution), "DecisionTaskCompleted"))
    assert "taskListScheduleToStartTimeout" not in completed
    _signal(swf, execution)
    swf.advance(1000)  # no schedule-to-start timeout without the override timeout
    assert "DecisionTaskTimedOut" not in swf.types(execution)
    swf.poll_decision("moved")
    swf.advance(10)  # start-to-close of a permanent override does not revert it
    assert attrs(swf.history(execution)[-1])["taskList"] == {"name": "moved"}
