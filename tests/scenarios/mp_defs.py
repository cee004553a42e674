"""Definitions for the multiprocessing scenarios: importable, so spawned children find them."""

from __future__ import annotations

import os
from collections.abc import Generator
from typing import Any

from botoflowx.activity import activities, activity
from botoflowx.worker import get_workflow_entrypoint
from botoflowx.workflow import AllFuture, WorkflowDefinition, execute, workflow

TIMEOUTS: dict[str, Any] = {
    "schedule_to_start_timeout": 300,
    "start_to_close_timeout": 300,
    "schedule_to_close_timeout": 600,
    "heartbeat_timeout": 300,
}


@activities(**TIMEOUTS)
class ProcessActs:
    """Activities that report which process ran them."""

    def __init__(self, label: str) -> None:
        self.label = label

    @activity(version="1.0")
    def where(self, x: int) -> list[Any]:
        return [self.label, x * x, os.getpid()]


class FanOut(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=3600)
    def run(self, n: int) -> Generator[Any, Any, Any]:
        results = yield AllFuture(*[ProcessActs.where(i) for i in range(n)])
        return [list(results), os.getpid()]


@workflow("Looked.Up")
class LookedUp(WorkflowDefinition):
    @execute(version="3.0", execution_start_to_close_timeout=3600)
    def go(self, x: int) -> Generator[Any, Any, Any]:
        result = yield ProcessActs.where(x)
        return ["looked up", result[1], os.getpid()]


def _refuse_to_rebuild() -> Any:
    raise RuntimeError("BrokenInChild cannot be rebuilt in another process")


@activities(**TIMEOUTS)
class BrokenInChild:
    """Pickles in the parent, but fails to unpickle in a child (like a missing module)."""

    @activity(version="1.0")
    def noop(self) -> None:
        return None

    def __reduce__(self) -> Any:
        return (_refuse_to_rebuild, ())


def find_workflow(name: str, version: str) -> Any:
    """A GenericWorkflowWorker lookup (module level, so it pickles by reference)."""
    if (name, version) == ("Looked.Up", "3.0"):
        return get_workflow_entrypoint(LookedUp, name, version)
    return None
