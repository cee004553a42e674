"""WorkflowReplayer: recorded files in every JSON shape, up to event N, mismatches, live, bulk.

``fixtures/pipeline_history.json`` is a ``Pipeline`` run (activity, one-hour
timer, two parallel activities) as boto3's ``get_workflow_execution_history``
returned it, saved with ``json.dump(..., default=str)`` (timestamps become
``"2026-... +00:00"`` strings). Re-record it with::

    .venv/bin/python tests/replayer/test_replayer.py --record
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from replayer_flows import HelloWorkflow, Maths, Pipeline, PipelineRefactored, PipelineWithoutTimer

from botoflowx._replay import NonDeterminismError, ReplayError
from botoflowx.replayer import (
    History,
    HistoryFormatError,
    WorkflowReplayer,
    decision_batch_end,
    load_history,
)
from botoflowx.testing import WorkflowEnvironment

HERE = Path(__file__).parent
PIPELINE_FIXTURE = HERE / "fixtures" / "pipeline_history.json"
HELLO_FIXTURE = HERE.parent / "worker" / "fixtures" / "hello_world_history.json"


def edited_line() -> int:
    """The line of flows.py where the incompatible edit produces its first command."""
    lines = (HERE / "replayer_flows.py").read_text().splitlines()
    return next(n for n, line in enumerate(lines, start=1) if "# edited: no sleep" in line)


def fixture_events() -> list[dict[str, Any]]:
    document: dict[str, Any] = json.loads(PIPELINE_FIXTURE.read_text())
    events: list[dict[str, Any]] = document["events"]
    return events


# -- files and shapes ----------------------------------------------------------------------


def test_recorded_boto3_file_replays() -> None:
    outcome = WorkflowReplayer(Pipeline).replay(PIPELINE_FIXTURE)
    assert outcome.ok, outcome.summary()
    assert outcome.workflow_type == ("Pipeline", "1.0")
    assert outcome.replayed_to == outcome.event_count == len(fixture_events())
    assert outcome.next_decisions == []
    assert outcome.workflow_id and outcome.run_id  # the fixture carries its execution


def test_fixture_timestamps_are_strings_as_boto3_users_save_them() -> None:
    stamp = fixture_events()[0]["eventTimestamp"]
    assert isinstance(stamp, str) and "+00:00" in stamp


def test_raw_wire_pages_replay() -> None:
    # The Hello World fixture of the worker tests: raw pages, epoch timestamps.
    outcome = WorkflowReplayer(HelloWorkflow).replay(HELLO_FIXTURE)
    assert outcome.ok, outcome.summary()
    assert outcome.event_count == 17


@pytest.mark.parametrize(
    "stamp",
    [
        lambda t: t.timestamp(),  # the wire: epoch seconds
        lambda t: t.isoformat(),  # isoformat(): "2026-11-27T18:10:01.234000+00:00"
        lambda t: str(t),  # json default=str: "2026-11-27 18:10:01.234000+00:00"
        lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",  # the AWS CLI's iso8601
        lambda t: t,  # boto3's datetime objects, not serialised at all
    ],
    ids=["epoch", "isoformat", "str", "aws-cli", "datetime"],
)
def test_every_timestamp_form_gives_the_same_wire_events(stamp: Any) -> None:
    reference = load_history(PIPELINE_FIXTURE)
    events = []
    for event in reference.events:
        moment = dt.datetime.fromtimestamp(event["eventTimestamp"], dt.timezone.utc)
        events.append({**event, "eventTimestamp": stamp(moment)})
    loaded = load_history({"events": events})
    assert [e["eventTimestamp"] for e in loaded.events] == pytest.approx(
        [e["eventTimestamp"] for e in reference.events], abs=1e-3
    )
    assert WorkflowReplayer(Pipeline).replay(loaded).ok


def test_pages_in_any_order_overlapping_and_bare_event_lists() -> None:
    events = load_history(PIPELINE_FIXTURE).events
    pages = [{"events": events[10:]}, {"events": events[:12]}]
    assert load_history(pages).events == events
    assert load_history({"pages": pages}).events == events
    assert load_history(list(reversed(events))).events == events
    assert load_history(orjson.dumps({"events": events})).events == events


def test_ids_come_from_the_document_or_the_caller() -> None:
    events = fixture_events()
    history = load_history({"events": events, "execution": {"workflowId": "w", "runId": "r"}})
    assert (history.workflow_id, history.run_id) == ("w", "r")
    assert load_history(history, run_id="other").run_id == "other"
    assert load_history({"events": events}).workflow_id == ""


def test_unreadable_documents_say_what_is_wrong(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"events": [1, 2')
    with pytest.raises(HistoryFormatError, match="not valid JSON"):
        load_history(bad)
    with pytest.raises(HistoryFormatError, match='"events" list'):
        load_history({"history": []})
    events = fixture_events()
    with pytest.raises(HistoryFormatError, match=r"missing \[3\]"):
        load_history({"events": events[:2] + events[3:]})
    broken = [dict(events[0], eventTimestamp="yesterday"), *events[1:]]
    with pytest.raises(HistoryFormatError, match="neither epoch seconds nor ISO 8601"):
        load_history({"events": broken})
    with pytest.raises(FileNotFoundError):
        load_history(tmp_path / "missing.json")


# -- up to event N ---------------------------------------------------------------------------


def test_up_to_every_event_replays_and_snaps_inside_decision_batches() -> None:
    replayer = WorkflowReplayer(Pipeline)
    history = load_history(PIPELINE_FIXTURE)
    for n in range(1, history.last_event_id + 1):
        outcome = replayer.replay(history, up_to_event=n)
        assert outcome.ok, f"up to event {n}: {outcome.summary()}"
        assert outcome.replayed_to >= n
        # The cut moves only across the decisions of one DecisionTaskCompleted.
        for skipped in range(n + 1, outcome.replayed_to + 1):
            attrs = next(
                v for k, v in history.event(skipped).items() if k.endswith("EventAttributes")
            )
            assert "decisionTaskCompletedEventId" in attrs


def test_up_to_a_decision_task_completed_includes_its_decisions() -> None:
    history = load_history(PIPELINE_FIXTURE)
    completed = next(
        e["eventId"]
        for e in history.events
        if e["eventType"] == "DecisionTaskCompleted"
        and history.event(e["eventId"] + 2)["eventType"] == "ActivityTaskScheduled"
    )
    # Two activities scheduled by one decision task: the cut covers both.
    assert decision_batch_end(history, completed) == completed + 2
    assert decision_batch_end(history, completed + 1) == completed + 2


def test_up_to_a_started_decision_task_reports_the_next_decisions() -> None:
    history = load_history(PIPELINE_FIXTURE)
    first_started = next(e for e in history.events if e["eventType"] == "DecisionTaskStarted")
    outcome = WorkflowReplayer(Pipeline).replay(history, up_to_event=first_started["eventId"])
    assert outcome.ok
    assert [d["decisionType"] for d in outcome.next_decisions] == ["ScheduleActivityTask"]
    attrs = outcome.next_decisions[0]["scheduleActivityTaskDecisionAttributes"]
    assert attrs["activityType"]["name"] == "Maths.double"


def test_up_to_out_of_range_is_refused() -> None:
    replayer = WorkflowReplayer(Pipeline)
    with pytest.raises(ValueError, match=r"1\.\.28"):
        replayer.replay(PIPELINE_FIXTURE, up_to_event=29)
    with pytest.raises(ValueError):
        replayer.replay(PIPELINE_FIXTURE, up_to_event=0)


def test_a_mismatch_after_the_cut_is_not_seen() -> None:
    # The edit removes the timer; events before the timer still replay.
    history = load_history(PIPELINE_FIXTURE)
    timer = next(e["eventId"] for e in history.events if e["eventType"] == "TimerStarted")
    replayer = WorkflowReplayer(PipelineWithoutTimer)
    assert replayer.replay(history, up_to_event=timer - 3).ok
    assert not replayer.replay(history, up_to_event=timer).ok


# -- mismatches ------------------------------------------------------------------------------


def test_changed_workflow_reports_the_event_and_the_code_line() -> None:
    history = load_history(PIPELINE_FIXTURE)
    timer = next(e["eventId"] for e in history.events if e["eventType"] == "TimerStarted")
    outcome = WorkflowReplayer(PipelineWithoutTimer).replay(history)
    assert not outcome.ok
    assert outcome.failure is not None
    assert outcome.failure.kind == "non_determinism"
    assert outcome.failure.event_id == timer
    assert outcome.failure.location.startswith(f"replayer_flows.py:{edited_line()} ")
    summary = outcome.summary()
    assert summary.startswith("MISMATCH: Pipeline 1.0")
    assert f"at event {timer}" in summary and f"replayer_flows.py:{edited_line()}" in summary
    with pytest.raises(NonDeterminismError, match=f"at event {timer}"):
        outcome.raise_for_failure()


def test_compatible_refactoring_still_replays() -> None:
    assert WorkflowReplayer(PipelineRefactored).replay(PIPELINE_FIXTURE).ok


def test_unknown_workflow_type_is_a_failure_not_a_crash() -> None:
    outcome = WorkflowReplayer(HelloWorkflow).replay(PIPELINE_FIXTURE)
    assert outcome.failure is not None
    assert outcome.failure.kind == "unknown_type"
    assert "Pipeline version 1.0" in outcome.failure.message
    assert "HelloWorkflow 1.0" in outcome.failure.message
    with pytest.raises(ReplayError):
        outcome.raise_for_failure()


def test_a_history_without_its_start_event_is_malformed() -> None:
    events = fixture_events()
    outcome = WorkflowReplayer(Pipeline).replay(
        History([dict(events[1], eventId=1, eventTimestamp=0.0)])
    )
    assert outcome.failure is not None and outcome.failure.kind == "malformed_history"


def test_definitions_are_checked_up_front() -> None:
    with pytest.raises(ValueError, match="not a WorkflowDefinition"):
        WorkflowReplayer(Maths)
    with pytest.raises(ValueError, match="declared by both"):
        WorkflowReplayer(Pipeline, PipelineWithoutTimer)


# -- live executions and bulk mode -------------------------------------------------------------


@pytest.fixture(scope="module")
def env() -> Iterator[WorkflowEnvironment]:
    with WorkflowEnvironment(Pipeline, Maths()) as environment:
        yield environment


@pytest.fixture(scope="module")
def finished(env: WorkflowEnvironment) -> list[Any]:
    handles = [env.start_workflow(Pipeline.run, value) for value in (1, 2, 3)]
    assert [h.result(timeout=30) for h in handles] == [7, 13, 19]
    return handles


def test_live_execution_replays_by_id(env: WorkflowEnvironment, finished: list[Any]) -> None:
    replayer = WorkflowReplayer(Pipeline, endpoint_url=env.endpoint_url)
    try:
        handle = finished[0]
        outcome = replayer.replay_execution(env.domain, handle.workflow_id, handle.run_id)
        assert outcome.ok, outcome.summary()
        assert (outcome.workflow_id, outcome.run_id) == (handle.workflow_id, handle.run_id)
        # Without a run id the latest run of the workflow id is used.
        latest = replayer.replay_execution(env.domain, handle.workflow_id)
        assert latest.run_id == handle.run_id
        assert not replayer.replay_execution(
            env.domain, handle.workflow_id, up_to_event=10
        ).next_decisions
        broken = WorkflowReplayer(PipelineWithoutTimer, endpoint_url=env.endpoint_url)
        try:
            mismatch = broken.replay_execution(env.domain, handle.workflow_id)
        finally:
            broken.close()
        assert mismatch.failure is not None and mismatch.failure.kind == "non_determinism"
    finally:
        replayer.close()


def test_live_history_equals_what_boto3_returns(
    env: WorkflowEnvironment, finished: list[Any]
) -> None:
    handle = finished[1]
    replayer = WorkflowReplayer(Pipeline, endpoint_url=env.endpoint_url)
    try:
        fetched = replayer.fetch_history(env.domain, handle.workflow_id, handle.run_id)
    finally:
        replayer.close()
    assert fetched.events == load_history(env.history(handle)).events
    assert fetched.is_closed


def test_an_unknown_workflow_id_is_a_lookup_error(env: WorkflowEnvironment) -> None:
    replayer = WorkflowReplayer(Pipeline, endpoint_url=env.endpoint_url)
    try:
        with pytest.raises(LookupError, match="no execution with workflow id 'nope'"):
            replayer.replay_execution(env.domain, "nope")
    finally:
        replayer.close()


def test_bulk_replays_every_closed_run_of_the_type(
    env: WorkflowEnvironment, finished: list[Any]
) -> None:
    seen: list[tuple[int, int | None]] = []
    replayer = WorkflowReplayer(Pipeline, endpoint_url=env.endpoint_url)
    try:
        outcomes = list(
            replayer.replay_closed(
                env.domain, "Pipeline", progress=lambda done, total, _: seen.append((done, total))
            )
        )
        assert {o.run_id for o in outcomes} >= {h.run_id for h in finished}
        assert all(o.ok for o in outcomes)
        assert seen == [(i, len(outcomes)) for i in range(1, len(outcomes) + 1)]
        assert list(replayer.replay_closed(env.domain, "Pipeline", version="9.9")) == []
        assert list(replayer.replay_closed(env.domain, "Pipeline", oldest=4e9)) == []
    finally:
        replayer.close()
    broken = WorkflowReplayer(PipelineWithoutTimer, endpoint_url=env.endpoint_url)
    try:
        failures = [o for o in broken.replay_closed(env.domain, "Pipeline") if not o.ok]
    finally:
        broken.close()
    assert len(failures) == len(outcomes)


def record(path: Path = PIPELINE_FIXTURE) -> None:
    """Run one Pipeline and save its history as a boto3 user would."""
    with WorkflowEnvironment(Pipeline, Maths()) as environment:
        handle = environment.start_workflow(Pipeline.run, 5)
        assert handle.result(timeout=30) == 31
        document = {
            "execution": {"workflowId": handle.workflow_id, "runId": handle.run_id},
            "events": environment.history(handle),
        }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    print(f"recorded {len(document['events'])} events to {path}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--record"]:
        record()
    else:
        print(__doc__)


def test_child_workflow_ids_need_the_run_id() -> None:
    from replayer_flows import Leaf, Tree

    with WorkflowEnvironment(Tree, Leaf, Maths()) as environment:
        handle = environment.start_workflow(Tree.run, 4)
        assert handle.result(timeout=30) == 9
        events = environment.history(handle)
    assert any(e["eventType"] == "StartChildWorkflowExecutionInitiated" for e in events)
    replayer = WorkflowReplayer(Tree)
    anonymous = replayer.replay({"events": events})
    assert anonymous.failure is not None and anonymous.failure.kind == "non_determinism"
    assert "does not name its run id" in anonymous.failure.message
    assert replayer.replay({"events": events}, run_id=handle.run_id).ok
    identified = {"events": events, "execution": {"workflowId": "t", "runId": handle.run_id}}
    assert replayer.replay(identified).ok


@pytest.mark.parametrize(
    ("text", "epoch"),
    [
        ("2026-01-31T12:00:00.5Z", 1769860800.5),
        ("2026-01-31T12:00:00.12345+00:00", 1769860800.12345),
        ("2026-01-31 13:00:00.250+01:00", 1769860800.25),
        ("2026-01-31T12:00:00", 1769860800.0),  # naive: written as UTC
        ("1769860800.75", 1769860800.75),
    ],
)
def test_timestamp_strings(text: str, epoch: float) -> None:
    events = [dict(e) for e in fixture_events()]
    events[0]["eventTimestamp"] = text
    assert load_history({"events": events}).events[0]["eventTimestamp"] == pytest.approx(epoch)
