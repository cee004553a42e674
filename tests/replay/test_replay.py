"""Tests of ``botoflowx._replay`` through its Python API: pages, activations, diffs, errors."""

from __future__ import annotations

import random
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botoflowx import _replay
from botoflowx._replay import (
    Activation,
    DecisionTaskPage,
    HistoryGapError,
    MalformedHistoryError,
    NonDeterminismError,
    Replayer,
    ReplayError,
)

from ._histories import T0, TASK_TOKEN, HistoryBuilder, sequential, sequential_commands

ROOT = Path(__file__).resolve().parents[2]


def parse_all(bodies: list[bytes]) -> list[DecisionTaskPage]:
    return [DecisionTaskPage.parse(body) for body in bodies]


def replay(
    replayer: Replayer, n: int, start: int = 0, *, name: str = "step"
) -> list[tuple[Activation, list[int]]]:
    """Drives ``replayer`` like the sequential workflow from activation ``start``."""
    seen = []
    k = start
    while (activation := replayer.next_activation()) is not None:
        new = replayer.complete_activation(sequential_commands(k, n, name=name))
        seen.append((activation, new))
        k += 1
    return seen


def test_module_exposes_the_crate_version() -> None:
    assert _replay.__version__ == "0.1.0"
    assert issubclass(NonDeterminismError, ReplayError)
    assert issubclass(MalformedHistoryError, ReplayError)
    assert issubclass(HistoryGapError, ReplayError)
    assert issubclass(ReplayError, Exception)


def test_parse_reads_the_task_fields() -> None:
    b = sequential(2)
    body = b.pages()[0]
    page = DecisionTaskPage.parse(body)
    assert page.task_token == TASK_TOKEN
    assert page.started_event_id == b.last_id == 15
    assert page.previous_started_event_id == 0
    assert (page.workflow_id, page.run_id) == ("wf-1", "run-1")
    assert (page.workflow_type_name, page.workflow_type_version) == ("SeqWorkflow", "1.0")
    assert page.next_page_token is None
    assert (page.event_count, page.first_event_id, page.last_event_id) == (15, 1, 15)

    first, second = parse_all(b.pages(size=10, reverse=True))
    assert first.next_page_token == "page-1"
    assert (first.first_event_id, first.last_event_id) == (15, 6)
    assert (second.first_event_id, second.last_event_id, second.event_count) == (5, 1, 5)


def test_parse_accepts_history_pages_and_empty_polls() -> None:
    history = DecisionTaskPage.parse(b'{"events": [], "nextPageToken": "n"}')
    assert history.task_token is None
    assert history.next_page_token == "n"
    assert (history.event_count, history.first_event_id, history.last_event_id) == (0, 0, 0)
    empty_poll = DecisionTaskPage.parse(b'{"startedEventId": 0, "previousStartedEventId": 0}')
    assert empty_poll.event_count == 0


def test_workflow_started_attributes() -> None:
    replayer = Replayer()
    assert replayer.workflow_started is None
    replayer.extend(parse_all(sequential(0).pages()), 3)
    started = replayer.workflow_started
    assert started is not None
    assert started.timestamp == T0 + 1
    assert (started.workflow_type_name, started.workflow_type_version) == ("SeqWorkflow", "1.0")
    assert started.input == "[[],{}]"
    assert started.task_list == "tasklist1"
    assert started.child_policy == "TERMINATE"
    assert started.tag_list == ["t1"]
    assert started.execution_start_to_close_timeout == "60"
    assert started.task_start_to_close_timeout == "10"
    assert started.task_priority is None
    assert started.parent_workflow_id is None
    assert started.parent_initiated_event_id == 0
    assert (replayer.last_event_id, replayer.event_count) == (3, 3)


def test_sequential_history_replays_to_the_same_commands() -> None:
    n = 40
    b = sequential(n)
    replayer = Replayer()
    replayer.extend(parse_all(b.pages(size=25)), b.last_id)
    seen = replay(replayer, n)
    assert len(seen) == n + 1
    first, _ = seen[0]
    assert [(j.kind, j.key, j.payload) for j in first.jobs] == [("workflow_started", "", "[[],{}]")]
    for k, (activation, _) in enumerate(seen[1:], start=1):
        (job,) = activation.jobs
        assert (job.kind, job.key) == ("activity_completed", str(k))
        assert orjson.loads(job.payload or "")["step"] == k
        assert job.event_id == 6 * k + 1
        assert activation.started_event_id == 6 * k + 3
        assert activation.time == T0 + activation.started_event_id
    assert [a.is_replaying for a, _ in seen] == [True] * n + [False]
    assert all(new == () for _, new in seen[:-1])
    assert seen[-1][1] == (0,), "only the live activation's command is new"
    assert replayer.next_activation() is None


def test_job_fields_for_a_failed_activity_and_a_signal() -> None:
    b = HistoryBuilder()
    b.started("[[], {}]")
    dtc = b.task()
    scheduled = b.activity_scheduled(dtc, "1", "sum", "[[1, 2], {}]")
    b.add(
        "ActivityTaskFailed",
        reason="ValueError: bad",
        details='{"tb": "\\u00e9"}',
        scheduledEventId=scheduled,
        startedEventId=0,
    )
    b.add(
        "WorkflowExecutionSignaled",
        signalName="approve",
        input='[["yes"], {}]',
        externalWorkflowExecution={"workflowId": "other", "runId": "r9"},
        externalInitiatedEventId=4,
    )
    b.task_started()
    replayer = Replayer()
    replayer.extend(parse_all(b.pages()), b.last_id)
    replay_first = replayer.next_activation()
    assert replay_first is not None and replay_first.is_replaying
    assert replayer.complete_activation([("ScheduleActivityTask", "1", "sum", "x.py:1 in f")]) == ()
    activation = replayer.next_activation()
    assert activation is not None and not activation.is_replaying
    failed, signal = activation.jobs
    assert (failed.kind, failed.key, failed.reason) == ("activity_failed", "1", "ValueError: bad")
    assert failed.details == '{"tb": "\\u00e9"}'
    assert failed.payload is None and failed.cause is None
    assert (signal.kind, signal.name, signal.payload) == ("signaled", "approve", '[["yes"], {}]')
    assert (signal.workflow_id, signal.run_id) == ("other", "r9")
    assert activation.recorded_markers == ()


def test_payload_bytes_counts_the_utf8_bytes_of_the_jobs_payloads() -> None:
    b = HistoryBuilder()
    b.started('[["\u00e9"], {}]')
    dtc = b.task()
    scheduled = b.activity_scheduled(dtc, "1", "sum", "[[1, 2], {}]")
    b.add("ActivityTaskCompleted", result='"done"', scheduledEventId=scheduled, startedEventId=0)
    b.add("WorkflowExecutionSignaled", signalName="ping", input='[["x"], {}]')
    b.add("WorkflowExecutionSignaled", signalName="bare")
    b.task_started()
    replayer = Replayer()
    replayer.extend(parse_all(b.pages()), b.last_id)
    first = replayer.next_activation()
    assert first is not None and first.payload_bytes == len('[["é"], {}]'.encode())
    replayer.complete_activation([("ScheduleActivityTask", "1", "sum", "x.py:1 in f")])
    second = replayer.next_activation()
    assert second is not None
    assert [job.payload for job in second.jobs] == ['"done"', '[["x"], {}]', None]
    assert second.payload_bytes == len('"done"') + len('[["x"], {}]')


def test_recorded_markers_are_reported() -> None:
    b = HistoryBuilder()
    b.started("[[], {}]")
    dtc = b.task()
    b.add("MarkerRecorded", markerName="patch:v2", decisionTaskCompletedEventId=dtc)
    b.task_started()
    replayer = Replayer()
    replayer.extend(parse_all(b.pages()), b.last_id)
    activation = replayer.next_activation()
    assert activation is not None
    assert activation.recorded_markers == (("patch:v2", None),)


def test_nondeterminism_names_event_and_code_location() -> None:
    b = sequential(3, name="sum")
    replayer = Replayer()
    replayer.extend(parse_all(b.pages()), b.last_id)
    replayer.next_activation()
    with pytest.raises(NonDeterminismError) as info:
        replayer.complete_activation([("ScheduleActivityTask", "1", "mul", "calc.py:17 in run")])
    err = info.value
    assert err.event_id == 5  # the ActivityTaskScheduled of activity "1"
    assert err.location == "calc.py:17 in run"
    message = str(err)
    assert "history event 5 (ActivityTaskScheduled" in message
    assert 'name "sum"' in message and 'name "mul"' in message
    assert "calc.py:17 in run" in message
    assert "revert it or version it with workflow.patched()" in message


def test_missing_and_extra_commands_are_nondeterminism() -> None:
    b = sequential(2)
    replayer = Replayer()
    replayer.extend(parse_all(b.pages()), b.last_id)
    replayer.next_activation()
    with pytest.raises(NonDeterminismError) as missing:
        replayer.complete_activation([])
    assert (missing.value.event_id, missing.value.location) == (5, "")

    replayer = Replayer()
    replayer.extend(parse_all(b.pages()), b.last_id)
    replayer.next_activation()
    extra = [*sequential_commands(0, 2), ("StartTimer", "2", "", "seq.py:13 in run")]
    with pytest.raises(NonDeterminismError) as more:
        replayer.complete_activation(extra)
    assert (more.value.event_id, more.value.location) == (0, "seq.py:13 in run")


def test_nondeterminism_error_has_default_attributes() -> None:
    err = NonDeterminismError("raised by hand")
    assert (err.event_id, err.location) == (0, "")


def test_sticky_extend_feeds_only_new_events() -> None:
    n = 4
    b = sequential(n)
    replayer = Replayer()
    replayer.extend(parse_all(b.pages(last=3)), 3)
    assert [a.is_replaying for a, _ in replay(replayer, n)] == [False]
    for k in range(1, n + 1):
        started = 6 * k + 3
        # A reverse read that overlaps what the replayer already holds.
        delta = b.pages(first=started - 8, last=started, size=4, reverse=True)
        replayer.extend(parse_all(delta), started)
        ((activation, new),) = replay(replayer, n, start=k)
        assert not activation.is_replaying
        assert new == (0,)
        assert activation.jobs[0].key == str(k)
    assert replayer.last_event_id == b.last_id


def test_events_after_started_event_id_are_ignored() -> None:
    b = sequential(1)
    started = b.last_id
    b.add("WorkflowExecutionSignaled", signalName="later")
    replayer = Replayer()
    replayer.extend(parse_all(b.pages()), started)
    assert replayer.last_event_id == started
    activations = [a for a, _ in replay(replayer, 1)]
    assert all(job.kind != "signaled" for a in activations for job in a.jobs)


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (b"{not json", "invalid history page"),
        (b"[]", "invalid history page"),
        (b'{"taskToken": "t"}', "without `events`"),
        (
            b'{"events": [{"eventId": 1, "eventTimestamp": 1, "eventType": "Bogus",'
            b' "bogusEventAttributes": {}}]}',
            "unknown eventType `Bogus`",
        ),
        (
            b'{"events": [{"eventId": 1, "eventTimestamp": 1, "eventType": "TimerFired",'
            b' "timerFiredEventAttributes": {"startedEventId": 2}}]}',
            "event 1 \\(TimerFired\\) lacks required attribute `timerId`",
        ),
    ],
)
def test_malformed_pages_raise(body: bytes, match: str) -> None:
    with pytest.raises(MalformedHistoryError, match=match):
        DecisionTaskPage.parse(body)


def test_inconsistent_history_raises_and_poisons_the_replayer() -> None:
    b = HistoryBuilder()
    b.started("[]")
    b.task()
    b.activity_completed(42, "r")
    replayer = Replayer()
    with pytest.raises(MalformedHistoryError, match="scheduled event 42"):
        replayer.extend(parse_all(b.pages()), b.last_id)
    with pytest.raises(ReplayError, match="cannot be used"):
        replayer.next_activation()


def test_gaps_raise_history_gap_error() -> None:
    b = sequential(5)
    pages = b.pages(size=10)
    replayer = Replayer()
    with pytest.raises(HistoryGapError, match="from event 10 to event 21"):
        replayer.extend(parse_all([pages[0], *pages[2:]]), b.last_id)
    with pytest.raises(HistoryGapError, match="ends at event 20"):
        replayer.extend(parse_all(pages[:2]), b.last_id)
    # A gap is found before anything is applied: the complete read still works.
    replayer.extend(parse_all(pages), b.last_id)
    assert len(replay(replayer, 5)) == 6


def test_usage_errors_raise_replay_error() -> None:
    replayer = Replayer()
    with pytest.raises(ReplayError, match="no activation outstanding"):
        replayer.complete_activation([])
    replayer.extend(parse_all(sequential(1).pages()), 9)
    replayer.next_activation()
    with pytest.raises(ReplayError, match="not completed"):
        replayer.next_activation()
    with pytest.raises(ReplayError, match="unknown decision type"):
        replayer.complete_activation([("ScheduleRocket", "1", "", "x.py:1 in f")])


def test_parse_on_several_threads_at_once() -> None:
    """Parsing releases the GIL; concurrent parses and replays stay correct."""
    n = 400  # 2,403 events, ~1 MB: large enough to release the GIL
    b = sequential(n)
    (body,) = b.pages(size=5000)
    assert len(body) > 64 * 1024
    ticks = 0
    stop = threading.Event()

    def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1

    def work(_: int) -> tuple[int, int, list[int]]:
        page = DecisionTaskPage.parse(body)
        replayer = Replayer()
        replayer.extend([page], b.last_id)
        seen = replay(replayer, n)
        return page.event_count, len(seen), seen[-1][1]

    thread = threading.Thread(target=ticker)
    thread.start()
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(work, range(16)))
    finally:
        stop.set()
        thread.join()
    assert results == [(b.last_id, n + 1, (0,))] * 16
    assert ticks > 0, "a pure-Python thread kept running alongside the parsers"


def test_parse_releases_the_gil() -> None:
    """Another thread runs Python code while a large page is being parsed.

    With the GIL held, the ticker could only run just before or just after the
    call (a few ms at most); ticks in the middle of the call prove the release.
    Control run (same script, ``orjson.loads`` instead): zero ticks in the middle.
    """
    (body,) = sequential(4166).pages(size=30_000)  # 24,999 events, ~6.6 MB
    stamps: list[float] = []
    stop = threading.Event()

    def ticker() -> None:
        while not stop.is_set():
            stamps.append(time.perf_counter())
            if len(stamps) > 400_000:
                del stamps[:200_000]

    thread = threading.Thread(target=ticker)
    thread.start()
    middle = 0
    try:
        for _ in range(5):
            start = time.perf_counter()
            DecisionTaskPage.parse(body)
            took = time.perf_counter() - start
            low, high = start + 0.3 * took, start + 0.7 * took
            middle += sum(1 for t in stamps[-200_000:] if low < t < high)
    finally:
        stop.set()
        thread.join()
    assert middle > 0


def test_stub_matches_the_extension() -> None:
    """The hand-written ``_replay.pyi`` agrees with the built module (mypy stubtest)."""
    allowlist = Path(__file__).with_name("stubtest-allowlist.txt")
    result = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "botoflowx._replay", "--allowlist", str(allowlist)],
        cwd=ROOT,
        env={"MYPYPATH": str(ROOT / "python"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_extend_requires_the_previous_activations_processed() -> None:
    b = sequential(2)
    replayer = Replayer()
    replayer.extend(parse_all(b.pages(last=3)), 3)
    later = parse_all(b.pages(first=4, last=9))
    with pytest.raises(ReplayError, match="drain next_activation"):
        replayer.extend(later, 9)
    replay(replayer, 2)
    replayer.extend(later, 9)
    assert [a.is_replaying for a, _ in replay(replayer, 2, start=1)] == [False]


def summary(replayer: Replayer, n: int) -> list[tuple[int, bool, list[tuple[str, str, int]]]]:
    return [
        (a.started_event_id, a.is_replaying, [(j.kind, j.key, j.event_id) for j in a.jobs])
        for a, _ in replay(replayer, n)
    ]


_SEQ = sequential(20)


def _one_page_summary() -> list[tuple[int, bool, list[tuple[str, str, int]]]]:
    replayer = Replayer()
    replayer.extend(parse_all(_SEQ.pages()), _SEQ.last_id)
    return summary(replayer, 20)


_BASELINE = _one_page_summary()


@settings(max_examples=60, deadline=None)
@given(
    size=st.integers(min_value=1, max_value=40),
    reverse=st.booleans(),
    repeats=st.lists(st.integers(min_value=0, max_value=200), max_size=4),
    order=st.randoms(use_true_random=False),
)
def test_any_page_split_order_and_overlap_replays_the_same(
    size: int, reverse: bool, repeats: list[int], order: random.Random
) -> None:
    pages = parse_all(_SEQ.pages(size=size, reverse=reverse))
    pages += [pages[i % len(pages)] for i in repeats]  # duplicates by event id
    order.shuffle(pages)
    replayer = Replayer()
    replayer.extend(pages, _SEQ.last_id)
    assert summary(replayer, 20) == _BASELINE
