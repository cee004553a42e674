"""WorkflowRun, the stateful decider: fed task by task it decides exactly as one-shot replay."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from test_integration import HelloWorkflow
from test_replay import ChangedHelloWorkflow, all_events, definitions_for, load_fixture

from botoflowx._replay import DecisionTaskPage, NonDeterminismError, ReplayError
from botoflowx.worker._decider import ACTIVATION_SLOT_BYTES, RUN_BASE_BYTES, WorkflowRun, decide


def page_of(events: list[dict[str, Any]], *, reverse: bool = False) -> DecisionTaskPage:
    ordered = list(reversed(events)) if reverse else events
    return DecisionTaskPage.parse(orjson.dumps({"events": ordered}))


def boundaries(events: list[dict[str, Any]]) -> list[int]:
    return [e["eventId"] for e in events if e["eventType"] == "DecisionTaskStarted"]


def new_run(cls: type = HelloWorkflow) -> WorkflowRun:
    fixture = load_fixture()
    return WorkflowRun(
        definitions_for(cls), workflow_id=fixture["workflow_id"], run_id=fixture["run_id"]
    )


@pytest.mark.parametrize("reverse", [False, True])
def test_feeding_only_the_new_events_decides_like_a_full_replay(reverse: bool) -> None:
    fixture = load_fixture()
    events = all_events(fixture)
    run = new_run()
    applied = 0
    try:
        for started in boundaries(events):
            delta = [e for e in events if applied < e["eventId"] <= started]
            result = run.decide([page_of(delta, reverse=reverse)], started)
            full = decide(
                [page_of([e for e in events if e["eventId"] <= started])],
                started,
                definitions_for(HelloWorkflow),
                workflow_id=fixture["workflow_id"],
                run_id=fixture["run_id"],
            )
            assert result == full, f"task started at event {started}"
            assert run.applied_event_id == started
            applied = started
        assert run.closed  # the last task completed the workflow
        assert run.event_count == applied
    finally:
        run.close()


def test_overlapping_pages_are_accepted() -> None:
    events = all_events(load_fixture())
    first, second = boundaries(events)[:2]
    run = new_run()
    run.decide([page_of([e for e in events if e["eventId"] <= first])], first)
    # The whole history so far again: what is already applied is dropped.
    result = run.decide([page_of([e for e in events if e["eventId"] <= second])], second)
    assert [d["decisionType"] for d in result.decisions] == ["ScheduleActivityTask"]
    run.close()


def test_a_gap_in_the_delta_is_refused() -> None:
    events = all_events(load_fixture())
    first, second = boundaries(events)[:2]
    run = new_run()
    run.decide([page_of([e for e in events if e["eventId"] <= first])], first)
    gapped = [e for e in events if first + 2 <= e["eventId"] <= second]
    with pytest.raises(ReplayError):
        run.decide([page_of(gapped)], second)
    run.close()


def test_changed_code_raises_non_determinism_on_the_first_task_that_differs() -> None:
    events = all_events(load_fixture())
    second = boundaries(events)[1]
    run = new_run(ChangedHelloWorkflow)
    with pytest.raises(NonDeterminismError):
        run.decide([page_of([e for e in events if e["eventId"] <= second])], second)
    run.close()


def test_memory_estimate_counts_the_payloads_delivered() -> None:
    events = all_events(load_fixture())
    first, second = boundaries(events)[:2]
    run = new_run()
    run.decide([page_of([e for e in events if e["eventId"] <= first])], first)
    base = run.estimated_bytes()
    assert base >= RUN_BASE_BYTES
    run.decide([page_of([e for e in events if first < e["eventId"] <= second])], second)
    result = next(e for e in events if e["eventType"] == "ActivityTaskCompleted")
    grown = len(result["activityTaskCompletedEventAttributes"]["result"])
    assert run.estimated_bytes() == base + grown
    run.close()
    run.close()  # idempotent


def test_an_unknown_type_fails_the_run_and_closes_it() -> None:
    events = all_events(load_fixture())
    first = boundaries(events)[0]
    run = WorkflowRun({}, workflow_id="w", run_id="r")
    result = run.decide([page_of([e for e in events if e["eventId"] <= first])], first)
    assert [d["decisionType"] for d in result.decisions] == ["FailWorkflowExecution"]
    assert run.closed


def test_memory_estimate_counts_the_replay_cores_queue_after_a_full_replay() -> None:
    events = all_events(load_fixture())
    steps = boundaries(events)
    last = steps[-1]
    full = new_run()
    full.decide([page_of([e for e in events if e["eventId"] <= last])], last)
    stepwise = new_run()
    applied = 0
    for started in steps:
        stepwise.decide(
            [page_of([e for e in events if applied < e["eventId"] <= started])], started
        )
        applied = started
    assert (full.peak_activations, stepwise.peak_activations) == (len(steps), 1)
    # The core keeps a queue sized for the longest batch (a power of two).
    slots = 1 << (len(steps) - 1).bit_length()
    assert (
        full.estimated_bytes() - stepwise.estimated_bytes() == (slots - 1) * ACTIVATION_SLOT_BYTES
    )
    full.close()
    stepwise.close()
