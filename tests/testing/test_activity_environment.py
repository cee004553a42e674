"""ActivityEnvironment: activity code run directly, heartbeats recorded, cancellation delivered."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from kit_workflows import KitActivities

from botoflowx import ActivityContext, CancellationError, get_context
from botoflowx.activity import activities, activity
from botoflowx.exceptions import NotInWorkflowError
from botoflowx.testing import ActivityEnvironment, TestActivityContext
from botoflowx.workflow import WorkflowExecution

pytestmark = pytest.mark.timeout(30)


@activities(heartbeat_timeout=4)
class FileActivities:
    """Activities that report progress."""

    def __init__(self) -> None:
        self.copied: list[str] = []

    @activity(version="2.1")
    def copy(self, *names: str) -> int:
        context = get_context()
        for name in names:
            self.copied.append(name)
            context.heartbeat(f"copied {name}")
        return len(names)

    @activity(version="1.0")
    def describe_task(self) -> dict[str, Any]:
        context = get_context()
        task = context.task
        return {
            "context": type(context).__name__,
            "is_activity_context": isinstance(context, ActivityContext),
            "id": task.activity_id,
            "name": task.name,
            "version": task.version,
            "token": task.token,
            "input": task.input,
            "execution": tuple(context.workflow_execution),
            "interval": context.interval,
        }

    @activity(version="1.0")
    def progress(self, steps: int) -> None:
        context = get_context()
        for step in range(steps):
            context.heartbeat({"step": step, "of": steps})

    @activity(version="1.0")
    def fail(self, message: str) -> None:
        raise ValueError(message)

    @activity(version="1.0")
    def wait_for_cancel(self, started: threading.Event) -> str:
        context = get_context()
        started.set()
        for _ in range(100_000):
            context.heartbeat()
            threading.Event().wait(0.001)
        return "never canceled"

    @activity(version="1.0")
    def swallow_cancel(self) -> list[str]:
        context = get_context()
        seen = []
        for _ in range(3):
            try:
                context.heartbeat("beat")
            except CancellationError:
                seen.append(f"canceled (cancel_requested={context.cancel_requested})")
        return seen


def test_the_result_is_returned_and_heartbeats_are_recorded() -> None:
    acts = FileActivities()
    env = ActivityEnvironment()
    assert env.run(acts.copy, "a", "b", "c") == 3
    assert env.heartbeats == ["copied a", "copied b", "copied c"]
    assert acts.copied == ["a", "b", "c"]
    # Unthrottled: back-to-back heartbeats are all recorded, unlike SWF's wire.
    env.run(acts.progress, 50)
    assert len(env.heartbeats) == 53
    assert env.heartbeats[-1] == {"step": 49, "of": 50}


def test_the_context_looks_like_a_workers() -> None:
    env = ActivityEnvironment(
        activity_id="7",
        workflow_execution=WorkflowExecution("wf-1", "run-1"),
        task_token="token-1",
    )
    seen = env.run(FileActivities().describe_task)
    assert seen == {
        "context": "TestActivityContext",
        "is_activity_context": True,
        "id": "7",
        "name": "FileActivities.describe_task",
        "version": "1.0",
        "token": "token-1",
        "input": "[[],{}]",
        "execution": ("wf-1", "run-1"),
        "interval": 2.0,  # half the declared 4 s heartbeat timeout, as a worker would beat
    }
    assert isinstance(env.context, TestActivityContext)


def test_the_context_is_removed_after_the_run() -> None:
    env = ActivityEnvironment()
    env.run(FileActivities().copy, "x")
    with pytest.raises(NotInWorkflowError):
        get_context()


def test_the_activitys_exception_propagates_unchanged() -> None:
    env = ActivityEnvironment()
    with pytest.raises(ValueError, match="disk full"):
        env.run(FileActivities().fail, "disk full")
    with pytest.raises(NotInWorkflowError):
        get_context()


def test_cancel_before_the_run_stops_it_at_the_first_heartbeat() -> None:
    acts = FileActivities()
    env = ActivityEnvironment()
    env.cancel()
    assert env.cancel_requested
    with pytest.raises(CancellationError, match=r"FileActivities\.copy"):
        env.run(acts.copy, "a", "b")
    assert acts.copied == ["a"]
    assert env.heartbeats == ["copied a"]  # the heartbeat that learned of the cancel
    assert env.context is not None and env.context.cancel_requested


def test_cancel_from_a_heartbeat_callback() -> None:
    acts = FileActivities()
    env = ActivityEnvironment()

    def on_heartbeat(details: Any) -> None:
        if details == "copied b":
            env.cancel()

    env.on_heartbeat = on_heartbeat
    with pytest.raises(CancellationError):
        env.run(acts.copy, "a", "b", "c", "d")
    assert env.heartbeats == ["copied a", "copied b"]
    assert acts.copied == ["a", "b"]


def test_cancel_from_another_thread_while_the_activity_runs() -> None:
    env = ActivityEnvironment()
    started = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            env.run(FileActivities().wait_for_cancel, started)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    assert started.wait(10)
    env.cancel()
    thread.join(10)
    assert not thread.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], CancellationError)


def test_heartbeats_after_the_cancellation_raise_without_being_sent() -> None:
    env = ActivityEnvironment()
    env.cancel()
    seen = env.run(FileActivities().swallow_cancel)
    assert seen == ["canceled (cancel_requested=True)"] * 3
    assert env.heartbeats == ["beat"]  # only the first reached "SWF"


def test_oversized_heartbeat_details_are_refused_as_by_a_worker() -> None:
    env = ActivityEnvironment()
    with pytest.raises(ValueError, match="2048"):
        env.run(FileActivities().copy, "x" * 3000)
    assert env.heartbeats == []


def test_plain_functions_and_activity_classes_with_state() -> None:
    def add(a: int, b: int) -> int:
        context = get_context()
        context.heartbeat(a + b)
        return a + b

    env = ActivityEnvironment()
    assert env.run(add, 2, b=3) == 5
    assert env.heartbeats == [5]
    assert env.context is not None
    assert env.context.task.name.endswith("add")
    # An activity of the kit's workflows, with real heartbeat calls in a loop.
    assert env.run(KitActivities().count, 4) == 4
    assert env.heartbeats == [5, 0, 1, 2, 3]


def test_arguments_the_converter_cannot_encode_still_reach_the_code() -> None:
    marker = object()

    def identity(value: Any) -> Any:
        assert get_context().task.input is None
        return value

    assert ActivityEnvironment().run(identity, marker) is marker
