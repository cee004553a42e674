"""boto3 SWF shortcuts for black-box tests: clients, registration, polls and decisions.

These only shorten tests; every assertion stays in the tests themselves.
"""

from __future__ import annotations

import functools
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

JSON = dict[str, Any]
Execution = dict[str, str]

# Type defaults large enough that advancing the shared test clock in one test
# never times out another step of the same test by accident.
WORKFLOW_DEFAULTS: JSON = {
    "defaultTaskStartToCloseTimeout": "3600",
    "defaultExecutionStartToCloseTimeout": "86400",
    "defaultChildPolicy": "TERMINATE",
}
ACTIVITY_DEFAULTS: JSON = {
    "defaultTaskStartToCloseTimeout": "NONE",
    "defaultTaskHeartbeatTimeout": "NONE",
    "defaultTaskScheduleToStartTimeout": "NONE",
    "defaultTaskScheduleToCloseTimeout": "NONE",
}


def make_client(
    endpoint_url: str,
    *,
    max_attempts: int = 1,
    parameter_validation: bool = True,
    read_timeout: float = 70,
) -> Any:
    """Return a boto3 SWF client for ``endpoint_url`` with dummy credentials.

    Args:
        endpoint_url: the server's URL.
        max_attempts: total attempts per call; 1 means no retry, so a test sees
            exactly what the server answered.
        parameter_validation: False lets a test send what botocore would refuse.
        read_timeout: socket read timeout; SWF asks for >= 70 s for long polls.
    """
    config = Config(
        read_timeout=read_timeout,
        connect_timeout=10,
        retries={"total_max_attempts": max_attempts, "mode": "standard"},
        parameter_validation=parameter_validation,
    )
    with _SESSION_LOCK:
        # boto3 sessions are not thread-safe; clients made from one are independent.
        return _session().client("swf", endpoint_url=endpoint_url, config=config)


_SESSION_LOCK = threading.Lock()


@functools.cache
def _session() -> boto3.session.Session:
    # One session for the whole run: it caches the parsed service model, which makes
    # creating fifty clients for the concurrency tests cheap.
    return boto3.session.Session(
        aws_access_key_id="AKIDBOTOFLOWXTEST",
        aws_secret_access_key="botoflowx-test-secret",
        region_name="us-east-1",
    )


def unique(prefix: str) -> str:
    """Return ``prefix`` plus a short random suffix (valid in every SWF name)."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


# -- events ----------------------------------------------------------------------------------


def attrs(event: Mapping[str, Any]) -> JSON:
    """Return the ``<eventType>EventAttributes`` member of a history event."""
    event_type: str = event["eventType"]
    key = event_type[0].lower() + event_type[1:] + "EventAttributes"
    return dict(event[key])


def event_types(events: Iterable[Mapping[str, Any]]) -> list[str]:
    """Return the ``eventType`` of each event, in order."""
    return [e["eventType"] for e in events]


def events_of(events: Iterable[Mapping[str, Any]], event_type: str) -> list[JSON]:
    """Return the events of one type, in order."""
    return [dict(e) for e in events if e["eventType"] == event_type]


def only(events: Iterable[Mapping[str, Any]], event_type: str) -> JSON:
    """Return the single event of ``event_type``; fail if there are zero or several."""
    found = events_of(events, event_type)
    if len(found) != 1:
        raise AssertionError(f"expected exactly one {event_type}, found {len(found)}")
    return found[0]


def by_id(events: Iterable[Mapping[str, Any]], event_id: int) -> JSON:
    """Return the event with ``eventId == event_id``."""
    for event in events:
        if event["eventId"] == event_id:
            return dict(event)
    raise AssertionError(f"no event with eventId {event_id}")


# -- decisions -------------------------------------------------------------------------------


def decision(decision_type: str, **attributes: Any) -> JSON:
    """Build one SWF decision: ``{"decisionType": T, "<t>DecisionAttributes": {...}}``."""
    key = decision_type[0].lower() + decision_type[1:] + "DecisionAttributes"
    return {"decisionType": decision_type, key: attributes}


def schedule_activity(activity_type: Mapping[str, str], activity_id: str, **kw: Any) -> JSON:
    """ScheduleActivityTask for ``activity_type`` with ``activity_id``."""
    return decision(
        "ScheduleActivityTask", activityType=dict(activity_type), activityId=activity_id, **kw
    )


def start_timer(timer_id: str, seconds: int | str, **kw: Any) -> JSON:
    """StartTimer firing after ``seconds``."""
    return decision("StartTimer", timerId=timer_id, startToFireTimeout=str(seconds), **kw)


def complete_workflow(result: str | None = None) -> JSON:
    """CompleteWorkflowExecution with an optional result."""
    return decision("CompleteWorkflowExecution", **({} if result is None else {"result": result}))


# -- the per-test domain ---------------------------------------------------------------------


@dataclass
class DecisionTask:
    """A decision task with all its history pages joined (ascending unless asked otherwise)."""

    token: str
    started_event_id: int
    previous_started_event_id: int | None
    execution: Execution
    workflow_type: JSON
    events: list[JSON]
    pages: int
    raw_first_page: JSON = field(repr=False)


@dataclass
class SWFDomain:
    """A freshly registered domain with one workflow type and one activity type.

    The workflow type's default decision task list is ``task_list``; the activity
    type's default task list is ``activity_task_list``. Both types carry defaults for
    every timeout, so a bare start or ScheduleActivityTask is valid.
    """

    client: Any
    name: str
    workflow_type: JSON
    activity_type: JSON
    task_list: str
    activity_task_list: str

    # registration

    def register_workflow_type(
        self, name: str | None = None, version: str = "1", **kw: Any
    ) -> JSON:
        """Register a workflow type (no defaults unless given) and return its key."""
        wf_type = {"name": name or unique("wf"), "version": version}
        self.client.register_workflow_type(domain=self.name, **wf_type, **kw)
        return wf_type

    def register_activity_type(
        self, name: str | None = None, version: str = "1", **kw: Any
    ) -> JSON:
        """Register an activity type (no defaults unless given) and return its key."""
        act_type = {"name": name or unique("act"), "version": version}
        self.client.register_activity_type(domain=self.name, **act_type, **kw)
        return act_type

    # executions

    def start(
        self,
        workflow_id: str | None = None,
        workflow_type: Mapping[str, str] | None = None,
        **kw: Any,
    ) -> Execution:
        """Start an execution and return ``{"workflowId", "runId"}``."""
        wid = workflow_id or unique("wid")
        response = self.client.start_workflow_execution(
            domain=self.name,
            workflowId=wid,
            workflowType=dict(workflow_type or self.workflow_type),
            **kw,
        )
        return {"workflowId": wid, "runId": response["runId"]}

    def history(self, execution: Mapping[str, str], *, reverse: bool = False) -> list[JSON]:
        """Return the whole history of ``execution``, following every page."""
        events: list[JSON] = []
        kwargs: JSON = {"domain": self.name, "execution": dict(execution), "reverseOrder": reverse}
        while True:
            page = self.client.get_workflow_execution_history(**kwargs)
            events.extend(page["events"])
            if not page.get("nextPageToken"):
                return events
            kwargs["nextPageToken"] = page["nextPageToken"]

    def describe(self, execution: Mapping[str, str]) -> JSON:
        """DescribeWorkflowExecution."""
        return dict(
            self.client.describe_workflow_execution(domain=self.name, execution=dict(execution))
        )

    # decision tasks

    def poll_decision(self, task_list: str | None = None, **kw: Any) -> DecisionTask | None:
        """Poll once for a decision task and follow all its history pages.

        Returns:
            The task, or None when the long poll came back empty.
        """
        args: JSON = {
            "domain": self.name,
            "taskList": {"name": task_list or self.task_list},
            "identity": "conformance-decider",
            **kw,
        }
        first = self.client.poll_for_decision_task(**args)
        if not first.get("taskToken"):
            return None
        events = list(first["events"])
        pages = 1
        page = first
        while page.get("nextPageToken"):
            page = self.client.poll_for_decision_task(**args, nextPageToken=page["nextPageToken"])
            events.extend(page["events"])
            pages += 1
        return DecisionTask(
            token=first["taskToken"],
            started_event_id=first["startedEventId"],
            previous_started_event_id=first.get("previousStartedEventId"),
            execution=dict(first["workflowExecution"]),
            workflow_type=dict(first["workflowType"]),
            events=events,
            pages=pages,
            raw_first_page=dict(first),
        )

    def expect_decision(self, task_list: str | None = None, **kw: Any) -> DecisionTask:
        """Poll for a decision task that must be there; fail with a clear message if not."""
        task = self.poll_decision(task_list, **kw)
        if task is None:
            raise AssertionError(f"no decision task on {task_list or self.task_list!r}")
        return task

    def decide(
        self, task: DecisionTask | str, decisions: list[JSON] | None = None, **kw: Any
    ) -> None:
        """RespondDecisionTaskCompleted for ``task`` (or a raw task token)."""
        token = task if isinstance(task, str) else task.token
        self.client.respond_decision_task_completed(
            taskToken=token, decisions=decisions or [], **kw
        )

    # activity tasks

    def poll_activity(self, task_list: str | None = None, **kw: Any) -> JSON | None:
        """Poll once for an activity task; None when the long poll came back empty."""
        task = self.client.poll_for_activity_task(
            domain=self.name,
            taskList={"name": task_list or self.activity_task_list},
            identity="conformance-worker",
            **kw,
        )
        return dict(task) if task.get("taskToken") else None

    def expect_activity(self, task_list: str | None = None) -> JSON:
        """Poll for an activity task that must be there."""
        task = self.poll_activity(task_list)
        if task is None:
            raise AssertionError(f"no activity task on {task_list or self.activity_task_list!r}")
        return task

    # compound steps

    def start_and_decide(
        self, decisions: list[JSON], execution_kw: Mapping[str, Any] | None = None
    ) -> tuple[Execution, DecisionTask]:
        """Start an execution, take its first decision task and answer it with ``decisions``."""
        execution = self.start(**dict(execution_kw or {}))
        task = self.expect_decision()
        self.decide(task, decisions)
        return execution, task


def register_domain(
    client: Any, name: str | None = None, retention_days: str = "1", **kw: Any
) -> str:
    """Register a fresh domain and return its name."""
    domain = name or unique("dom")
    client.register_domain(name=domain, workflowExecutionRetentionPeriodInDays=retention_days, **kw)
    return domain


def new_domain(client: Any) -> SWFDomain:
    """Register a domain, a workflow type and an activity type with full defaults."""
    domain = register_domain(client)
    task_list = unique("decisions")
    activity_task_list = unique("activities")
    wf_type = {"name": "ConformanceWorkflow", "version": "1"}
    client.register_workflow_type(
        domain=domain, **wf_type, defaultTaskList={"name": task_list}, **WORKFLOW_DEFAULTS
    )
    act_type = {"name": "ConformanceActivity", "version": "1"}
    client.register_activity_type(
        domain=domain, **act_type, defaultTaskList={"name": activity_task_list}, **ACTIVITY_DEFAULTS
    )
    return SWFDomain(
        client=client,
        name=domain,
        workflow_type=wf_type,
        activity_type=act_type,
        task_list=task_list,
        activity_task_list=activity_task_list,
    )


def error_code(exc: BaseException) -> str:
    """Return botocore's error code of a ClientError (``UnknownResourceFault``, ...)."""
    response = getattr(exc, "response", None)
    if not response:
        raise AssertionError(f"not a botocore ClientError: {exc!r}")
    return str(response["Error"]["Code"])
