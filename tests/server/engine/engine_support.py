"""Helpers for the engine tests: a driver around Engine.handle and decision builders."""

from __future__ import annotations

import itertools
from typing import Any

from botoflowx.server._engine import Engine

_ids = itertools.count(1)


class Driver:
    """Calls ``Engine.handle`` with the boilerplate filled in, in one domain."""

    def __init__(self, engine: Engine, domain: str) -> None:
        self.engine = engine
        self.domain = domain

    def __call__(self, operation: str, **params: Any) -> Any:
        return self.engine.handle(operation, params)

    def op(self, operation: str, **params: Any) -> Any:
        """Call an operation that takes ``domain``."""
        return self.engine.handle(operation, {"domain": self.domain, **params})

    def advance(self, seconds: float) -> float:
        return self.engine.advance_clock(seconds)

    # -- setup helpers ---------------------------------------------------------------

    def register_workflow(self, name: str = "wf", version: str = "1", **defaults: Any) -> None:
        config = {
            "defaultTaskList": {"name": "decisions"},
            "defaultExecutionStartToCloseTimeout": "3600",
            "defaultTaskStartToCloseTimeout": "30",
            "defaultChildPolicy": "TERMINATE",
        }
        config.update(defaults)
        self.op(
            "RegisterWorkflowType",
            name=name,
            version=version,
            **{k: v for k, v in config.items() if v is not None},
        )

    def register_activity(self, name: str = "act", version: str = "1", **defaults: Any) -> None:
        config = {
            "defaultTaskList": {"name": "activities"},
            "defaultTaskScheduleToStartTimeout": "NONE",
            "defaultTaskScheduleToCloseTimeout": "NONE",
            "defaultTaskStartToCloseTimeout": "NONE",
            "defaultTaskHeartbeatTimeout": "NONE",
        }
        config.update(defaults)
        self.op(
            "RegisterActivityType",
            name=name,
            version=version,
            **{k: v for k, v in config.items() if v is not None},
        )

    def start(
        self, workflow_id: str | None = None, name: str = "wf", version: str = "1", **options: Any
    ) -> dict[str, str]:
        workflow_id = workflow_id or f"wf-{next(_ids)}"
        run = self.op(
            "StartWorkflowExecution",
            workflowId=workflow_id,
            workflowType={"name": name, "version": version},
            **options,
        )
        return {"workflowId": workflow_id, "runId": run["runId"]}

    # -- task helpers ----------------------------------------------------------------

    def poll_decision(self, task_list: str = "decisions", **params: Any) -> dict[str, Any]:
        return self.op(
            "PollForDecisionTask", taskList={"name": task_list}, identity="decider", **params
        )

    def poll_activity(self, task_list: str = "activities") -> dict[str, Any]:
        return self.op("PollForActivityTask", taskList={"name": task_list}, identity="worker")

    def decide(self, task: dict[str, Any], *decisions: dict[str, Any], **params: Any) -> None:
        self(
            "RespondDecisionTaskCompleted",
            taskToken=task["taskToken"],
            decisions=list(decisions),
            **params,
        )

    def history(self, execution: dict[str, str]) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        token = None
        while True:
            extra = {"nextPageToken": token} if token else {}
            page = self.op("GetWorkflowExecutionHistory", execution=execution, **extra)
            events += page["events"]
            token = page.get("nextPageToken")
            if not token:
                return events

    def types(self, execution: dict[str, str]) -> list[str]:
        return [e["eventType"] for e in self.history(execution)]

    def describe(self, execution: dict[str, str]) -> dict[str, Any]:
        return self.op("DescribeWorkflowExecution", execution=execution)


def attrs(event: dict[str, Any]) -> dict[str, Any]:
    """Return the attributes member of a history event."""
    key = event["eventType"][0].lower() + event["eventType"][1:] + "EventAttributes"
    value: dict[str, Any] = event[key]
    return value


def last(events: list[dict[str, Any]], event_type: str) -> dict[str, Any]:
    """Return the last event of a type."""
    return [e for e in events if e["eventType"] == event_type][-1]


def schedule_activity(activity_id: str, name: str = "act", **extra: Any) -> dict[str, Any]:
    return {
        "decisionType": "ScheduleActivityTask",
        "scheduleActivityTaskDecisionAttributes": {
            "activityType": {"name": name, "version": "1"},
            "activityId": activity_id,
            **extra,
        },
    }


def start_timer(timer_id: str, seconds: str) -> dict[str, Any]:
    return {
        "decisionType": "StartTimer",
        "startTimerDecisionAttributes": {"timerId": timer_id, "startToFireTimeout": seconds},
    }


def complete(result: str | None = None) -> dict[str, Any]:
    attrs = {} if result is None else {"result": result}
    return {
        "decisionType": "CompleteWorkflowExecution",
        "completeWorkflowExecutionDecisionAttributes": attrs,
    }
