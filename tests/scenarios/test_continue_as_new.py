"""Continue-as-new: calling the own @execute method, what carries over, following the chain."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from botoflowx import workflow_time
from botoflowx.client import ContinuedAsNew
from botoflowx.constants import CHILD_ABANDON
from botoflowx.workflow import WorkflowDefinition, execute

from .conftest import Scenario

pytestmark = pytest.mark.timeout(60)


class Counter(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=3600)
    def count(self, n: int, limit: int) -> Generator[Any, Any, Any]:
        yield workflow_time.sleep(0)
        if n < limit:
            self.count(n + 1, limit)  # continue as new; returns at once
            return None
        return n


class LongRunner(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=3600)
    def loop(self, generation: int, max_events: int) -> Generator[Any, Any, Any]:
        steps = 0
        while not workflow_time.continue_as_new_suggested(max_events):
            yield workflow_time.sleep(0)
            steps += 1
        if generation == 0:
            self.loop(1, max_events)
            return None
        return [generation, steps, workflow_time.history_length()]


def runs_of(scenario: Scenario, first: Any) -> list[Any]:
    """The handles of every run of the chain that starts at ``first``."""
    runs = [scenario.handle(first.workflow_id, first.run_id)]
    while True:
        moved = scenario.events(runs[-1], "WorkflowExecutionContinuedAsNew")
        if not moved:
            return runs
        runs.append(scenario.handle(first.workflow_id, moved[0]["newExecutionRunId"]))


def test_continue_as_new_carries_options_and_tags_and_the_handle_follows(
    scenario: Scenario,
) -> None:
    options = {
        "tag_list": ["tenant-7", "nightly"],
        "execution_start_to_close_timeout": 1234,
        "task_start_to_close_timeout": 20,
        "task_priority": 3,
        "child_policy": CHILD_ABANDON,
    }
    with scenario.workers([Counter]):
        handle = scenario.start(lambda: Counter.count(1, 3), **options)
        first = scenario.handle(handle.workflow_id, handle.run_id)
        assert handle.result(timeout=30) == 3
    assert handle.run_id != first.run_id  # the handle followed the chain
    runs = runs_of(scenario, first)
    assert [run.run_id for run in runs][-1] == handle.run_id
    assert len(runs) == 3
    for run in runs:
        (started,) = scenario.events(run, "WorkflowExecutionStarted")
        assert started["tagList"] == ["tenant-7", "nightly"]
        assert started["executionStartToCloseTimeout"] == "1234"
        assert started["taskStartToCloseTimeout"] == "20"
        assert started["taskPriority"] == "3"
        assert started["childPolicy"] == "ABANDON"
        assert started["taskList"] == {"name": scenario.task_list}
        assert started["workflowType"] == {"name": "Counter", "version": "1.0"}
    (moved,) = scenario.events(runs[0], "WorkflowExecutionContinuedAsNew")
    assert moved["input"] == "[[2,3],{}]"
    assert moved["tagList"] == ["tenant-7", "nightly"]
    # Asked not to follow, a handle of the first run reports where the chain went.
    assert first.wait_for_completion(follow_continue_as_new=False) == ContinuedAsNew(
        first.workflow_id, runs[1].run_id
    )


def test_continue_as_new_suggested_by_history_size(scenario: Scenario) -> None:
    with scenario.workers([LongRunner]):
        handle = scenario.start(lambda: LongRunner.loop(0, 30))
        first_run = handle.run_id
        generation, steps, length = handle.result(timeout=30)
    assert generation == 1
    assert length >= 30
    assert steps > 0
    first = scenario.history(scenario.handle(handle.workflow_id, first_run))
    assert first[-1]["eventType"] == "WorkflowExecutionContinuedAsNew"
    # The suggestion came once the history reached the threshold, not before.
    assert 30 <= len(first) < 30 + 12
