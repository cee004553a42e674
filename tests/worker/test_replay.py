"""Replay of a recorded history: same decisions offline, NonDeterminismError for changed code.

The fixture ``fixtures/hello_world_history.json`` holds the raw
``GetWorkflowExecutionHistory`` pages of one Hello World run on the embedded
server (several pages: it was read with a small page size). Re-record it with::

    .venv/bin/python tests/worker/test_replay.py --record
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

sys.path.insert(0, str(Path(__file__).parent))  # so --record finds the helpers

from test_integration import Acts, HelloWorkflow

from botoflowx._replay import DecisionTaskPage, NonDeterminismError
from botoflowx.worker._decider import decide
from botoflowx.workflow._definition import WorkflowDefinition, execute, workflow

FIXTURE = Path(__file__).with_name("fixtures") / "hello_world_history.json"

# What each decision leaves in the history, and the event member that names it.
RECORDED_AS = {
    "ScheduleActivityTask": ("ActivityTaskScheduled", "activityId"),
    "StartTimer": ("TimerStarted", "timerId"),
    "CompleteWorkflowExecution": ("WorkflowExecutionCompleted", None),
    "FailWorkflowExecution": ("WorkflowExecutionFailed", None),
}


@workflow(name="HelloWorkflow")
class ChangedHelloWorkflow(WorkflowDefinition):
    """Hello World after an incompatible edit: the first activity is a different one."""

    @execute(version="1.0", execution_start_to_close_timeout=600)
    def hello(self) -> Any:
        name = yield Acts.square(1)  # changed: was Acts.get_name()
        greeting = yield Acts.greet(name)
        return greeting


def load_fixture() -> dict[str, Any]:
    fixture: dict[str, Any] = orjson.loads(FIXTURE.read_bytes())
    return fixture


def parsed_pages(fixture: dict[str, Any]) -> list[DecisionTaskPage]:
    return [DecisionTaskPage.parse(orjson.dumps(page)) for page in fixture["pages"]]


def all_events(fixture: dict[str, Any]) -> list[dict[str, Any]]:
    events = [event for page in fixture["pages"] for event in page["events"]]
    return sorted(events, key=lambda event: event["eventId"])


def attributes(event: dict[str, Any]) -> dict[str, Any]:
    kind = event["eventType"]
    attrs: dict[str, Any] = event[kind[0].lower() + kind[1:] + "EventAttributes"]
    return attrs


def definitions_for(cls: type) -> dict[tuple[str, str], tuple[type, Any]]:
    return {key: (cls, meta) for key, meta in cls.__workflow_types__.items()}  # type: ignore[attr-defined]


def test_fixture_spans_several_pages() -> None:
    fixture = load_fixture()
    assert len(fixture["pages"]) > 1
    ids = [event["eventId"] for event in all_events(fixture)]
    assert ids == list(range(1, len(ids) + 1))


def test_each_decision_task_replays_to_the_recorded_decisions() -> None:
    fixture = load_fixture()
    pages = parsed_pages(fixture)
    events = all_events(fixture)
    completed = [e for e in events if e["eventType"] == "DecisionTaskCompleted"]
    assert len(completed) == 3  # schedule get_name, schedule greet, complete
    for task in completed:
        started_id = attributes(task)["startedEventId"]
        recorded = [
            (e["eventType"], attributes(e).get("activityId") or attributes(e).get("timerId") or "")
            for e in events
            if attributes(e).get("decisionTaskCompletedEventId") == task["eventId"]
        ]
        result = decide(
            pages,
            started_id,
            definitions_for(HelloWorkflow),
            workflow_id=fixture["workflow_id"],
            run_id=fixture["run_id"],
        )
        produced = []
        for decision in result.decisions:
            event_type, key_member = RECORDED_AS[decision["decisionType"]]
            attrs_key = decision["decisionType"][0].lower() + decision["decisionType"][1:]
            attrs = decision.get(attrs_key + "DecisionAttributes", {})
            produced.append((event_type, attrs.get(key_member, "") if key_member else ""))
        assert produced == recorded, f"decision task started at event {started_id}"


def test_whole_history_replays_with_nothing_new_to_decide() -> None:
    # Up to the close event every decision is already recorded: replay only.
    fixture = load_fixture()
    events = all_events(fixture)
    assert events[-1]["eventType"] == "WorkflowExecutionCompleted"
    result = decide(
        parsed_pages(fixture),
        events[-1]["eventId"],
        definitions_for(HelloWorkflow),
        workflow_id=fixture["workflow_id"],
        run_id=fixture["run_id"],
    )
    assert result.decisions == []


def test_changed_workflow_raises_non_determinism_with_event_and_code_line() -> None:
    fixture = load_fixture()
    events = all_events(fixture)
    last_started = max(e["eventId"] for e in events if e["eventType"] == "DecisionTaskStarted")
    first_scheduled = next(e for e in events if e["eventType"] == "ActivityTaskScheduled")
    changed_line = next(
        number
        for number, line in enumerate(Path(__file__).read_text().splitlines(), start=1)
        if "# changed: was Acts.get_name()" in line
    )
    with pytest.raises(NonDeterminismError) as info:
        decide(
            parsed_pages(fixture),
            last_started,
            definitions_for(ChangedHelloWorkflow),
            workflow_id=fixture["workflow_id"],
            run_id=fixture["run_id"],
        )
    assert info.value.event_id == first_scheduled["eventId"]
    assert f"test_replay.py:{changed_line}" in info.value.location


def record(path: Path = FIXTURE) -> None:
    """Run Hello World on an embedded server and save its raw history pages."""
    from worker_harness import Harness

    from botoflowx.client import make_swf_transport
    from botoflowx.server import EmbeddedServer

    with EmbeddedServer(port=0, database=":memory:", long_poll_seconds=1) as server:
        harness = Harness(server.endpoint_url)
        with harness.workers([HelloWorkflow], [Acts()]):
            handle = harness.start(lambda: HelloWorkflow.hello())
            assert handle.result(timeout=60) == "Hello World!"
        transport = make_swf_transport(endpoint_url=server.endpoint_url)
        pages: list[Any] = []
        token = None
        while True:
            params: dict[str, Any] = {
                "domain": harness.domain,
                "execution": {"workflowId": handle.workflow_id, "runId": handle.run_id},
                "maximumPageSize": 7,
            }
            if token:
                params["nextPageToken"] = token
            page = orjson.loads(transport.call("GetWorkflowExecutionHistory", params))
            pages.append(page)
            token = page.get("nextPageToken")
            if not token:
                break
    path.parent.mkdir(parents=True, exist_ok=True)
    fixture = {"workflow_id": handle.workflow_id, "run_id": handle.run_id, "pages": pages}
    path.write_bytes(orjson.dumps(fixture, option=orjson.OPT_INDENT_2) + b"\n")
    print(f"recorded {sum(len(p['events']) for p in pages)} events in {len(pages)} pages to {path}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--record"]:
        record()
    else:
        print(__doc__)
