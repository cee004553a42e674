"""Manual activities: the task stays open until another PROCESS answers it by its token."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from botoflowx.activity import activities, manual_activity
from botoflowx.client import ManualActivityCompletionClient
from botoflowx.exceptions import (
    ActivityTaskCanceledError,
    ActivityTaskFailedError,
    PayloadTooLargeError,
)
from botoflowx.workflow import WorkflowDefinition, execute, get_context, workflow_time

from .conftest import ACTIVITY_TIMEOUTS, Scenario

pytestmark = pytest.mark.timeout(60)

# Run as a separate interpreter: it has nothing but the endpoint and the token file.
COMPLETER = """
import sys
from botoflowx.client import ManualActivityCompletionClient

endpoint, action, token_file = sys.argv[1:4]
client = ManualActivityCompletionClient(endpoint_url=endpoint)
token = open(token_file).read()
if action == "complete":
    client.complete({"approved": True, "by": "another process"}, token)
elif action == "fail":
    client.fail(token, details=PermissionError("denied by the reviewer"))
elif action == "cancel":
    print("cancel requested:", client.record_heartbeat(token, {"seen": True}))
    client.cancel(token, "withdrawn")
"""


@activities(**ACTIVITY_TIMEOUTS)
class Desk:
    @manual_activity(version="1.0")
    def ask(self, token_file: str, question: str) -> None:
        # Hand the token over and return: the worker does not answer SWF.
        Path(token_file).write_text(get_context().task.token)


class ApprovalWorkflow(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=3600)
    def run(self, token_file: str, withdraw_after: int = 0) -> Generator[Any, Any, Any]:
        answer = Desk.ask(token_file, "may I?")
        if withdraw_after:
            yield workflow_time.sleep(withdraw_after)
            answer.cancel()
        try:
            result = yield answer
        except ActivityTaskFailedError as err:
            return ["failed", type(err.cause).__name__, str(err.cause), err.reason]
        except ActivityTaskCanceledError as err:
            return ["canceled", err.details]
        return ["completed", result]


def _answer_from_another_process(scenario: Scenario, action: str, token_file: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", COMPLETER, scenario.endpoint_url, action, str(token_file)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _wait_for_token(scenario: Scenario, token_file: Path) -> None:
    scenario.wait_until(lambda: token_file.exists(), "the manual activity to hand its token")


def test_another_process_completes_the_task(scenario: Scenario, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    with scenario.workers([ApprovalWorkflow], [Desk()]):
        handle = scenario.start(lambda: ApprovalWorkflow.run(str(token_file)))
        _wait_for_token(scenario, token_file)
        # The worker ran the method but left the task open.
        with pytest.raises(TimeoutError):
            handle.result(timeout=1.5)
        _answer_from_another_process(scenario, "complete", token_file)
        assert handle.result(timeout=30) == [
            "completed",
            {"approved": True, "by": "another process"},
        ]
    types = scenario.event_types(handle)
    assert types.count("ActivityTaskStarted") == 1
    assert "ActivityTaskCompleted" in types


def test_another_process_fails_the_task_with_an_exception(
    scenario: Scenario, tmp_path: Path
) -> None:
    token_file = tmp_path / "token"
    with scenario.workers([ApprovalWorkflow], [Desk()]):
        handle = scenario.start(lambda: ApprovalWorkflow.run(str(token_file)))
        _wait_for_token(scenario, token_file)
        _answer_from_another_process(scenario, "fail", token_file)
        assert handle.result(timeout=30) == [
            "failed",
            "PermissionError",
            "denied by the reviewer",
            "PermissionError: denied by the reviewer",
        ]


def test_another_process_sees_the_cancel_request_and_cancels(
    scenario: Scenario, tmp_path: Path
) -> None:
    token_file = tmp_path / "token"
    with scenario.workers([ApprovalWorkflow], [Desk()]):
        handle = scenario.start(lambda: ApprovalWorkflow.run(str(token_file), 10))
        _wait_for_token(scenario, token_file)
        scenario.wait_for_event(handle, "TimerStarted")
        scenario.advance_clock(10)
        scenario.wait_for_event(handle, "ActivityTaskCancelRequested")
        output = _answer_from_another_process(scenario, "cancel", token_file)
        assert "cancel requested: True" in output
        assert handle.result(timeout=30) == ["canceled", "withdrawn"]
    assert "ActivityTaskCanceled" in scenario.event_types(handle)


def test_a_closed_task_token_is_refused(scenario: Scenario, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    with scenario.workers([ApprovalWorkflow], [Desk()]):
        handle = scenario.start(lambda: ApprovalWorkflow.run(str(token_file)))
        _wait_for_token(scenario, token_file)
        client = ManualActivityCompletionClient(endpoint_url=scenario.endpoint_url)
        token = token_file.read_text()
        assert client.record_heartbeat(token, "still thinking") is False
        client.complete("yes", token)
        assert handle.result(timeout=30) == ["completed", "yes"]
        with pytest.raises(Exception) as info:
            client.complete("again", token)
    assert "UnknownResource" in str(info.value)


def test_oversize_payloads_fail_before_the_call(scenario: Scenario) -> None:
    client = ManualActivityCompletionClient(endpoint_url=scenario.endpoint_url)
    with pytest.raises(PayloadTooLargeError):
        client.complete("x" * 40_000, "token")
    with pytest.raises(PayloadTooLargeError):
        client.record_heartbeat("token", "x" * 3000)
    with pytest.raises(TypeError):
        client.complete("ok", "")
