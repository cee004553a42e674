"""DescribeWorkflowExecution, List/Count executions with every filter, pending-task counts."""

from __future__ import annotations

import pytest
from engine_support import Driver, complete, last, schedule_activity

from botoflowx.server._faults import UnknownResourceFault, ValidationException


@pytest.fixture
def populated(swf: Driver) -> Driver:
    """Three open runs (one tagged "red", one of type "other") and two closed ones."""
    swf.register_workflow("other")
    swf.start("open-1", tagList=["red"])
    swf.advance(10)
    swf.start("open-2", name="other")
    swf.advance(10)
    swf.start("open-3")
    swf.advance(10)
    swf.start("done-1", taskList={"name": "side"})
    swf.decide(swf.poll_decision("side"), complete())
    swf.advance(10)
    swf.start("term-1")
    swf.op("TerminateWorkflowExecution", workflowId="term-1")
    return swf


def _ids(page: dict) -> list[str]:
    return [i["execution"]["workflowId"] for i in page["executionInfos"]]


def test_list_open_newest_first_with_paging(populated: Driver) -> None:
    swf = populated
    since = {"oldestDate": 0}
    page = swf.op("ListOpenWorkflowExecutions", startTimeFilter=since, maximumPageSize=2)
    assert _ids(page) == ["open-3", "open-2"]
    rest = swf.op(
        "ListOpenWorkflowExecutions",
        startTimeFilter=since,
        maximumPageSize=2,
        nextPageToken=page["nextPageToken"],
    )
    assert _ids(rest) == ["open-1"] and "nextPageToken" not in rest
    rev = swf.op("ListOpenWorkflowExecutions", startTimeFilter=since, reverseOrder=True)
    assert _ids(rev) == ["open-1", "open-2", "open-3"]
    assert swf.op("CountOpenWorkflowExecutions", startTimeFilter=since) == {
        "count": 3,
        "truncated": False,
    }


def test_open_filters(populated: Driver) -> None:
    swf = populated
    since = {"oldestDate": 0}
    assert _ids(
        swf.op("ListOpenWorkflowExecutions", startTimeFilter=since, tagFilter={"tag": "red"})
    ) == ["open-1"]
    assert _ids(
        swf.op("ListOpenWorkflowExecutions", startTimeFilter=since, typeFilter={"name": "other"})
    ) == ["open-2"]
    assert _ids(
        swf.op(
            "ListOpenWorkflowExecutions",
            startTimeFilter=since,
            typeFilter={"name": "wf", "version": "1"},
        )
    ) == ["open-3", "open-1"]
    assert _ids(
        swf.op(
            "ListOpenWorkflowExecutions",
            startTimeFilter=since,
            executionFilter={"workflowId": "open-2"},
        )
    ) == ["open-2"]
    first = swf.op(
        "ListOpenWorkflowExecutions", startTimeFilter=since, reverseOrder=True, maximumPageSize=1
    )["executionInfos"][0]
    window = {"oldestDate": first["startTimestamp"] + 5, "latestDate": first["startTimestamp"] + 15}
    assert _ids(swf.op("ListOpenWorkflowExecutions", startTimeFilter=window)) == ["open-2"]
    assert (
        swf.op("CountOpenWorkflowExecutions", startTimeFilter=since, tagFilter={"tag": "red"})[
            "count"
        ]
        == 1
    )
    with pytest.raises(ValidationException, match="Only one of"):
        swf.op(
            "ListOpenWorkflowExecutions",
            startTimeFilter=since,
            tagFilter={"tag": "red"},
            typeFilter={"name": "wf"},
        )


def test_closed_filters(populated: Driver) -> None:
    swf = populated
    since = {"oldestDate": 0}
    assert _ids(swf.op("ListClosedWorkflowExecutions", startTimeFilter=since)) == [
        "term-1",
        "done-1",
    ]
    assert _ids(
        swf.op(
            "ListClosedWorkflowExecutions",
            closeTimeFilter=since,
            closeStatusFilter={"status": "TERMINATED"},
        )
    ) == ["term-1"]
    assert (
        swf.op(
            "CountClosedWorkflowExecutions",
            closeTimeFilter=since,
            closeStatusFilter={"status": "COMPLETED"},
        )["count"]
        == 1
    )
    with pytest.raises(ValidationException, match="Exactly one"):
        swf.op("ListClosedWorkflowExecutions")
    with pytest.raises(ValidationException, match="Exactly one"):
        swf.op("CountClosedWorkflowExecutions", startTimeFilter=since, closeTimeFilter=since)
    with pytest.raises(ValidationException, match="Only one of"):
        swf.op(
            "ListClosedWorkflowExecutions",
            startTimeFilter=since,
            closeStatusFilter={"status": "COMPLETED"},
            executionFilter={"workflowId": "x"},
        )
    info = swf.op(
        "ListClosedWorkflowExecutions",
        startTimeFilter=since,
        executionFilter={"workflowId": "done-1"},
    )["executionInfos"][0]
    assert info["closeStatus"] == "COMPLETED" and info["closeTimestamp"] >= info["startTimestamp"]


def test_describe_counts_and_pending(swf: Driver) -> None:
    execution = swf.start()
    detail = swf.describe(execution)
    assert detail["openCounts"] == {
        "openActivityTasks": 0,
        "openDecisionTasks": 1,
        "openTimers": 0,
        "openChildWorkflowExecutions": 0,
        "openLambdaFunctions": 0,
    }
    assert detail["executionConfiguration"] == {
        "taskStartToCloseTimeout": "30",
        "executionStartToCloseTimeout": "3600",
        "taskList": {"name": "decisions"},
        "taskPriority": "0",
        "childPolicy": "TERMINATE",
    }
    swf.decide(
        swf.poll_decision(),
        schedule_activity("1"),
        schedule_activity("2"),
        executionContext="state-1",
    )
    detail = swf.describe(execution)
    assert detail["openCounts"]["openActivityTasks"] == 2
    assert detail["openCounts"]["openDecisionTasks"] == 0
    assert detail["latestExecutionContext"] == "state-1"
    assert "latestActivityTaskTimestamp" in detail
    assert swf.op("CountPendingActivityTasks", taskList={"name": "activities"}) == {
        "count": 2,
        "truncated": False,
    }
    swf.poll_activity()
    assert swf.op("CountPendingActivityTasks", taskList={"name": "activities"})["count"] == 1
    with pytest.raises(UnknownResourceFault):
        swf.describe({"workflowId": execution["workflowId"], "runId": "nope"})


def test_closed_runs_are_purged_after_the_retention_period(swf: Driver) -> None:
    execution = swf.start()
    swf.op("TerminateWorkflowExecution", workflowId=execution["workflowId"])
    swf.advance(86400 - 60)
    assert swf.describe(execution)["executionInfo"]["closeStatus"] == "TERMINATED"
    swf.advance(60)
    with pytest.raises(UnknownResourceFault):
        swf.describe(execution)
    with pytest.raises(UnknownResourceFault):
        swf.history(execution)
    assert swf.op("CountClosedWorkflowExecutions", startTimeFilter={"oldestDate": 0})["count"] == 0


def test_latest_activity_timestamp_is_kept_by_a_batch_that_also_closes_the_run(
    swf: Driver,
) -> None:
    execution = swf.start()
    assert "latestActivityTaskTimestamp" not in swf.describe(execution)
    swf.decide(swf.poll_decision(), schedule_activity("1"), complete("done"))
    detail = swf.describe(execution)
    assert detail["executionInfo"]["executionStatus"] == "CLOSED"
    scheduled = last(swf.history(execution), "ActivityTaskScheduled")
    assert detail["latestActivityTaskTimestamp"] == scheduled["eventTimestamp"]
