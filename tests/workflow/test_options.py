"""activity_options / workflow_options: nesting merges, validation, task-local stacks."""

from __future__ import annotations

import threading
from collections.abc import Generator
from typing import Any

import pytest

from botoflowx.constants import CHILD_ABANDON
from botoflowx.workflow._coroutines import Task
from botoflowx.workflow._futures import Future
from botoflowx.workflow._loop import WorkflowLoop
from botoflowx.workflow._options import (
    activity_options,
    current_activity_options,
    current_workflow_options,
    workflow_options,
)


def test_nested_blocks_merge_field_by_field() -> None:
    assert current_activity_options() == {}
    with activity_options(task_list="outer", start_to_close_timeout=10, name="A.x"):
        with activity_options(start_to_close_timeout=20, version="2"):
            assert current_activity_options() == {
                "task_list": "outer",
                "start_to_close_timeout": 20,
                "name": "A.x",
                "version": "2",
            }
        assert current_activity_options() == {
            "task_list": "outer",
            "start_to_close_timeout": 10,
            "name": "A.x",
        }
    assert current_activity_options() == {}


def test_workflow_options_every_field() -> None:
    converter = object()
    with workflow_options(
        task_list="t",
        workflow_id="id-1",
        version="3",
        name="Other",
        execution_start_to_close_timeout=100,
        task_start_to_close_timeout=5,
        child_policy=CHILD_ABANDON,
        tag_list=["a", "b"],
        task_priority=7,
        data_converter=converter,
    ):
        with workflow_options(workflow_id="id-2"):
            options = current_workflow_options()
    assert options["workflow_id"] == "id-2"
    assert options["task_list"] == "t" and options["tag_list"] == ["a", "b"]
    assert options["data_converter"] is converter and options["child_policy"] == "ABANDON"
    assert len(options) == 10


def test_options_are_validated_where_written() -> None:
    with pytest.raises(ValueError, match="child_policy"):
        workflow_options(child_policy="KILL")
    with pytest.raises(ValueError, match="5"):
        workflow_options(tag_list=["1", "2", "3", "4", "5", "6"])
    with pytest.raises(TypeError, match="seconds"):
        activity_options(start_to_close_timeout="soon")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="non-empty"):
        activity_options(task_list="")


def test_options_are_per_thread() -> None:
    seen: list[dict[str, Any]] = []
    with workflow_options(task_list="main-thread"):
        thread = threading.Thread(target=lambda: seen.append(current_workflow_options()))
        thread.start()
        thread.join()
    assert seen == [{}]


def test_a_block_open_across_a_yield_stays_in_its_coroutine(loop: WorkflowLoop) -> None:
    gate: Future[None] = Future()
    seen: dict[str, Any] = {}

    def holder() -> Generator[Any, Any, None]:
        with activity_options(task_list="holder"):
            yield gate
            seen["holder after"] = current_activity_options()

    def other() -> Generator[Any, Any, None]:
        yield None
        seen["other"] = current_activity_options()

    Task(holder(), loop=loop)
    Task(other(), loop=loop)
    loop.run_until_idle()
    gate.set_result(None)
    loop.run_until_idle()
    assert seen == {"other": {}, "holder after": {"task_list": "holder"}}
    assert current_activity_options() == {}
