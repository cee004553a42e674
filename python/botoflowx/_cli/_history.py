"""``botoflowx history``: a run's events as a readable timeline (or the raw JSON)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

import orjson

from botoflowx._cli._common import (
    CliError,
    Connection,
    format_seconds,
    format_time,
    print_json,
    print_table,
    require_domain,
)
from botoflowx.replayer import History, event_attributes

# Payloads longer than this are cut in the timeline (--json shows them whole).
PAYLOAD_WIDTH = 60

# For each event type: the attribute naming the earlier event it follows, and
# how to label the time in between.
_SINCE: dict[str, tuple[str, str]] = {
    "DecisionTaskStarted": ("scheduledEventId", "waited"),
    "DecisionTaskCompleted": ("startedEventId", "took"),
    "DecisionTaskTimedOut": ("startedEventId", "after"),
    "ActivityTaskStarted": ("scheduledEventId", "waited"),
    "ActivityTaskCompleted": ("startedEventId", "ran"),
    "ActivityTaskFailed": ("startedEventId", "ran"),
    "ActivityTaskTimedOut": ("scheduledEventId", "after"),
    "ActivityTaskCanceled": ("scheduledEventId", "after"),
    "TimerFired": ("startedEventId", "after"),
    "TimerCanceled": ("startedEventId", "after"),
    "ChildWorkflowExecutionStarted": ("initiatedEventId", "waited"),
    "ChildWorkflowExecutionCompleted": ("startedEventId", "ran"),
    "ChildWorkflowExecutionFailed": ("startedEventId", "ran"),
    "ChildWorkflowExecutionTimedOut": ("startedEventId", "after"),
    "ChildWorkflowExecutionCanceled": ("startedEventId", "after"),
    "ChildWorkflowExecutionTerminated": ("startedEventId", "after"),
    "ExternalWorkflowExecutionSignaled": ("initiatedEventId", "after"),
    "ExternalWorkflowExecutionCancelRequested": ("initiatedEventId", "after"),
}


def add_parser(commands: Any, common: list[argparse.ArgumentParser]) -> None:
    """Register ``botoflowx history``."""
    parser = commands.add_parser(
        "history",
        parents=common,
        help="show a run's history as a timeline",
        description=(
            "Show a run's history: event id, time since the start, event type, the decoded "
            "payloads and the time between scheduled, started and closed events. --json "
            "prints the raw events (the form `botoflowx replay --file` reads)."
        ),
    )
    parser.add_argument("workflow_id", metavar="WORKFLOW_ID")
    parser.add_argument("--run-id", help="the run (default: the open run, else the latest)")
    parser.add_argument(
        "--json", action="store_true", help="print the raw events as JSON (same as --output json)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Fetch the history and print it."""
    from botoflowx.replayer import WorkflowReplayer

    domain = require_domain(args)
    connection: Connection = args.connection
    replayer = WorkflowReplayer(**connection.worker_kwargs(), aws_region=connection.target.region)
    try:
        history = replayer.fetch_history(domain, args.workflow_id, args.run_id)
    except LookupError as exc:
        raise CliError(str(exc)) from None
    finally:
        replayer.close()
    if args.json or args.output == "json":
        print_json(history.to_json())
    else:
        print_timeline(history)
    return 0


def print_timeline(history: History, stream: TextIO | None = None) -> None:
    """Print the run's header and one line per event."""
    out = stream or sys.stdout
    events = history.events
    if not events:
        out.write("(empty history)\n")
        return
    start = float(events[0]["eventTimestamp"])
    kind = history.workflow_type
    header = [
        f"workflow {history.workflow_id}" + (f"  run {history.run_id}" if history.run_id else ""),
        f"type     {kind[0]} {kind[1]}" if kind else "",
        f"started  {format_time(start)}",
    ]
    for line in header:
        if line:
            out.write(line + "\n")
    out.write("\n")
    print_table(("ID", "TIME", "EVENT", "DETAILS"), timeline_rows(events), out)


def timeline_rows(events: Sequence[Mapping[str, Any]]) -> list[tuple[str, str, str, str]]:
    """One ``(id, +time, type, details)`` row per event."""
    from botoflowx.converter import default_converter

    converter = default_converter()
    start = float(events[0]["eventTimestamp"])
    by_id = {int(event["eventId"]): event for event in events}
    rows = []
    for event in events:
        event_type = str(event["eventType"])
        attrs = event_attributes(event)
        details = _details(event_type, attrs, converter)
        since = _SINCE.get(event_type)
        if since is not None:
            earlier = by_id.get(int(attrs.get(since[0]) or 0))
            if earlier is not None:
                elapsed = float(event["eventTimestamp"]) - float(earlier["eventTimestamp"])
                details.append(f"{since[1]} {format_seconds(elapsed)}")
        if event_type.startswith("WorkflowExecution") and event_type not in (
            "WorkflowExecutionStarted",
            "WorkflowExecutionSignaled",
            "WorkflowExecutionCancelRequested",
        ):
            details.append(f"run took {format_seconds(float(event['eventTimestamp']) - start)}")
        offset = float(event["eventTimestamp"]) - start
        rows.append(
            (
                str(event["eventId"]),
                f"+{format_seconds(offset)}",
                event_type,
                ", ".join(part for part in details if part),
            )
        )
    return rows


def _details(event_type: str, attrs: Mapping[str, Any], converter: Any) -> list[str]:
    """The few attributes of an event worth reading, payloads decoded."""
    parts: list[str] = []

    def named(key: str, label: str | None = None) -> None:
        value = attrs.get(key)
        if isinstance(value, Mapping):
            value = " ".join(str(v) for v in (value.get("name"), value.get("version")) if v)
        if value not in (None, ""):
            parts.append(f"{label} {value}" if label else str(value))

    if event_type == "WorkflowExecutionStarted":
        named("workflowType")
        named("taskList", "task list")
        parts.append(f"input {_call(attrs.get('input'), converter)}")
    elif event_type == "ActivityTaskScheduled":
        named("activityType")
        named("activityId", "id")
        parts.append(f"input {_call(attrs.get('input'), converter)}")
    elif event_type in ("StartChildWorkflowExecutionInitiated",):
        named("workflowType")
        named("workflowId", "id")
        parts.append(f"input {_call(attrs.get('input'), converter)}")
    elif event_type in (
        "WorkflowExecutionSignaled",
        "SignalExternalWorkflowExecutionInitiated",
    ):
        named("signalName")
        named("workflowId", "to")
        parts.append(f"input {_call(attrs.get('input'), converter)}")
    elif event_type in ("TimerStarted",):
        named("timerId", "id")
        named("startToFireTimeout", "fires in")
        if parts and parts[-1].startswith("fires in"):
            parts[-1] += "s"
    elif event_type == "MarkerRecorded":
        named("markerName")
        if attrs.get("details") is not None:
            parts.append(f"details {_value(attrs['details'], converter)}")
    elif event_type in ("DecisionTaskCompleted",) and attrs.get("executionContext"):
        parts.append(f"state {_value(attrs['executionContext'], converter)}")
    if "result" in attrs:
        parts.append(f"result {_value(attrs.get('result'), converter)}")
    for key in ("reason", "timeoutType", "cause"):
        if attrs.get(key):
            parts.append(f"{key} {_cut(str(attrs[key]))}")
    if event_type == "WorkflowExecutionContinuedAsNew":
        named("newExecutionRunId", "new run")
    return parts


def _cut(text: str, width: int = PAYLOAD_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _value(payload: Any, converter: Any) -> str:
    """A payload decoded and shown as compact JSON-like text."""
    if payload is None:
        return "null"
    try:
        decoded = converter.loads(payload)
    except Exception:  # written by another converter: show it as it is
        return _cut(str(payload))
    return _cut(show_value(decoded))


def _call(payload: Any, converter: Any) -> str:
    """Call input ``[args, kwargs]`` shown as ``(a, b, key=c)``."""
    if payload is None:
        return "()"
    try:
        args, kwargs = converter.loads_input(payload)
    except Exception:  # not call input: show the raw text
        return _cut(str(payload))
    shown = [show_value(arg) for arg in args] + [f"{k}={show_value(v)}" for k, v in kwargs.items()]
    return _cut("(" + ", ".join(shown) + ")")


def show_value(value: Any) -> str:
    """A decoded value as compact JSON, or its repr when JSON cannot hold it."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return repr(value)
