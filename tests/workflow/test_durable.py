"""Engine unit tests of the durable features: batching, patches, external signals, cancel."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest
from _fakes import Driver, FakeJob, attrs, completed, dumps, loads, summary

from botoflowx import workflow_time
from botoflowx.activity import activity
from botoflowx.exceptions import NotInWorkflowError, PayloadTooLargeError
from botoflowx.workflow import (
    AllFuture,
    WorkflowDefinition,
    WorkflowExecution,
    deprecate_patch,
    execute,
    patched,
    signal,
)
from botoflowx.workflow._commands import make_command
from botoflowx.workflow._outbox import Outbox


class Acts:
    @activity(version="1.0", start_to_close_timeout=60)
    def echo(self, x: Any) -> Any:
        return x


class Wide(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def run(self, n: int) -> Generator[Any, Any, Any]:
        results = yield AllFuture(*[Acts.echo(i) for i in range(n)])
        return len(results)


def test_more_than_99_commands_wait_behind_a_continue_timer() -> None:
    d = Driver(Wide)
    first = d.start(150)
    assert len(first) == 100
    assert summary(first)[:2] == [
        ("ScheduleActivityTask", "1", "Acts.echo"),
        ("ScheduleActivityTask", "2", "Acts.echo"),
    ]
    assert summary(first)[-1] == ("StartTimer", "botoflowx.continue.1", "")
    assert attrs(first[-1])["startToFireTimeout"] == "0"
    # Nothing goes out until the timer fires, even if other events arrive first.
    assert d.activate(completed("1", 0)) == []
    second = d.activate(FakeJob("timer_fired", key="botoflowx.continue.1"))
    assert [c.key for c in second] == [str(n) for n in range(100, 151)]
    assert not d.instance.closed


def test_the_close_decision_waits_for_held_back_commands() -> None:
    class CloseEarly(WorkflowDefinition):
        @execute(version="1.0", execution_start_to_close_timeout=600)
        def run(self) -> Any:
            for i in range(120):
                Acts.echo(i)  # fire and forget
            return "done"

    d = Driver(CloseEarly)
    first = d.start()
    assert len(first) == 100 and not d.instance.closed
    second = d.activate(FakeJob("timer_fired", key="botoflowx.continue.1"))
    assert len(second) == 22
    assert second[-1].decision_type == "CompleteWorkflowExecution"
    assert d.instance.closed


def test_withdrawn_commands_leave_the_outbox() -> None:
    outbox = Outbox(lambda: "here", max_commands=2)
    commands = [
        make_command("StartTimer", {"timerId": str(n), "startToFireTimeout": "1"}, location="")
        for n in range(4)
    ]
    for command in commands:
        outbox.emit(command)
    assert outbox.withdraw(commands[1])
    assert not outbox.withdraw(commands[1])
    batch = outbox.take_batch()
    assert batch[:2] == [commands[0], commands[2]]
    assert batch[2].key == "botoflowx.continue.1"
    assert outbox.take_batch() == []  # waiting for the timer
    assert not outbox.release("botoflowx.continue.9")
    assert outbox.release("botoflowx.continue.1")
    assert outbox.take_batch() == [commands[3]]


def test_batches_stay_under_the_byte_budget() -> None:
    outbox = Outbox(lambda: "", max_bytes=1_000)
    for _ in range(5):
        outbox.emit(
            make_command(
                "RecordMarker", {"markerName": "m", "details": "x" * 400}, key="m", location=""
            )
        )
    batch = outbox.take_batch()
    assert [c.decision_type for c in batch] == ["RecordMarker", "RecordMarker", "StartTimer"]


class WideThenPatched(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def run(self) -> Generator[Any, Any, Any]:
        futures = [Acts.echo(i) for i in range(150)]
        branch = "new" if patched("late") else "old"
        yield AllFuture(*futures)
        return branch


def test_a_patch_marker_goes_out_at_its_own_boundary_even_behind_a_full_batch() -> None:
    d = Driver(WideThenPatched)
    first = d.start()
    assert summary(first)[0] == ("RecordMarker", "botoflowx.patch.late", "")
    assert len(first) == 100 and first[-1].key == "botoflowx.continue.1"
    assert first[1].key == "1"
    # Replaying that boundary with the marker recorded there gives the same commands.
    replay = Driver(WideThenPatched)
    again = replay.activate(
        FakeJob("workflow_started", payload=dumps([[], {}])),
        replaying=True,
        markers=[("botoflowx.patch.late", "late")],
    )
    assert summary(again) == summary(first)


def test_urgent_commands_go_out_while_a_continue_timer_is_outstanding() -> None:
    outbox = Outbox(lambda: "", max_commands=1)
    held = [
        make_command("StartTimer", {"timerId": str(n), "startToFireTimeout": "1"}, location="")
        for n in range(2)
    ]
    for command in held:
        outbox.emit(command)
    assert outbox.take_batch()[0] is held[0]
    marker = make_command("RecordMarker", {"markerName": "m"}, key="m", location="")
    outbox.emit(marker, urgent=True)
    assert outbox.take_batch() == [marker]
    assert outbox.release("botoflowx.continue.1")
    assert outbox.take_batch() == [held[1]]


class Versioned(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def run(self) -> Generator[Any, Any, Any]:
        yield Acts.echo("first")
        if patched("fix-1"):
            again = patched("fix-1")  # the first answer holds
            value = yield Acts.echo(f"new {again}")
        else:
            value = yield Acts.echo("old")
        return value


def test_patched_records_a_marker_when_deciding_live() -> None:
    d = Driver(Versioned)
    d.start()
    out = d.activate(completed("1", "first"))
    assert summary(out) == [
        ("RecordMarker", "botoflowx.patch.fix-1", ""),
        ("ScheduleActivityTask", "2", "Acts.echo"),
    ]
    assert attrs(out[0]) == {"markerName": "botoflowx.patch.fix-1", "details": "fix-1"}
    assert loads(attrs(out[1])["input"]) == [["new True"], {}]


def test_patched_replays_the_old_branch_without_the_marker() -> None:
    d = Driver(Versioned)
    d.activate(FakeJob("workflow_started", payload=dumps([[], {}])), replaying=True)
    out = d.activate(completed("1", "first"), replaying=True)
    assert summary(out) == [("ScheduleActivityTask", "2", "Acts.echo")]
    assert loads(attrs(out[0])["input"]) == [["old"], {}]


def test_patched_replays_the_new_branch_with_the_marker() -> None:
    d = Driver(Versioned)
    d.activate(FakeJob("workflow_started", payload=dumps([[], {}])), replaying=True)
    out = d.activate(
        completed("1", "first"),
        replaying=True,
        markers=[("botoflowx.patch.fix-1", "fix-1")],
    )
    assert summary(out)[0] == ("RecordMarker", "botoflowx.patch.fix-1", "")


class Deprecated(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def run(self) -> Generator[Any, Any, Any]:
        yield Acts.echo("first")
        deprecate_patch("fix-1")
        value = yield Acts.echo("new")
        return value


@pytest.mark.parametrize(
    ("replaying", "markers", "expected"),
    [
        (False, [], ["RecordMarker", "ScheduleActivityTask"]),
        (True, [("botoflowx.patch.fix-1", "fix-1")], ["RecordMarker", "ScheduleActivityTask"]),
        (True, [], ["ScheduleActivityTask"]),
    ],
)
def test_deprecate_patch_matches_runs_with_and_without_the_marker(
    replaying: bool, markers: list[tuple[str, str]], expected: list[str]
) -> None:
    d = Driver(Deprecated)
    d.activate(FakeJob("workflow_started", payload=dumps([[], {}])), replaying=replaying)
    out = d.activate(completed("1", "first"), replaying=replaying, markers=markers)
    assert [c.decision_type for c in out] == expected


@pytest.mark.parametrize("change_id", ["", "a:b", "a/b", "x|y", "tab\there", "z" * 250])
def test_patch_ids_must_make_valid_marker_names(change_id: str) -> None:
    class Bad(WorkflowDefinition):
        @execute(version="1.0", execution_start_to_close_timeout=600)
        def run(self) -> Any:
            return patched(change_id)

    out = Driver(Bad).start()
    assert out[-1].decision_type == "FailWorkflowExecution"
    assert "Error" in attrs(out[-1])["reason"]


def test_patch_calls_outside_workflow_code_say_where_they_belong() -> None:
    with pytest.raises(NotInWorkflowError, match="patched"):
        patched("x")
    with pytest.raises(NotInWorkflowError, match="continue_as_new_suggested"):
        workflow_time.continue_as_new_suggested()


class Target(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def run(self) -> Any:
        return None

    @signal(name="Poke")
    def poke(self, value: Any) -> None:
        del value


class Signaller(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def run(self, size: int = 1) -> Generator[Any, Any, Any]:
        try:
            yield Target(WorkflowExecution("other", "r2")).poke("x" * size)
        except Exception as err:  # the test reports whatever arrives
            return [type(err).__name__, getattr(err, "cause", None)]
        return "delivered"


def test_signalling_another_run_emits_signal_external() -> None:
    d = Driver(Signaller)
    (command,) = d.start()
    assert summary([command]) == [("SignalExternalWorkflowExecution", "1", "Poke")]
    assert attrs(command) == {
        "workflowId": "other",
        "runId": "r2",
        "signalName": "Poke",
        "input": dumps([["x"], {}]),
        "control": "1",
    }
    (done,) = d.activate(FakeJob("external_signaled", key="1", workflow_id="other"))
    assert loads(attrs(done)["result"]) == "delivered"


def test_a_signal_that_cannot_be_delivered_raises_in_the_workflow() -> None:
    d = Driver(Signaller)
    d.start()
    (done,) = d.activate(
        FakeJob(
            "signal_external_failed",
            key="1",
            workflow_id="other",
            run_id="r2",
            cause="UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION",
        )
    )
    assert loads(attrs(done)["result"]) == [
        "SignalExternalWorkflowExecutionFailedError",
        "UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION",
    ]


def test_oversize_signal_input_fails_before_any_decision() -> None:
    (out,) = Driver(Signaller).start(40_000)
    assert out.decision_type == "CompleteWorkflowExecution"
    assert loads(attrs(out)["result"])[0] == PayloadTooLargeError.__name__


class Suggests(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def run(self) -> Any:
        return [
            workflow_time.history_length(),
            workflow_time.continue_as_new_suggested(),
            workflow_time.continue_as_new_suggested(max_events=50),
        ]


def test_continue_as_new_suggested_reads_the_history_size() -> None:
    d = Driver(Suggests)
    (out,) = d.activate(FakeJob("workflow_started", payload=dumps([[], {}])), started_event_id=60)
    assert loads(attrs(out)["result"]) == [60, False, True]


class CancelThenReturn(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def run(self) -> Any:
        self.cancel("changed my mind")
        return "ignored"


def test_self_cancel_closes_the_run_as_canceled_even_when_execute_returns() -> None:
    (out,) = Driver(CancelThenReturn).start()
    assert out.decision_type == "CancelWorkflowExecution"
    assert attrs(out) == {"details": "changed my mind"}


class AbandonsChild(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def run(self, when: str) -> Generator[Any, Any, Any]:
        starting = Signaller.run()
        if when == "at once":
            starting.cancel()
        else:
            yield workflow_time.sleep(1)
            starting.cancel()
        try:
            yield starting
        except Exception as err:  # the test reports whatever arrives
            if when != "at once":
                yield workflow_time.sleep(5)  # stay open while the child starts
            return type(err).__name__
        return "started"


def test_a_child_cancelled_before_its_start_was_sent_never_starts() -> None:
    (out,) = Driver(AbandonsChild).start("at once")
    assert out.decision_type == "CompleteWorkflowExecution"
    assert loads(attrs(out)["result"]) == "CancelledError"


def test_a_child_cancelled_while_starting_is_asked_to_cancel_once_started() -> None:
    d = Driver(AbandonsChild)
    first = d.start("later")
    assert [c.decision_type for c in first] == ["StartChildWorkflowExecution", "StartTimer"]
    child_id = first[0].key
    assert summary(d.activate(FakeJob("timer_fired", key="2"))) == [("StartTimer", "3", "")]
    (request,) = d.activate(FakeJob("child_started", key=child_id, run_id="c1", name="Signaller"))
    assert summary([request]) == [("RequestCancelExternalWorkflowExecution", "4", "")]
    assert attrs(request) == {"workflowId": child_id, "runId": "c1", "control": "4"}
    (done,) = d.activate(FakeJob("timer_fired", key="3"))
    assert loads(attrs(done)["result"]) == "CancelledError"


class StopsWaitingForChild(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def run(self) -> Generator[Any, Any, Any]:
        child = yield Signaller.run()
        child.workflow_result.cancel()
        yield workflow_time.sleep(5)
        return "moved on"


def test_a_child_outcome_nobody_waits_for_is_dropped_quietly() -> None:
    d = Driver(StopsWaitingForChild)
    (start,) = d.start()
    out = d.activate(FakeJob("child_started", key=start.key, run_id="c1", name="Signaller"))
    assert summary(out) == [("StartTimer", "2", "")]
    assert d.activate(FakeJob("child_completed", key=start.key, run_id="c1", payload="1")) == []
    (done,) = d.activate(FakeJob("timer_fired", key="2"))
    assert loads(attrs(done)["result"]) == "moved on"


class CancelsWithHugeDetails(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=600)
    def run(self) -> Any:
        self.cancel("d" * 40_000)


def test_oversize_cancel_details_raise_at_the_call() -> None:
    (out,) = Driver(CancelsWithHugeDetails).start()
    assert out.decision_type == "FailWorkflowExecution"
    assert attrs(out)["reason"].startswith("PayloadTooLargeError: the encoded details of")
