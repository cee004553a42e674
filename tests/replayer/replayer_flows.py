"""Workflows whose histories the replayer tests record and replay (and incompatible edits)."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from botoflowx import HOURS, WorkflowDefinition, activity, execute, workflow, workflow_time


class Maths:
    """Activities of the recorded workflows."""

    @activity(version="1.0", start_to_close_timeout=60)
    def double(self, value: int) -> int:
        return value * 2

    @activity(version="1.0", start_to_close_timeout=60)
    def add(self, a: int, b: int) -> int:
        return a + b


class Pipeline(WorkflowDefinition):
    """An activity, an hour-long timer, then two activities in parallel."""

    @execute(version="1.0", execution_start_to_close_timeout=2 * HOURS)
    def run(self, value: int) -> Generator[Any, Any, int]:
        doubled = yield Maths.double(value)
        yield workflow_time.sleep(1 * HOURS)
        first, second = yield Maths.double(doubled), Maths.add(doubled, 1)
        return int(first + second)


@workflow(name="Pipeline")
class PipelineWithoutTimer(WorkflowDefinition):
    """Pipeline after an incompatible edit: the timer was removed."""

    @execute(version="1.0", execution_start_to_close_timeout=2 * HOURS)
    def run(self, value: int) -> Generator[Any, Any, int]:
        doubled = yield Maths.double(value)
        first, second = yield Maths.double(doubled), Maths.add(doubled, 1)  # edited: no sleep
        return int(first + second)


@workflow(name="Pipeline")
class PipelineRefactored(WorkflowDefinition):
    """Pipeline after a compatible edit: same commands in the same order, code reorganised."""

    @execute(version="1.0", execution_start_to_close_timeout=2 * HOURS)
    def run(self, value: int) -> Generator[Any, Any, int]:
        doubled = yield from self._double_then_wait(value)
        results = yield Maths.double(doubled), Maths.add(doubled, 1)
        return int(sum(results))

    def _double_then_wait(self, value: int) -> Generator[Any, Any, int]:
        doubled = yield Maths.double(value)
        yield workflow_time.sleep(1 * HOURS)
        return int(doubled)


class Acts:
    """The activities of the worker tests' recorded Hello World (names must match)."""

    @activity(version="1.0")
    def get_name(self) -> str:
        return "World"

    @activity(version="1.0")
    def greet(self, name: str) -> str:
        return f"Hello {name}!"


class HelloWorkflow(WorkflowDefinition):
    """The workflow of ``tests/worker/fixtures/hello_world_history.json``."""

    @execute(version="1.0", execution_start_to_close_timeout=600)
    def hello(self) -> Generator[Any, Any, str]:
        name = yield Acts.get_name()
        greeting = yield Acts.greet(name)
        return str(greeting)


class Leaf(WorkflowDefinition):
    """A child workflow: doubles through an activity."""

    @execute(version="1.0", execution_start_to_close_timeout=600)
    def run(self, value: int) -> Generator[Any, Any, int]:
        doubled = yield Maths.double(value)
        return int(doubled)


class Tree(WorkflowDefinition):
    """Starts a Leaf child with the default child workflow id (derived from the run id)."""

    @execute(version="1.0", execution_start_to_close_timeout=600)
    def run(self, value: int) -> Generator[Any, Any, int]:
        child = yield Leaf.run(value)
        result = yield child.workflow_result
        return int(result) + 1
