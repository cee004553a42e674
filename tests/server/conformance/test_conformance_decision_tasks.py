"""Conformance: decision-task scheduling, history paging and the task-list override."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from helpers.server import ServerProcess
from helpers.swf import (
    SWFDomain,
    attrs,
    complete_workflow,
    error_code,
    event_types,
    events_of,
    new_domain,
    only,
)


def _signal(domain: SWFDomain, execution: dict[str, str], name: str = "s") -> None:
    domain.client.signal_workflow_execution(domain=domain.name, **execution, signalName=name)


def _pending_decisions(domain: SWFDomain, task_list: str | None = None) -> int:
    return int(
        domain.client.count_pending_decision_tasks(
            domain=domain.name, taskList={"name": task_list or domain.task_list}
        )["count"]
    )


def test_first_decision_task_shape(domain: SWFDomain) -> None:
    execution = domain.start(input="in")
    task = domain.expect_decision(identity="decider-7")
    assert task.execution == execution
    assert task.workflow_type == domain.workflow_type
    assert task.previous_started_event_id == 0
    assert task.started_event_id == 3
    assert event_types(task.events) == [
        "WorkflowExecutionStarted",
        "DecisionTaskScheduled",
        "DecisionTaskStarted",
    ]
    assert attrs(task.events[2]) == {"identity": "decider-7", "scheduledEventId": 2}
    assert [e["eventId"] for e in task.events] == [1, 2, 3]
    assert task.events[0]["eventTimestamp"] <= task.events[2]["eventTimestamp"]


def test_empty_poll_has_no_task(domain: SWFDomain) -> None:
    response = domain.client.poll_for_decision_task(
        domain=domain.name, taskList={"name": domain.task_list}
    )
    assert not response.get("taskToken")
    assert response.get("startedEventId", 0) == 0
    assert not response.get("events")
    response = domain.client.poll_for_activity_task(
        domain=domain.name, taskList={"name": domain.activity_task_list}
    )
    assert not response.get("taskToken")
    assert response.get("startedEventId", 0) == 0


def test_poll_unknown_domain_is_unknown_resource(domain: SWFDomain) -> None:

    with pytest.raises(ClientError) as err:
        domain.client.poll_for_decision_task(domain="no-such-domain", taskList={"name": "t"})
    assert error_code(err.value) == "UnknownResourceFault"


def test_events_before_poll_are_batched_into_one_task(domain: SWFDomain) -> None:
    execution = domain.start()
    _signal(domain, execution, "one")
    _signal(domain, execution, "two")
    assert _pending_decisions(domain) == 1
    assert domain.describe(execution)["openCounts"]["openDecisionTasks"] == 1
    task = domain.expect_decision()
    assert event_types(task.events).count("DecisionTaskScheduled") == 1
    assert [
        attrs(e)["signalName"] for e in events_of(task.events, "WorkflowExecutionSignaled")
    ] == [
        "one",
        "two",
    ]
    assert domain.poll_decision() is None, "one run never has two decision tasks out"
    assert _pending_decisions(domain) == 0


def test_events_during_started_task_give_exactly_one_follow_up(domain: SWFDomain) -> None:
    execution = domain.start()
    first = domain.expect_decision()
    for name in ("a", "b", "c"):
        _signal(domain, execution, name)
    assert domain.describe(execution)["openCounts"]["openDecisionTasks"] == 1
    assert domain.poll_decision() is None, "no second task while one is started"
    domain.decide(first, [])

    second = domain.expect_decision()
    assert second.execution == execution
    assert second.previous_started_event_id == first.started_event_id
    assert second.started_event_id == second.events[-1]["eventId"]
    assert second.events[-1]["eventType"] == "DecisionTaskStarted"
    signaled = [
        attrs(e)["signalName"] for e in events_of(second.events, "WorkflowExecutionSignaled")
    ]
    assert signaled == ["a", "b", "c"]
    assert event_types(second.events).count("DecisionTaskScheduled") == 2
    assert domain.poll_decision() is None
    domain.decide(second, [complete_workflow()])
    assert domain.poll_decision() is None


def test_event_ids_are_dense_and_started_event_id_points_at_started(domain: SWFDomain) -> None:
    execution = domain.start()
    for round_ in range(3):
        task = domain.expect_decision()
        started = [e for e in task.events if e["eventId"] == task.started_event_id]
        assert event_types(started) == ["DecisionTaskStarted"]
        _signal(domain, execution, f"r{round_}")
        domain.decide(task, [])
    events = domain.history(execution)
    assert [e["eventId"] for e in events] == list(range(1, len(events) + 1))


def _long_history(domain: SWFDomain, signals: int) -> dict[str, str]:
    execution = domain.start()
    for i in range(signals):
        _signal(domain, execution, f"sig{i}")
    return execution


def test_decision_task_pages_forward_without_handing_out_new_tasks(domain: SWFDomain) -> None:
    execution = _long_history(domain, 10)
    swf = domain.client
    args: dict[str, Any] = {
        "domain": domain.name,
        "taskList": {"name": domain.task_list},
        "maximumPageSize": 3,
    }
    first = swf.poll_for_decision_task(**args)
    assert first["workflowExecution"] == execution
    bystander = domain.start()  # its task now waits on the same list
    pages = [first]
    while pages[-1].get("nextPageToken"):
        page = swf.poll_for_decision_task(**args, nextPageToken=pages[-1]["nextPageToken"])
        assert page["workflowExecution"] == execution, "a page call handed out another task"
        assert page["startedEventId"] == first["startedEventId"]
        pages.append(page)
    assert all(len(p["events"]) <= 3 for p in pages)
    ids = [e["eventId"] for p in pages for e in p["events"]]
    assert ids == list(range(1, first["startedEventId"] + 1))
    assert len(pages) >= 5

    other = domain.expect_decision()
    assert other.execution == bystander
    domain.decide(first["taskToken"], [])


def test_decision_task_pages_in_reverse_order(domain: SWFDomain) -> None:
    _long_history(domain, 7)
    task = domain.expect_decision(reverseOrder=True, maximumPageSize=4)
    ids = [e["eventId"] for e in task.events]
    assert ids == list(range(task.started_event_id, 0, -1))
    assert task.pages >= 3
    assert task.events[0]["eventType"] == "DecisionTaskStarted"


def test_start_at_previous_started_event(swf_server: ServerProcess, domain: SWFDomain) -> None:
    execution = domain.start()
    # Space the start and the two decision tasks apart so a timestamp cut is observable.
    swf_server.advance_clock(30)
    first = domain.expect_decision()
    domain.decide(first, [])
    swf_server.advance_clock(30)
    _signal(domain, execution, "later")
    task = domain.expect_decision(startAtPreviousStartedEvent=True)
    ids = [e["eventId"] for e in task.events]
    assert ids == sorted(ids)
    assert ids[-1] == task.started_event_id
    previous_started = next(e for e in task.events if e["eventId"] == first.started_event_id)
    assert all(e["eventTimestamp"] >= previous_started["eventTimestamp"] for e in task.events)
    # Everything new since the previous decision is there, the run's start is not.
    assert set(range(first.started_event_id + 1, task.started_event_id + 1)) <= set(ids)
    assert 1 not in ids


def test_get_history_pages_in_both_orders(domain: SWFDomain) -> None:
    execution = _long_history(domain, 6)
    swf = domain.client
    full = domain.history(execution)
    forward: list[int] = []
    kwargs: dict[str, Any] = {"domain": domain.name, "execution": execution, "maximumPageSize": 2}
    page_count = 0
    while True:
        page = swf.get_workflow_execution_history(**kwargs)
        page_count += 1
        assert len(page["events"]) <= 2
        forward.extend(e["eventId"] for e in page["events"])
        if not page.get("nextPageToken"):
            break
        kwargs["nextPageToken"] = page["nextPageToken"]
    assert forward == [e["eventId"] for e in full] == list(range(1, len(full) + 1))
    assert page_count >= 4
    backward = [e["eventId"] for e in domain.history(execution, reverse=True)]
    assert backward == forward[::-1]
    first_reverse_page = swf.get_workflow_execution_history(
        domain=domain.name, execution=execution, maximumPageSize=2, reverseOrder=True
    )
    assert [e["eventId"] for e in first_reverse_page["events"]] == forward[::-1][:2]


# -- task-list override on RespondDecisionTaskCompleted ------------------------------------------


def test_override_routes_the_next_task_to_the_override_list(domain: SWFDomain) -> None:
    execution = domain.start()
    first = domain.expect_decision()
    domain.decide(first, [], taskList={"name": "sticky"}, taskListScheduleToStartTimeout="30")
    completed = only(domain.history(execution), "DecisionTaskCompleted")
    assert attrs(completed)["taskList"] == {"name": "sticky"}
    assert attrs(completed)["taskListScheduleToStartTimeout"] == "30"

    _signal(domain, execution)
    scheduled = events_of(domain.history(execution), "DecisionTaskScheduled")[-1]
    assert attrs(scheduled)["taskList"] == {"name": "sticky"}
    assert attrs(scheduled)["scheduleToStartTimeout"] == "30"
    assert _pending_decisions(domain, "sticky") == 1
    assert domain.poll_decision() is None, "the original list must not get the task"
    task = domain.expect_decision("sticky")
    assert task.execution == execution


def test_override_not_started_in_time_falls_back(
    swf_server: ServerProcess, domain: SWFDomain
) -> None:
    execution = domain.start()
    first = domain.expect_decision()
    domain.decide(first, [], taskList={"name": "sticky-dead"}, taskListScheduleToStartTimeout="5")
    _signal(domain, execution)
    swf_server.advance_clock(6)
    events = domain.history(execution)
    sticky_scheduled = [
        e
        for e in events_of(events, "DecisionTaskScheduled")
        if attrs(e)["taskList"]["name"] == "sticky-dead"
    ]
    assert len(sticky_scheduled) == 1
    timed_out = only(events, "DecisionTaskTimedOut")
    assert attrs(timed_out)["timeoutType"] == "SCHEDULE_TO_START"
    assert attrs(timed_out)["scheduledEventId"] == sticky_scheduled[0]["eventId"]
    assert events[-1]["eventType"] == "DecisionTaskScheduled"
    assert attrs(events[-1])["taskList"] == {"name": domain.task_list}
    assert _pending_decisions(domain, "sticky-dead") == 0
    task = domain.expect_decision()
    assert task.execution == execution
    assert domain.poll_decision("sticky-dead") is None


def test_override_started_but_not_completed_falls_back(
    swf_server: ServerProcess, domain: SWFDomain
) -> None:
    execution = domain.start(taskStartToCloseTimeout="20")
    first = domain.expect_decision()
    domain.decide(first, [], taskList={"name": "sticky-slow"}, taskListScheduleToStartTimeout="5")
    _signal(domain, execution)
    sticky_task = domain.expect_decision("sticky-slow")
    swf_server.advance_clock(21)
    events = domain.history(execution)
    timed_out = only(events, "DecisionTaskTimedOut")
    assert attrs(timed_out)["timeoutType"] == "START_TO_CLOSE"
    assert attrs(timed_out)["startedEventId"] == sticky_task.started_event_id
    assert attrs(events[-1])["taskList"] == {"name": domain.task_list}
    assert domain.expect_decision().execution == execution


def test_permanent_override_without_timeout(swf_server: ServerProcess, domain: SWFDomain) -> None:
    execution = domain.start()
    first = domain.expect_decision()
    domain.decide(first, [], taskList={"name": "moved"})
    _signal(domain, execution, "one")
    swf_server.advance_clock(600)
    events = domain.history(execution)
    assert "DecisionTaskTimedOut" not in event_types(events)
    assert attrs(events[-1])["taskList"] == {"name": "moved"}
    second = domain.expect_decision("moved")
    # Later answers that do not mention a list keep the permanent override.
    domain.decide(second, [])
    _signal(domain, execution, "two")
    assert domain.expect_decision("moved").execution == execution


def test_execution_context_is_recorded_on_decision_task_completed(domain: SWFDomain) -> None:
    execution = domain.start()
    domain.decide(domain.expect_decision(), [], executionContext="state-1")
    _signal(domain, execution)
    domain.decide(domain.expect_decision(), [])
    completed = events_of(domain.history(execution), "DecisionTaskCompleted")
    assert attrs(completed[0])["executionContext"] == "state-1"
    assert "executionContext" not in attrs(completed[1])
    # The latest context given is what DescribeWorkflowExecution reports.
    assert domain.describe(execution)["latestExecutionContext"] == "state-1"


def test_task_lists_are_per_domain(swf: Any, domain: SWFDomain) -> None:
    other = new_domain(swf)
    shared = "same-name-in-two-domains"
    mine = domain.start(taskList={"name": shared})
    assert other.poll_decision(shared) is None, "a domain saw another domain's task"
    assert domain.expect_decision(shared).execution == mine
