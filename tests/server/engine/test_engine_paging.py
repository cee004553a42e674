"""History paging for decision polls and GetWorkflowExecutionHistory."""

from __future__ import annotations

import pytest
from engine_support import Driver

from botoflowx.server._faults import ValidationException


def _run_with_history(swf: Driver, signals: int) -> dict[str, str]:
    execution = swf.start()
    for i in range(signals):
        swf.op("SignalWorkflowExecution", workflowId=execution["workflowId"], signalName=f"s{i}")
    return execution


def _poll_pages(swf: Driver, **params: object) -> list[dict]:
    first = swf.poll_decision(**params)
    pages = [first]
    while pages[-1].get("nextPageToken"):
        page = swf.poll_decision(nextPageToken=pages[-1]["nextPageToken"], **params)
        assert page["taskToken"] == first["taskToken"]
        assert page["startedEventId"] == first["startedEventId"]
        pages.append(page)
    return pages


def test_poll_pages_ascending_and_reverse(swf: Driver) -> None:
    execution = _run_with_history(swf, 10)  # 1 started + 1 scheduled + 10 signals
    pages = _poll_pages(swf, maximumPageSize=5)
    ids = [e["eventId"] for p in pages for e in p["events"]]
    assert ids == list(range(1, 14))
    assert [len(p["events"]) for p in pages] == [5, 5, 3]
    # Paging never handed out a second task.
    assert swf.describe(execution)["openCounts"]["openDecisionTasks"] == 1
    swf.decide(pages[0])
    swf.op("SignalWorkflowExecution", workflowId=execution["workflowId"], signalName="x")
    pages = _poll_pages(swf, maximumPageSize=4, reverseOrder=True)
    ids = [e["eventId"] for p in pages for e in p["events"]]
    assert ids == list(range(17, 0, -1))


def test_page_call_with_nothing_scheduled_returns_the_page_not_a_task(swf: Driver) -> None:
    _run_with_history(swf, 3)
    first = swf.poll_decision(maximumPageSize=2)
    second = _run_with_history(swf, 0)
    page = swf.poll_decision(maximumPageSize=2, nextPageToken=first["nextPageToken"])
    assert page["workflowExecution"] == first["workflowExecution"] != second
    with pytest.raises(ValidationException):
        swf.poll_decision(maximumPageSize=3, nextPageToken=first["nextPageToken"])


def test_start_at_previous_started_event(swf: Driver) -> None:
    execution = _run_with_history(swf, 2)
    task = swf.poll_decision(startAtPreviousStartedEvent=True)
    assert task["events"][0]["eventId"] == 1  # no previous task yet: whole history
    swf.decide(task)
    swf.op("SignalWorkflowExecution", workflowId=execution["workflowId"], signalName="n")
    task = swf.poll_decision(startAtPreviousStartedEvent=True)
    assert task["previousStartedEventId"] == 5
    assert [e["eventId"] for e in task["events"]] == [5, 6, 7, 8, 9]


def test_get_history_pages(swf: Driver) -> None:
    execution = _run_with_history(swf, 2500)
    page = swf.op("GetWorkflowExecutionHistory", execution=execution)
    assert len(page["events"]) == 1000  # the default page size is the maximum
    total = len(swf.history(execution))
    assert total == 2502
    rev = swf.op(
        "GetWorkflowExecutionHistory", execution=execution, reverseOrder=True, maximumPageSize=2
    )
    assert [e["eventId"] for e in rev["events"]] == [2502, 2501]
    nxt = swf.op(
        "GetWorkflowExecutionHistory",
        execution=execution,
        reverseOrder=True,
        maximumPageSize=2,
        nextPageToken=rev["nextPageToken"],
    )
    assert [e["eventId"] for e in nxt["events"]] == [2500, 2499]
    # History tokens and poll tokens do not mix.
    task = swf.poll_decision(maximumPageSize=2)
    with pytest.raises(ValidationException):
        swf.op(
            "GetWorkflowExecutionHistory",
            execution=execution,
            maximumPageSize=2,
            nextPageToken=task["nextPageToken"],
        )


def test_page_tokens_expire(swf: Driver) -> None:
    execution = _run_with_history(swf, 3)
    page = swf.op("GetWorkflowExecutionHistory", execution=execution, maximumPageSize=2)
    swf.advance(24 * 3600 + 1)
    with pytest.raises(ValidationException, match="maximum lifetime"):
        swf.op(
            "GetWorkflowExecutionHistory",
            execution=execution,
            maximumPageSize=2,
            nextPageToken=page["nextPageToken"],
        )
