"""Conformance: List/Count Open/Closed executions, DescribeWorkflowExecution and pending counts."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from botocore.exceptions import ClientError

from helpers.server import ServerProcess
from helpers.swf import SWFDomain, complete_workflow, decision, schedule_activity, start_timer

EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)
FAR_FUTURE = datetime(2200, 1, 1, tzinfo=timezone.utc)
ALL_TIME = {"oldestDate": EPOCH, "latestDate": FAR_FUTURE}


class Fleet:
    """Five executions with distinct start times, types, tags and close statuses."""

    def __init__(self, swf_server: ServerProcess, domain: SWFDomain) -> None:
        self.domain = domain
        self.other_type = domain.register_workflow_type(
            name="OtherWorkflow",
            version="2",
            defaultTaskList={"name": "other-list"},
            defaultTaskStartToCloseTimeout="3600",
            defaultExecutionStartToCloseTimeout="86400",
            defaultChildPolicy="TERMINATE",
        )
        self.runs: dict[str, dict[str, str]] = {}
        plan = [
            ("open-red", domain.workflow_type, ["red"]),
            ("open-blue", self.other_type, ["blue", "shared"]),
            ("done", domain.workflow_type, ["red", "shared"]),
            ("failed", domain.workflow_type, []),
            ("killed", self.other_type, ["blue"]),
        ]
        for workflow_id, wf_type, tags in plan:
            self.runs[workflow_id] = domain.start(
                workflow_id=workflow_id, workflow_type=wf_type, tagList=tags
            )
            # Distinct start times make the ordering and the time filters observable.
            swf_server.advance_clock(10)
        # Close in the reverse of the start order, so start-time and close-time orderings
        # of the closed executions differ.
        tokens = _first_tasks(domain, 3)  # open-red, done and failed share the default list
        domain.client.terminate_workflow_execution(domain=domain.name, **self.runs["killed"])
        swf_server.advance_clock(10)
        domain.decide(tokens["failed"], [decision("FailWorkflowExecution")])
        swf_server.advance_clock(10)
        domain.decide(tokens["done"], [complete_workflow("ok")])
        domain.decide(tokens["open-red"], [])

    def info(self, workflow_id: str) -> dict[str, Any]:
        return dict(self.domain.describe(self.runs[workflow_id])["executionInfo"])


def _first_tasks(domain: SWFDomain, count: int) -> dict[str, str]:
    """Take ``count`` decision tasks from the default list; return tokens by workflowId."""
    tokens: dict[str, str] = {}
    for _ in range(count):
        task = domain.expect_decision()
        tokens[task.execution["workflowId"]] = task.token
    return tokens


@pytest.fixture
def fleet(swf_server: ServerProcess, domain: SWFDomain) -> Fleet:
    return Fleet(swf_server, domain)


def _list(domain: SWFDomain, closed: bool, **kw: Any) -> list[str]:
    call = (
        domain.client.list_closed_workflow_executions
        if closed
        else domain.client.list_open_workflow_executions
    )
    ids: list[str] = []
    while True:
        page = call(domain=domain.name, **kw)
        ids.extend(i["execution"]["workflowId"] for i in page["executionInfos"])
        if not page.get("nextPageToken"):
            return ids
        kw["nextPageToken"] = page["nextPageToken"]


def _count(domain: SWFDomain, closed: bool, **kw: Any) -> int:
    call = (
        domain.client.count_closed_workflow_executions
        if closed
        else domain.client.count_open_workflow_executions
    )
    response = call(domain=domain.name, **kw)
    assert response.get("truncated", False) is False
    return int(response["count"])


def test_list_open_and_closed_default_order_is_newest_first(fleet: Fleet) -> None:
    domain = fleet.domain
    assert _list(domain, False, startTimeFilter=ALL_TIME) == ["open-blue", "open-red"]
    assert _list(domain, False, startTimeFilter=ALL_TIME, reverseOrder=True) == [
        "open-red",
        "open-blue",
    ]
    assert _list(domain, True, startTimeFilter=ALL_TIME) == ["killed", "failed", "done"]
    # With a close-time filter the order is by close time (newest first).
    assert _list(domain, True, closeTimeFilter=ALL_TIME) == ["done", "failed", "killed"]
    assert _list(domain, True, closeTimeFilter=ALL_TIME, reverseOrder=True) == [
        "killed",
        "failed",
        "done",
    ]
    assert _list(domain, True, startTimeFilter=ALL_TIME, reverseOrder=True) == [
        "done",
        "failed",
        "killed",
    ]
    assert _count(domain, False, startTimeFilter=ALL_TIME) == 2
    assert _count(domain, True, startTimeFilter=ALL_TIME) == 3


def test_execution_info_fields(fleet: Fleet) -> None:
    page = fleet.domain.client.list_closed_workflow_executions(
        domain=fleet.domain.name, startTimeFilter=ALL_TIME, executionFilter={"workflowId": "done"}
    )
    (info,) = page["executionInfos"]
    assert info["execution"] == fleet.runs["done"]
    assert info["workflowType"] == fleet.domain.workflow_type
    assert info["executionStatus"] == "CLOSED"
    assert info["closeStatus"] == "COMPLETED"
    assert info["tagList"] == ["red", "shared"]
    assert info["closeTimestamp"] > info["startTimestamp"]
    assert info.get("cancelRequested", False) is False
    open_page = fleet.domain.client.list_open_workflow_executions(
        domain=fleet.domain.name,
        startTimeFilter=ALL_TIME,
        executionFilter={"workflowId": "open-red"},
    )
    (open_info,) = open_page["executionInfos"]
    assert open_info["executionStatus"] == "OPEN"
    assert "closeStatus" not in open_info
    assert "closeTimestamp" not in open_info


def test_paging_lists_every_execution_once(fleet: Fleet) -> None:
    domain = fleet.domain
    first = domain.client.list_closed_workflow_executions(
        domain=domain.name, startTimeFilter=ALL_TIME, maximumPageSize=1
    )
    assert len(first["executionInfos"]) == 1
    assert first.get("nextPageToken")
    assert _list(domain, True, startTimeFilter=ALL_TIME, maximumPageSize=1) == [
        "killed",
        "failed",
        "done",
    ]
    assert _list(domain, True, startTimeFilter=ALL_TIME, maximumPageSize=2, reverseOrder=True) == [
        "done",
        "failed",
        "killed",
    ]
    assert _list(domain, False, startTimeFilter=ALL_TIME, maximumPageSize=1) == [
        "open-blue",
        "open-red",
    ]


def test_start_and_close_time_filters(fleet: Fleet) -> None:
    domain = fleet.domain
    blue_start = fleet.info("open-blue")["startTimestamp"]
    done = fleet.info("done")
    window = {
        "oldestDate": blue_start - timedelta(seconds=2),
        "latestDate": blue_start + timedelta(seconds=2),
    }
    assert _list(domain, False, startTimeFilter=window) == ["open-blue"]
    assert _count(domain, False, startTimeFilter=window) == 1
    assert _list(domain, True, startTimeFilter=window) == []
    after_red = {"oldestDate": fleet.info("open-red")["startTimestamp"] + timedelta(seconds=2)}
    assert _list(domain, False, startTimeFilter=after_red) == ["open-blue"]

    close_window = {
        "oldestDate": done["closeTimestamp"] - timedelta(seconds=2),
        "latestDate": done["closeTimestamp"] + timedelta(seconds=2),
    }
    assert _list(domain, True, closeTimeFilter=close_window) == ["done"]
    assert _count(domain, True, closeTimeFilter=close_window) == 1


def test_execution_type_and_tag_filters(fleet: Fleet) -> None:
    domain = fleet.domain
    wf = domain.workflow_type
    assert _list(
        domain, False, startTimeFilter=ALL_TIME, executionFilter={"workflowId": "open-red"}
    ) == ["open-red"]
    assert (
        _list(domain, True, startTimeFilter=ALL_TIME, executionFilter={"workflowId": "open-red"})
        == []
    )
    assert _list(domain, False, startTimeFilter=ALL_TIME, typeFilter={"name": wf["name"]}) == [
        "open-red"
    ]
    assert _list(
        domain, True, startTimeFilter=ALL_TIME, typeFilter={"name": "OtherWorkflow", "version": "2"}
    ) == ["killed"]
    assert (
        _list(
            domain,
            True,
            startTimeFilter=ALL_TIME,
            typeFilter={"name": "OtherWorkflow", "version": "9"},
        )
        == []
    )
    assert _list(domain, False, startTimeFilter=ALL_TIME, tagFilter={"tag": "shared"}) == [
        "open-blue"
    ]
    assert _list(domain, True, startTimeFilter=ALL_TIME, tagFilter={"tag": "shared"}) == ["done"]
    assert _list(domain, True, startTimeFilter=ALL_TIME, tagFilter={"tag": "blue"}) == ["killed"]
    assert _count(domain, False, startTimeFilter=ALL_TIME, tagFilter={"tag": "red"}) == 1
    assert _count(domain, True, startTimeFilter=ALL_TIME, typeFilter={"name": wf["name"]}) == 2
    assert (
        _count(domain, True, startTimeFilter=ALL_TIME, executionFilter={"workflowId": "failed"})
        == 1
    )


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("COMPLETED", ["done"]),
        ("FAILED", ["failed"]),
        ("TERMINATED", ["killed"]),
        ("CANCELED", []),
        ("TIMED_OUT", []),
        ("CONTINUED_AS_NEW", []),
    ],
)
def test_close_status_filter(fleet: Fleet, status: str, expected: list[str]) -> None:
    domain = fleet.domain
    assert (
        _list(domain, True, startTimeFilter=ALL_TIME, closeStatusFilter={"status": status})
        == expected
    )
    assert _count(
        domain, True, closeTimeFilter=ALL_TIME, closeStatusFilter={"status": status}
    ) == len(expected)


@pytest.mark.parametrize(
    "filters",
    [
        {"executionFilter": {"workflowId": "x"}, "typeFilter": {"name": "n"}},
        {"executionFilter": {"workflowId": "x"}, "tagFilter": {"tag": "t"}},
        {"typeFilter": {"name": "n"}, "tagFilter": {"tag": "t"}},
    ],
    ids=["execution+type", "execution+tag", "type+tag"],
)
def test_open_filters_are_mutually_exclusive(domain: SWFDomain, filters: dict[str, Any]) -> None:
    for call in (
        domain.client.list_open_workflow_executions,
        domain.client.count_open_workflow_executions,
    ):
        with pytest.raises(ClientError) as err:
            call(domain=domain.name, startTimeFilter=ALL_TIME, **filters)
        assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


@pytest.mark.parametrize(
    "filters",
    [
        {"startTimeFilter": ALL_TIME, "closeTimeFilter": ALL_TIME},
        {},
        {
            "startTimeFilter": ALL_TIME,
            "closeStatusFilter": {"status": "FAILED"},
            "tagFilter": {"tag": "t"},
        },
        {
            "startTimeFilter": ALL_TIME,
            "closeStatusFilter": {"status": "FAILED"},
            "typeFilter": {"name": "n"},
        },
        {
            "startTimeFilter": ALL_TIME,
            "closeStatusFilter": {"status": "FAILED"},
            "executionFilter": {"workflowId": "x"},
        },
    ],
    ids=["start+close-time", "no-time", "status+tag", "status+type", "status+execution"],
)
def test_closed_filter_rules(domain: SWFDomain, filters: dict[str, Any]) -> None:
    for call in (
        domain.client.list_closed_workflow_executions,
        domain.client.count_closed_workflow_executions,
    ):
        with pytest.raises(ClientError) as err:
            call(domain=domain.name, **filters)
        assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_visibility_in_unknown_domain(swf: Any) -> None:
    with pytest.raises(ClientError) as err:
        swf.list_open_workflow_executions(domain="no-such-domain", startTimeFilter=ALL_TIME)
    assert err.value.response["Error"]["Code"] == "UnknownResourceFault"
    with pytest.raises(ClientError) as err:
        swf.count_closed_workflow_executions(domain="no-such-domain", startTimeFilter=ALL_TIME)
    assert err.value.response["Error"]["Code"] == "UnknownResourceFault"


def test_describe_execution(swf_server: ServerProcess, domain: SWFDomain) -> None:
    execution = domain.start(taskPriority="4", tagList=["t"], taskStartToCloseTimeout="600")
    detail = domain.describe(execution)
    assert detail["executionConfiguration"] == {
        "taskStartToCloseTimeout": "600",
        "executionStartToCloseTimeout": "86400",
        "taskList": {"name": domain.task_list},
        "taskPriority": "4",
        "childPolicy": "TERMINATE",
    }
    assert detail["openCounts"] == {
        "openActivityTasks": 0,
        "openDecisionTasks": 1,
        "openTimers": 0,
        "openChildWorkflowExecutions": 0,
        **({"openLambdaFunctions": 0} if "openLambdaFunctions" in detail["openCounts"] else {}),
    }
    info = detail["executionInfo"]
    assert info["execution"] == execution
    assert info["workflowType"] == domain.workflow_type
    assert info["executionStatus"] == "OPEN"
    assert info["tagList"] == ["t"]
    assert "latestExecutionContext" not in detail

    task = domain.expect_decision()
    domain.decide(
        task,
        [
            schedule_activity(domain.activity_type, "a1"),
            schedule_activity(domain.activity_type, "a2"),
            start_timer("t1", 500),
            decision(
                "StartChildWorkflowExecution",
                workflowType=domain.workflow_type,
                workflowId="describe-child",
                taskList={"name": "describe-children"},
            ),
        ],
        executionContext="ctx-1",
    )
    detail = domain.describe(execution)
    counts = detail["openCounts"]
    assert counts["openActivityTasks"] == 2
    assert counts["openTimers"] == 1
    assert counts["openChildWorkflowExecutions"] == 1
    assert counts["openDecisionTasks"] in (0, 1)  # ChildWorkflowExecutionStarted may wake it
    assert detail["latestExecutionContext"] == "ctx-1"
    assert detail["latestActivityTaskTimestamp"] >= info["startTimestamp"]


def test_count_pending_tasks(domain: SWFDomain) -> None:
    swf = domain.client

    def pending(kind: str, task_list: str) -> int:
        call = (
            swf.count_pending_decision_tasks
            if kind == "decision"
            else swf.count_pending_activity_tasks
        )
        response = call(domain=domain.name, taskList={"name": task_list})
        assert response.get("truncated", False) is False
        return int(response["count"])

    assert pending("decision", domain.task_list) == 0
    executions = [domain.start() for _ in range(3)]
    assert pending("decision", domain.task_list) == 3
    task = domain.expect_decision()
    assert pending("decision", domain.task_list) == 2
    domain.decide(task, [schedule_activity(domain.activity_type, f"a{i}") for i in range(4)])
    assert pending("activity", domain.activity_task_list) == 4
    domain.expect_activity()
    assert pending("activity", domain.activity_task_list) == 3
    assert pending("activity", "unused-list") == 0
    assert len(executions) == 3


def test_close_status_filter_for_the_other_close_kinds(
    swf_server: ServerProcess, domain: SWFDomain
) -> None:
    canceled = domain.start(workflow_id="canceled")
    domain.client.request_cancel_workflow_execution(domain=domain.name, **canceled)
    domain.decide(domain.expect_decision(), [decision("CancelWorkflowExecution")])
    continued = domain.start(workflow_id="continued")
    domain.decide(domain.expect_decision(), [decision("ContinueAsNewWorkflowExecution")])
    domain.start(workflow_id="timed-out", executionStartToCloseTimeout="30")
    swf_server.advance_clock(31)

    def closed_with(status: str) -> list[str]:
        return _list(domain, True, startTimeFilter=ALL_TIME, closeStatusFilter={"status": status})

    assert closed_with("CANCELED") == ["canceled"]
    assert closed_with("CONTINUED_AS_NEW") == ["continued"]
    assert closed_with("TIMED_OUT") == ["timed-out"]
    assert closed_with("COMPLETED") == []
    # The continued run's successor is open under the same workflowId.
    open_runs = domain.client.list_open_workflow_executions(
        domain=domain.name, startTimeFilter=ALL_TIME, executionFilter={"workflowId": "continued"}
    )["executionInfos"]
    assert len(open_runs) == 1
    assert open_runs[0]["execution"]["runId"] != continued["runId"]
