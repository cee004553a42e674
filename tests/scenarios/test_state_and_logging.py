"""Workflow state (executionContext, read from a handle) and replay-safe logging."""

from __future__ import annotations

import logging
from collections.abc import Generator
from typing import Any

import pytest

from botoflowx.activity import activities, activity
from botoflowx.workflow import (
    BotoflowFilter,
    Future,
    ReplayFilter,
    WorkflowDefinition,
    execute,
    get_logger,
    logger,
    signal,
)

from .conftest import ACTIVITY_TIMEOUTS, Scenario

pytestmark = pytest.mark.timeout(60)

plain_log = logging.getLogger("scenarios.state.plain")
own_log = get_logger("scenarios.state.filtered")


@activities(**ACTIVITY_TIMEOUTS)
class StepActs:
    @activity(version="1.0")
    def step(self, n: int) -> int:
        return n


class Stateful(WorkflowDefinition):
    def __init__(self, workflow_execution: Any = None) -> None:
        super().__init__(workflow_execution)
        self.released: Future[Any] | None = None

    @execute(version="1.0", execution_start_to_close_timeout=600)
    def run(self) -> Generator[Any, Any, Any]:
        for n in (1, 2, 3):
            yield StepActs.step(n)
            self.workflow_state = f"step {n} done"
            logger.info("workflow logger: step %d", n)
            own_log.info("get_logger: step %d", n)
            plain_log.info("plain: step %d", n)
        self.released = self.released or Future()
        self.workflow_state = "waiting for release"
        yield self.released
        self.workflow_state = "released"
        return "finished"

    @signal()
    def release(self) -> None:
        self.released = self.released or Future()
        self.released.set_result(None)


def test_workflow_state_is_sent_and_readable_from_the_handle(scenario: Scenario) -> None:
    with scenario.workers([Stateful], [StepActs()]):
        handle = scenario.start(lambda: Stateful.run())
        scenario.wait_until(
            lambda: handle.workflow_state == "waiting for release", "the waiting state"
        )
        handle.release()
        assert handle.result(timeout=20) == "finished"
    contexts = [
        attrs.get("executionContext") for attrs in scenario.events(handle, "DecisionTaskCompleted")
    ]
    assert contexts[0] is None  # nothing set before the first step
    assert "step 1 done" in contexts
    assert contexts[-2:] == ["waiting for release", "released"]
    assert handle.workflow_state == "released"


def test_replay_filter_drops_records_made_while_replaying(
    scenario: Scenario, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="scenarios.state")
    caplog.set_level(logging.INFO, logger="botoflowx.workflow.user")
    # cache_size=0: every decision task replays the run from its first event.
    with scenario.workers([Stateful], [StepActs()], cache_size=0):
        handle = scenario.start(lambda: Stateful.run())
        scenario.wait_until(
            lambda: handle.workflow_state == "waiting for release", "the waiting state"
        )
        handle.release()
        assert handle.result(timeout=20) == "finished"
    messages = [record.getMessage() for record in caplog.records]
    for prefix in ("workflow logger", "get_logger"):
        assert [m for m in messages if m.startswith(prefix)] == [
            f"{prefix}: step {n}" for n in (1, 2, 3)
        ]
    # Without the filter, each replay logs the earlier steps again.
    plain = [m for m in messages if m.startswith("plain")]
    assert plain.count("plain: step 1") > 1
    assert BotoflowFilter is ReplayFilter


def test_replay_filter_passes_records_outside_workflow_code() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    assert ReplayFilter().filter(record)
    assert ReplayFilter(filter_replaying=False).filter(record)
