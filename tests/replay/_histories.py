"""Synthetic SWF histories as raw response pages, for the replay-core tests and benchmark.

The workload mirrors ``perf-baseline.md``: a run of ``n`` activities made one after
another (6n+3 events while the next task is open), ~100-byte JSON payloads, a
~470-character task token repeated on every page, pages of at most 1000 events.
"""

from __future__ import annotations

from typing import Any

import orjson

T0 = 1_700_000_000.0
TASK_TOKEN = "AAAA" + "x" * 466
RUN = {"workflowId": "wf-1", "runId": "run-1"}
WORKFLOW_TYPE = {"name": "SeqWorkflow", "version": "1.0"}

Event = dict[str, Any]


class HistoryBuilder:
    """Appends SWF history events with consecutive ids; helpers return the new id."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    @property
    def last_id(self) -> int:
        return len(self.events)

    def add(self, event_type: str, **attributes: Any) -> int:
        event_id = self.last_id + 1
        key = event_type[0].lower() + event_type[1:] + "EventAttributes"
        self.events.append(
            {
                "eventId": event_id,
                "eventTimestamp": T0 + event_id,
                "eventType": event_type,
                key: attributes,
            }
        )
        return event_id

    def started(self, input: str) -> int:
        return self.add(
            "WorkflowExecutionStarted",
            input=input,
            childPolicy="TERMINATE",
            taskList={"name": "tasklist1"},
            workflowType=WORKFLOW_TYPE,
            executionStartToCloseTimeout="60",
            taskStartToCloseTimeout="10",
            tagList=["t1"],
            parentInitiatedEventId=0,
        )

    def task_started(self) -> int:
        scheduled = self.add("DecisionTaskScheduled", taskList={"name": "tasklist1"})
        return self.add("DecisionTaskStarted", scheduledEventId=scheduled, identity="decider")

    def task_completed(self, started: int) -> int:
        return self.add(
            "DecisionTaskCompleted", scheduledEventId=started - 1, startedEventId=started
        )

    def task(self) -> int:
        return self.task_completed(self.task_started())

    def activity_scheduled(self, dtc: int, activity_id: str, name: str, input: str) -> int:
        return self.add(
            "ActivityTaskScheduled",
            activityType={"name": name, "version": "1.0"},
            activityId=activity_id,
            input=input,
            taskList={"name": "tasklist1"},
            startToCloseTimeout="60",
            scheduleToStartTimeout="60",
            scheduleToCloseTimeout="120",
            heartbeatTimeout="NONE",
            decisionTaskCompletedEventId=dtc,
        )

    def activity_completed(self, scheduled: int, result: str) -> int:
        started = self.add("ActivityTaskStarted", scheduledEventId=scheduled, identity="worker")
        return self.add(
            "ActivityTaskCompleted",
            result=result,
            scheduledEventId=scheduled,
            startedEventId=started,
        )

    def pages(
        self, *, first: int = 1, last: int | None = None, size: int = 1000, reverse: bool = False
    ) -> list[bytes]:
        """Events ``first..last`` as PollForDecisionTask bodies of at most ``size`` events.

        With ``reverse`` the pages come newest first, each listing newest first, as
        ``reverseOrder=true`` returns them.
        """
        last = self.last_id if last is None else last
        events = self.events[first - 1 : last]
        if reverse:
            events = events[::-1]
        chunks = [events[i : i + size] for i in range(0, len(events), size)]
        bodies = []
        for number, chunk in enumerate(chunks):
            body: dict[str, Any] = {
                "taskToken": TASK_TOKEN,
                "startedEventId": last,
                "previousStartedEventId": 0,
                "workflowExecution": RUN,
                "workflowType": WORKFLOW_TYPE,
                "events": chunk,
            }
            if number + 1 < len(chunks):
                body["nextPageToken"] = f"page-{number + 1}"
            bodies.append(orjson.dumps(body))
        return bodies


def activity_input(i: int) -> str:
    return orjson.dumps([{"__tuple": [i, f"argument-{i:06d}", [i, i + 1, i + 2]]}, {}]).decode()


def activity_result(i: int) -> str:
    return orjson.dumps({"step": i, "value": f"result-{i:06d}", "items": [i] * 8}).decode()


def sequential(n: int, *, name: str = "step") -> HistoryBuilder:
    """A run that made ``n`` activities one after another; the next task is open."""
    b = HistoryBuilder()
    b.started(orjson.dumps([[], {}]).decode())
    started = b.task_started()
    for i in range(1, n + 1):
        dtc = b.task_completed(started)
        scheduled = b.activity_scheduled(dtc, str(i), name, activity_input(i))
        b.activity_completed(scheduled, activity_result(i))
        started = b.task_started()
    return b


def sequential_commands(k: int, n: int, *, name: str = "step") -> list[tuple[str, str, str, str]]:
    """The commands the sequential workflow makes at its ``k``-th activation."""
    if k < n:
        return [("ScheduleActivityTask", str(k + 1), name, "seq.py:12 in run")]
    return [("CompleteWorkflowExecution", "", "", "seq.py:14 in run")]
