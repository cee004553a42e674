"""Exact SWF wire JSON of PollForDecisionTask responses for the sequential-activities workload.

A run of ``SeqWorkflow`` (see ``workloads.py``) after ``k`` of its activities completed holds
``6k + 3`` events while its next decision task is open::

    1 WorkflowExecutionStarted
    per activity: DecisionTaskScheduled, DecisionTaskStarted, DecisionTaskCompleted,
                  ActivityTaskScheduled, ActivityTaskStarted, ActivityTaskCompleted
    then:         DecisionTaskScheduled, DecisionTaskStarted       (the open task)

The generator writes that history as the response bodies of ``PollForDecisionTask``, paged
1,000 events per page: every page repeats the task fields (``taskToken``, ``startedEventId``,
``previousStartedEventId``, ``workflowExecution``, ``workflowType``) and every page but the
last carries a ``nextPageToken``, as SWF does. Timestamps are epoch seconds, as on the wire.

Two flavors mirror what each decider would itself have written into the history:
``botoflowx`` encodes call arguments as ``[[args...], {kwargs}]`` and ``botoflow`` (0.8) as
``[{"__tuple": [args...]}, {kwargs}]``. Activity ids are ``"1"``, ``"2"``, ... in both.

Run ``python benches/historygen.py --validate`` to check every page against botocore's
``PollForDecisionTask`` output shape, or ``--out DIR`` to write the pages to files.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workloads import PAD, step_result

__all__ = [
    "FLAVORS",
    "PAGE_SIZE",
    "SIZES",
    "History",
    "activities_for_events",
    "generate",
    "validate_pages",
    "warm_tasks",
]

PAGE_SIZE = 1000
FLAVORS = ("botoflowx", "botoflow")
# Size label -> completed activities; 6k+3 events: 99, 999, 9,999 and 24,999.
SIZES = {"~100": 16, "~1000": 166, "~10000": 1666, "~25000": 4166}

T0 = 1_764_230_400.0  # 2025-11-27T08:00:00Z: any fixed instant keeps runs comparable
WORKFLOW_ID = "bench-seq-1"
RUN_ID = "22BencHRunIdxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx="
TASK_LIST = "bench-decisions"
ACTIVITY_TASK_LIST = "bench-activities"
WORKFLOW_TYPE = {"name": "SeqWorkflow", "version": "1.0"}
ACTIVITY_TYPE = {"name": "SeqActivities.step", "version": "1.0"}
DECIDER_IDENTITY = "bench-decider-host:4242"
WORKER_IDENTITY = "bench-worker-host:4343"
# SWF task tokens are opaque base64 of about 470 characters.
TASK_TOKEN = "AAAAKgAAAAIAAAAAAAAAA" + "Qm90b2Zsb3d4QmVuY2g" * 23 + "="


def activities_for_events(events: int) -> int:
    """The number of completed activities whose open decision task has about ``events`` events."""
    return max(0, (events - 3) // 6)


def _encode_args(flavor: str, args: tuple[Any, ...]) -> str:
    if flavor == "botoflowx":
        return orjson.dumps([list(args), {}]).decode()
    if flavor == "botoflow":
        return orjson.dumps([{"__tuple": list(args)}, {}]).decode()
    raise ValueError(f"unknown flavor {flavor!r}; expected one of {FLAVORS}")


@dataclass(frozen=True)
class History:
    """One generated decision task: its pages and what a correct decider answers.

    Attributes:
        activities: Completed activities ``k``.
        events: Events in the task (``6k + 3``).
        pages: The raw ``PollForDecisionTask`` response bodies, in order.
        started_event_id: The open task's ``DecisionTaskStarted`` event id.
        previous_started_event_id: The previous task's ``DecisionTaskStarted`` (0 if none).
        total_activities: The workflow's ``n`` (its input), so the run is not over at ``k``.
    """

    activities: int
    events: int
    pages: list[bytes]
    started_event_id: int
    previous_started_event_id: int
    total_activities: int

    @property
    def size_bytes(self) -> int:
        """Total body bytes over all pages."""
        return sum(map(len, self.pages))

    @property
    def expected_activity_id(self) -> str:
        """The ``activityId`` of the one ScheduleActivityTask a correct decider answers with."""
        return str(self.activities + 1)


def _events(k: int, flavor: str, total: int) -> Iterator[dict[str, Any]]:
    next_id = 0

    def event(event_type: str, attributes: dict[str, Any]) -> dict[str, Any]:
        nonlocal next_id
        next_id += 1
        key = event_type[0].lower() + event_type[1:] + "EventAttributes"
        # A tenth of a second per event: distinct, increasing, float on the wire.
        return {
            "eventId": next_id,
            "eventTimestamp": round(T0 + next_id * 0.1, 3),
            "eventType": event_type,
            key: attributes,
        }

    yield event(
        "WorkflowExecutionStarted",
        {
            "input": _encode_args(flavor, (total,)),
            "executionStartToCloseTimeout": "604800",
            "taskStartToCloseTimeout": "30",
            "childPolicy": "TERMINATE",
            "taskList": {"name": TASK_LIST},
            "workflowType": dict(WORKFLOW_TYPE),
            "parentInitiatedEventId": 0,
        },
    )
    for index in range(k + 1):
        scheduled = next_id + 1
        yield event(
            "DecisionTaskScheduled",
            {"taskList": {"name": TASK_LIST}, "startToCloseTimeout": "30"},
        )
        started = next_id + 1
        yield event(
            "DecisionTaskStarted", {"scheduledEventId": scheduled, "identity": DECIDER_IDENTITY}
        )
        if index == k:
            return  # the open task
        completed = next_id + 1
        yield event(
            "DecisionTaskCompleted", {"scheduledEventId": scheduled, "startedEventId": started}
        )
        activity_scheduled = next_id + 1
        yield event(
            "ActivityTaskScheduled",
            {
                "activityType": dict(ACTIVITY_TYPE),
                "activityId": str(index + 1),
                "input": _encode_args(flavor, (index, PAD)),
                "scheduleToStartTimeout": "3600",
                "scheduleToCloseTimeout": "7200",
                "startToCloseTimeout": "3600",
                "heartbeatTimeout": "3600",
                "taskList": {"name": ACTIVITY_TASK_LIST},
                "decisionTaskCompletedEventId": completed,
            },
        )
        activity_started = next_id + 1
        yield event(
            "ActivityTaskStarted",
            {"identity": WORKER_IDENTITY, "scheduledEventId": activity_scheduled},
        )
        yield event(
            "ActivityTaskCompleted",
            {
                "result": orjson.dumps(step_result(index)).decode(),
                "scheduledEventId": activity_scheduled,
                "startedEventId": activity_started,
            },
        )


def generate(
    activities: int,
    *,
    flavor: str = "botoflowx",
    page_size: int = PAGE_SIZE,
    total_activities: int | None = None,
) -> History:
    """The open decision task of ``SeqWorkflow`` after ``activities`` completed.

    Args:
        activities: Completed activities ``k`` (the task has ``6k + 3`` events).
        flavor: ``"botoflowx"`` or ``"botoflow"`` (payload encoding, see the module doc).
        page_size: Events per page (SWF hands out at most 1,000).
        total_activities: The workflow's input ``n`` (default ``k + 1000``: still running).

    Returns:
        The pages as raw response bodies, plus what a correct decider answers.
    """
    total = activities + 1000 if total_activities is None else total_activities
    events = list(_events(activities, flavor, total))
    started_event_id = len(events)
    previous = started_event_id - 6 if activities else 0
    common = {
        "taskToken": TASK_TOKEN,
        "startedEventId": started_event_id,
        "previousStartedEventId": previous,
        "workflowExecution": {"workflowId": WORKFLOW_ID, "runId": RUN_ID},
        "workflowType": dict(WORKFLOW_TYPE),
    }
    pages: list[bytes] = []
    chunks = [events[i : i + page_size] for i in range(0, len(events), page_size)]
    for number, chunk in enumerate(chunks):
        body: dict[str, Any] = dict(common, events=chunk)
        if number + 1 < len(chunks):
            # Opaque to the client; like SWF's, it differs per page.
            body["nextPageToken"] = f"bench-page-{number + 1}-of-{len(chunks)}-" + "t" * 64
        pages.append(orjson.dumps(body))
    return History(activities, started_event_id, pages, started_event_id, previous, total)


def warm_tasks(
    activities: int, new_tasks: int, *, flavor: str = "botoflowx"
) -> tuple[History, list[tuple[int, bytes]]]:
    """A task after ``activities`` completions, then the deltas of the ``new_tasks`` after it.

    Each delta is what a sticky decider holding the previous task reads on a cache hit: one
    reverse-order page (``reverseOrder=True``, ``maximumPageSize`` = the 6 new events) of
    the next decision task, which opens after one more activity completed.

    Returns:
        The first task (all pages), and ``(started_event_id, body)`` of each following task.
    """
    total = activities + new_tasks + 1000
    first = generate(activities, flavor=flavor, total_activities=total)
    last = generate(activities + new_tasks, flavor=flavor, page_size=10**9, total_activities=total)
    body = orjson.loads(last.pages[0])
    events = body.pop("events")
    deltas: list[tuple[int, bytes]] = []
    previous = first.started_event_id
    for _ in range(new_tasks):
        started = previous + 6
        page = dict(
            body,
            startedEventId=started,
            previousStartedEventId=previous,
            events=events[previous:started][::-1],
        )
        # The page ends at the cached event, so SWF would offer the rest behind a token.
        page["nextPageToken"] = f"bench-reverse-after-{previous}-" + "t" * 64
        deltas.append((started, orjson.dumps(page)))
        previous = started
    return first, deltas


def validate_pages(pages: list[bytes]) -> list[str]:
    """Check pages against botocore's ``PollForDecisionTask`` output shape.

    Checks member names, types, required members, enums, string lengths and
    that each event has exactly one attributes member.

    Returns:
        One message per problem (empty when the pages conform).
    """
    import botocore.session

    model = botocore.session.get_session().get_service_model("swf")
    shape = model.operation_model("PollForDecisionTask").output_shape
    errors: list[str] = []

    def check(value: Any, shape: Any, where: str) -> None:
        kind = shape.type_name
        if kind == "structure":
            if not isinstance(value, dict):
                errors.append(f"{where}: expected an object")
                return
            for name in value:
                if name not in shape.members:
                    errors.append(f"{where}.{name}: not a member of {shape.name}")
            for name in shape.required_members:
                if name not in value:
                    errors.append(f"{where}: missing required {name}")
            for name, member in shape.members.items():
                if name in value:
                    check(value[name], member, f"{where}.{name}")
        elif kind == "list":
            if not isinstance(value, list):
                errors.append(f"{where}: expected a list")
                return
            for index, item in enumerate(value):
                check(item, shape.member, f"{where}[{index}]")
        elif kind == "string":
            if not isinstance(value, str):
                errors.append(f"{where}: expected a string")
                return
            enum = shape.metadata.get("enum")
            if enum and value not in enum:
                errors.append(f"{where}: {value!r} not in the enum")
            low, high = shape.metadata.get("min"), shape.metadata.get("max")
            if (low is not None and len(value) < low) or (high is not None and len(value) > high):
                errors.append(f"{where}: length {len(value)} outside [{low}, {high}]")
        elif kind in ("integer", "long"):
            if not isinstance(value, int) or isinstance(value, bool):
                errors.append(f"{where}: expected an integer")
        elif kind == "timestamp":
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                errors.append(f"{where}: expected epoch seconds")
        elif kind == "boolean":
            if not isinstance(value, bool):
                errors.append(f"{where}: expected a boolean")

    for number, page in enumerate(pages):
        body = orjson.loads(page)
        check(body, shape, f"page[{number}]")
        for event in body.get("events", []):
            attribute_keys = [key for key in event if key.endswith("EventAttributes")]
            expected = event["eventType"][0].lower() + event["eventType"][1:] + "EventAttributes"
            if attribute_keys != [expected]:
                errors.append(
                    f"page[{number}] event {event['eventId']}: attributes {attribute_keys}"
                )
    return errors


def main(argv: list[str] | None = None) -> int:
    """Command line: validate the pages or write them out."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--validate", action="store_true", help="check every size and flavor")
    parser.add_argument("--out", type=Path, help="write the pages of every size here")
    parser.add_argument("--flavor", choices=FLAVORS, default="botoflowx")
    args = parser.parse_args(argv)
    status = 0
    flavors = FLAVORS if args.validate else (args.flavor,)
    for flavor in flavors:
        for label, k in SIZES.items():
            history = generate(k, flavor=flavor)
            line = (
                f"{flavor:9s} {label:>7s}: {history.events:6,d} events, "
                f"{len(history.pages):2d} pages, {history.size_bytes:10,d} bytes"
            )
            if args.validate:
                errors = validate_pages(history.pages)
                line += f", {len(errors)} shape errors"
                for message in errors[:10]:
                    print("   ", message)
                status |= bool(errors)
            if args.out is not None:
                directory = args.out / flavor / label.lstrip("~")
                directory.mkdir(parents=True, exist_ok=True)
                for number, page in enumerate(history.pages):
                    (directory / f"page-{number:03d}.json").write_bytes(page)
            print(line)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
