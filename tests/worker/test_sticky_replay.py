"""The sticky decision path on a recorded run: deltas, fallbacks, equality with full replay.

A run of ``SequenceWorkflow`` is recorded once on the embedded server (raw
``GetWorkflowExecutionHistory`` JSON). :class:`RecordedSWF` then plays SWF
for a real :class:`WorkflowWorker`: at each decision task of the run it serves
the history as it stood then, paged by the poll's own ``maximumPageSize`` and
``reverseOrder``, so the worker's delta walk, fallbacks and answers run
unchanged, without timing or threads.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from test_sticky_integration import TIMEOUTS, SequenceWorkflow, StickyActs, attributes
from worker_harness import Harness

from botoflowx._replay import DecisionTaskPage
from botoflowx.client import SWFError, make_swf_transport
from botoflowx.server import EmbeddedServer
from botoflowx.worker import ThreadedActivityExecutor, ThreadedWorkflowExecutor, WorkflowWorker
from botoflowx.worker._decider import decide

STEPS = 8
assert TIMEOUTS  # the activities' timeouts come from the integration module


@pytest.fixture(scope="module")
def recorded(server: EmbeddedServer) -> list[dict[str, Any]]:
    """The events of one finished SequenceWorkflow run, as SWF sends them."""
    harness = Harness(server.endpoint_url)
    deciders = ThreadedWorkflowExecutor(harness.workflow_worker(SequenceWorkflow))
    runners = ThreadedActivityExecutor(harness.activity_worker(StickyActs()))
    deciders.start()
    runners.start(workers=3)
    try:
        handle = harness.start(lambda: SequenceWorkflow.run(STEPS))
        handle.result(timeout=60)
    finally:
        for executor in (runners, deciders):
            executor.stop()
            assert executor.join(timeout=30)
            executor.worker.close()
    transport = make_swf_transport(endpoint_url=server.endpoint_url)
    try:
        raw = transport.call(
            "GetWorkflowExecutionHistory",
            {
                "domain": harness.domain,
                "execution": {"workflowId": handle.workflow_id, "runId": handle.run_id},
                "maximumPageSize": 1000,
            },
        )
    finally:
        transport.close()
    events: list[dict[str, Any]] = orjson.loads(raw)["events"]
    assert [e["eventId"] for e in events] == list(range(1, len(events) + 1))
    return events


class RecordedSWF:
    """Plays SWF for one recorded run, one decision task at a time (a raw-transport stand-in)."""

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = events
        started = attributes(events[0])
        self.execution = {"workflowId": "wf-recorded", "runId": "run-recorded"}
        self.workflow_type = started["workflowType"]
        self.started_event_id = 0
        self.previous_started_event_id = 0
        self.token = 0
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.responses: list[dict[str, Any]] = []
        # Fault injection for the next decision task's PollForDecisionTask pages.
        self.drop_event_id = 0
        self.fail_page_calls = False
        self.reject_responses = False

    def boundaries(self) -> list[int]:
        """The DecisionTaskStarted ids of the run, in order."""
        return [e["eventId"] for e in self.events if e["eventType"] == "DecisionTaskStarted"]

    def open_task(self, started_event_id: int, previous_started_event_id: int) -> None:
        self.started_event_id = started_event_id
        self.previous_started_event_id = previous_started_event_id
        self.token += 1

    def call(self, operation: str, params: dict[str, Any], *, idempotent: bool = True) -> bytes:
        self.calls.append((operation, params))
        if operation == "RespondDecisionTaskCompleted":
            if self.reject_responses:
                raise SWFError("UnknownResourceFault", "task gone", status=400)
            self.responses.append(params)
            return b"{}"
        visible = [e for e in self.events if e["eventId"] <= self.started_event_id]
        body: dict[str, Any] = {}
        if operation == "PollForDecisionTask":
            if "nextPageToken" in params and self.fail_page_calls:
                raise SWFError("InternalFailure", "page lost", status=500)
            visible = [e for e in visible if e["eventId"] != self.drop_event_id]
            body = {
                "taskToken": f"token-{self.token}",
                "startedEventId": self.started_event_id,
                "previousStartedEventId": self.previous_started_event_id,
                "workflowExecution": self.execution,
                "workflowType": self.workflow_type,
            }
        else:
            assert operation == "GetWorkflowExecutionHistory", operation
        if params.get("reverseOrder"):
            visible.reverse()
        size = params["maximumPageSize"]
        index = int(params.get("nextPageToken", "0"))
        body["events"] = visible[index * size : (index + 1) * size]
        if (index + 1) * size < len(visible):
            body["nextPageToken"] = str(index + 1)
        return orjson.dumps(body)

    def call_json(self, operation: str, body: bytes, *, idempotent: bool = True) -> bytes:
        return self.call(operation, orjson.loads(body), idempotent=idempotent)

    def close(self) -> None:
        pass

    def count(self, operation: str) -> int:
        return sum(op == operation for op, _ in self.calls)


def make_worker(swf: RecordedSWF, **kwargs: Any) -> WorkflowWorker:
    worker = WorkflowWorker(
        None,
        "us-east-1",
        "d",
        "shared-tl",
        SequenceWorkflow,
        endpoint_url="http://127.0.0.1:9",
        **kwargs,
    )
    worker._transport = swf  # type: ignore[assignment]
    return worker


def full_replay(events: list[dict[str, Any]], started_event_id: int) -> list[dict[str, Any]]:
    page = {"events": [e for e in events if e["eventId"] <= started_event_id]}
    definitions = {
        key: (SequenceWorkflow, meta) for key, meta in SequenceWorkflow.__workflow_types__.items()
    }  # type: ignore[attr-defined]
    return decide(
        [DecisionTaskPage.parse(orjson.dumps(page))],
        started_event_id,
        definitions,
        workflow_id="wf-recorded",
        run_id="run-recorded",
    ).decisions


def run_task(worker: WorkflowWorker, swf: RecordedSWF, index: int, *, sticky: bool) -> None:
    boundaries = swf.boundaries()
    previous = boundaries[index - 1] if index else 0
    swf.open_task(boundaries[index], previous)
    task = worker.poll_sticky() if sticky else worker.poll()
    assert task is not None
    worker.handle(task)


@pytest.fixture
def swf(recorded: list[dict[str, Any]]) -> Iterator[RecordedSWF]:
    yield RecordedSWF(recorded)


@pytest.mark.parametrize("page_size", [2, 5, 100])
def test_sticky_and_full_replay_decide_alike_at_every_task(
    swf: RecordedSWF, page_size: int
) -> None:
    worker = make_worker(swf)
    worker.sticky_page_size = page_size
    worker.start_sticky()
    boundaries = swf.boundaries()
    assert len(boundaries) >= STEPS + 2
    for index, started in enumerate(boundaries):
        calls_before = len(swf.calls)
        run_task(worker, swf, index, sticky=index > 0)
        answer = swf.responses[-1]
        assert answer["taskToken"] == f"token-{swf.token}"
        assert answer["decisions"] == full_replay(swf.events, started), f"task {index}"
        assert answer["taskList"] == {"name": worker.sticky_task_list}
        assert answer["taskListScheduleToStartTimeout"] == "5"
        if index:
            # A hit reads pages only down to the cached events, and never the
            # whole history.
            delta = started - boundaries[index - 1]
            page_calls = [
                op for op, _ in swf.calls[calls_before:] if op != "RespondDecisionTaskCompleted"
            ]
            assert set(page_calls) == {"PollForDecisionTask"}
            assert len(page_calls) <= delta // page_size + 1
    stats = worker.cache_stats()
    assert (stats.hits, stats.misses, stats.fallbacks) == (len(boundaries) - 1, 1, 0)
    # The last task closed the run: nothing left to keep.
    assert stats.size == 0


def test_recorded_decisions_are_what_sticky_replay_sends(swf: RecordedSWF) -> None:
    worker = make_worker(swf)
    worker.start_sticky()
    sent: list[list[tuple[str, str]]] = []
    for index in range(len(swf.boundaries())):
        run_task(worker, swf, index, sticky=index > 0)
        sent.append(
            [
                (
                    d["decisionType"],
                    d.get("scheduleActivityTaskDecisionAttributes", {}).get("activityId", ""),
                )
                for d in swf.responses[-1]["decisions"]
            ]
        )
    recorded: list[list[tuple[str, str]]] = []
    for event in swf.events:
        if event["eventType"] == "DecisionTaskCompleted":
            recorded.append([])
        elif event["eventType"] == "ActivityTaskScheduled":
            recorded[-1].append(("ScheduleActivityTask", attributes(event)["activityId"]))
        elif event["eventType"] == "WorkflowExecutionCompleted":
            recorded[-1].append(("CompleteWorkflowExecution", ""))
    assert sent == recorded


def warm(worker: WorkflowWorker, swf: RecordedSWF, upto: int) -> None:
    for index in range(upto):
        run_task(worker, swf, index, sticky=index > 0)


def test_a_gap_in_the_delta_falls_back_to_a_full_replay(swf: RecordedSWF) -> None:
    worker = make_worker(swf)
    worker.start_sticky()
    warm(worker, swf, 3)
    boundaries = swf.boundaries()
    swf.drop_event_id = boundaries[2] + 2  # inside the next task's delta
    run_task(worker, swf, 3, sticky=True)
    assert swf.responses[-1]["decisions"] == full_replay(swf.events, boundaries[3])
    assert swf.count("GetWorkflowExecutionHistory") == 1
    stats = worker.cache_stats()
    assert (stats.hits, stats.fallbacks, stats.size) == (2, 1, 1)
    # The full replay's run is cached in turn: the next task is a hit again.
    swf.drop_event_id = 0
    run_task(worker, swf, 4, sticky=True)
    assert swf.responses[-1]["decisions"] == full_replay(swf.events, boundaries[4])
    assert worker.cache_stats().hits == 3


def test_previous_started_event_ahead_of_the_cache_falls_back(swf: RecordedSWF) -> None:
    worker = make_worker(swf)
    worker.start_sticky()
    warm(worker, swf, 3)
    boundaries = swf.boundaries()
    # Another decider answered task 3 and this one now gets task 4.
    swf.open_task(boundaries[4], boundaries[3])
    task = worker.poll_sticky()
    assert task is not None
    worker.handle(task)
    assert swf.responses[-1]["decisions"] == full_replay(swf.events, boundaries[4])
    stats = worker.cache_stats()
    assert (stats.hits, stats.fallbacks) == (2, 1)


def test_a_failed_page_call_falls_back_to_a_full_replay(swf: RecordedSWF) -> None:
    worker = make_worker(swf)
    worker.sticky_page_size = 2  # the delta needs more than the first page
    worker.start_sticky()
    warm(worker, swf, 3)
    swf.fail_page_calls = True
    run_task(worker, swf, 3, sticky=True)
    assert swf.responses[-1]["decisions"] == full_replay(swf.events, swf.boundaries()[3])
    assert worker.cache_stats().fallbacks == 1
    assert swf.count("GetWorkflowExecutionHistory") == 1


def test_a_miss_on_the_sticky_list_reads_the_history_in_ascending_pages(
    swf: RecordedSWF,
) -> None:
    worker = make_worker(swf)
    worker.sticky_page_size = 2
    worker.start_sticky()
    warm(worker, swf, 3)
    worker.evict_all()
    run_task(worker, swf, 3, sticky=True)
    assert swf.responses[-1]["decisions"] == full_replay(swf.events, swf.boundaries()[3])
    stats = worker.cache_stats()
    assert (stats.misses, stats.evictions) == (2, 1)
    history_calls = [p for op, p in swf.calls if op == "GetWorkflowExecutionHistory"]
    assert [p["reverseOrder"] for p in history_calls] == [False]


def test_an_unaccepted_answer_drops_the_run(swf: RecordedSWF) -> None:
    worker = make_worker(swf)
    worker.start_sticky()
    warm(worker, swf, 2)
    swf.reject_responses = True
    run_task(worker, swf, 2, sticky=True)
    assert worker.cache_stats().size == 0
    swf.reject_responses = False
    run_task(worker, swf, 2, sticky=True)  # SWF hands the task out again
    assert swf.responses[-1]["decisions"] == full_replay(swf.events, swf.boundaries()[2])
    assert worker.cache_stats().misses == 2


def test_shared_list_tasks_of_a_cached_run_skip_the_replay(swf: RecordedSWF) -> None:
    worker = make_worker(swf)  # no sticky pollers: answers name no list
    warm(worker, swf, 1)
    for index in range(1, 4):
        run_task(worker, swf, index, sticky=False)
        assert "taskList" not in swf.responses[-1]
    stats = worker.cache_stats()
    assert (stats.hits, stats.misses) == (3, 1)


def test_after_stop_sticky_answers_send_the_run_back_to_the_shared_list(
    swf: RecordedSWF,
) -> None:
    worker = make_worker(swf)
    worker.start_sticky()
    warm(worker, swf, 2)
    worker.stop_sticky()
    run_task(worker, swf, 2, sticky=True)
    answer = swf.responses[-1]
    assert answer["taskList"] == {"name": "shared-tl"}
    assert "taskListScheduleToStartTimeout" not in answer
    worker.close()
    assert worker.cache_stats().size == 0


def test_cache_off_replays_every_task_in_full(swf: RecordedSWF) -> None:
    worker = make_worker(swf, cache_size=0)
    assert not worker.sticky_enabled
    with pytest.raises(RuntimeError):
        worker.start_sticky()
    for index, started in enumerate(swf.boundaries()):
        run_task(worker, swf, index, sticky=False)
        assert swf.responses[-1]["decisions"] == full_replay(swf.events, started)
    stats = worker.cache_stats()
    assert (stats.hits, stats.misses, stats.size) == (0, 0, 0)
