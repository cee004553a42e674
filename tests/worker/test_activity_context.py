"""ActivityContext: throttled heartbeats, latest details delivered, cancellation."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from botoflowx.activity._context import (
    DEFAULT_HEARTBEAT_INTERVAL,
    ActivityContext,
    ActivityTask,
    heartbeat_interval,
    installed_context,
)
from botoflowx.exceptions import CancellationError
from botoflowx.workflow._context import WorkflowExecution, get_context


class HeartbeatRecorder:
    """Stands in for the SWF client: records RecordActivityTaskHeartbeat calls."""

    def __init__(self, answers: list[Any] | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.answers = answers or []
        self.lock = threading.Lock()

    def record_activity_task_heartbeat(self, **kwargs: Any) -> dict[str, Any]:
        with self.lock:
            self.calls.append(kwargs)
            answer = self.answers.pop(0) if self.answers else {"cancelRequested": False}
        if isinstance(answer, BaseException):
            raise answer
        return answer


TASK = ActivityTask(
    activity_id="7",
    name="Acts.work",
    version="1.0",
    input=None,
    token="token-1",
    started_event_id=12,
    workflow_execution=WorkflowExecution("wf", "run"),
)


def test_interval_is_derived_from_the_heartbeat_timeout() -> None:
    assert heartbeat_interval(10) == 5.0
    assert heartbeat_interval(600) == 30.0
    assert heartbeat_interval(None) == DEFAULT_HEARTBEAT_INTERVAL
    assert heartbeat_interval(0) == DEFAULT_HEARTBEAT_INTERVAL


def test_tight_loop_sends_one_heartbeat_then_the_latest_details() -> None:
    client = HeartbeatRecorder()
    context = ActivityContext(TASK, client, heartbeat_timeout=0.6)  # interval 0.3 s
    for step in range(1000):
        context.heartbeat(f"step {step}")
    assert client.calls == [{"taskToken": "token-1", "details": "step 0"}]

    deadline = time.monotonic() + 5
    while len(client.calls) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert client.calls[1] == {"taskToken": "token-1", "details": "step 999"}
    time.sleep(0.5)
    assert len(client.calls) == 2  # nothing pending, nothing more sent
    context.close()


def test_close_drops_pending_details() -> None:
    client = HeartbeatRecorder()
    context = ActivityContext(TASK, client, heartbeat_timeout=0.4)
    context.heartbeat("a")
    context.heartbeat("b")
    context.close()
    time.sleep(0.4)
    assert [call.get("details") for call in client.calls] == ["a"]


def test_cancel_requested_raises_cancellation_error_now_and_later() -> None:
    client = HeartbeatRecorder([{"cancelRequested": True}])
    context = ActivityContext(TASK, client, heartbeat_timeout=100)
    with pytest.raises(CancellationError):
        context.heartbeat()
    assert context.cancel_requested
    with pytest.raises(CancellationError):
        context.heartbeat("again")
    assert len(client.calls) == 1


def test_task_gone_means_stop_and_other_errors_are_survived() -> None:
    gone = ClientError(
        {"Error": {"Code": "UnknownResourceFault", "Message": "Unknown task"}},
        "RecordActivityTaskHeartbeat",
    )
    client = HeartbeatRecorder([ConnectionError("reset"), gone])
    context = ActivityContext(TASK, client, heartbeat_timeout=0.02)
    context.heartbeat("first")  # a network error does not fail the activity
    time.sleep(0.05)
    with pytest.raises(CancellationError):
        context.heartbeat("second")


def test_non_string_details_use_the_encoder_and_size_is_checked() -> None:
    client = HeartbeatRecorder()
    context = ActivityContext(TASK, client, encode_details=lambda v: f"enc:{v!r}")
    context.heartbeat({"done": 3})
    assert client.calls[0]["details"] == "enc:{'done': 3}"
    with pytest.raises(ValueError, match="2048"):
        context.heartbeat("x" * 2049)


def test_installed_context_is_visible_and_restored() -> None:
    context = ActivityContext(TASK, HeartbeatRecorder())
    with installed_context(context):
        assert get_context() is context
        assert get_context().task.id == "7"
        assert get_context().workflow_execution == ("wf", "run")
    with pytest.raises(Exception, match="no botoflowx context"):
        get_context()
