"""The benchmark workloads: a workflow of sequential activities and a single-activity workflow.

The benchmarks, the history generator and the worker subprocesses of the end-to-end
benchmarks all import their definitions from here, so a generated history and a live run
name the same types with the same payload encoding.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT / "python") not in sys.path:
    # Lets benches/.venv-baseline import botoflowx from the source tree.
    sys.path.insert(0, str(REPO_ROOT / "python"))

from botoflowx.activity import activities, activity  # noqa: E402
from botoflowx.workflow._definition import WorkflowDefinition, execute  # noqa: E402

__all__ = [
    "PAD",
    "SeqActivities",
    "SeqWorkflow",
    "SingleActivities",
    "SingleWorkflow",
    "step_args",
    "step_result",
]

# Activity payloads of about 100 bytes, as in perf-baseline.md.
PAD = "p" * 72

# Timeouts long enough that no benchmark run ever hits them.
_ACTIVITY_TIMEOUTS = {
    "schedule_to_start_timeout": 3600,
    "start_to_close_timeout": 3600,
    "schedule_to_close_timeout": 7200,
    "heartbeat_timeout": 3600,
}


def step_args(index: int) -> tuple[int, str]:
    """The arguments of the ``index``-th activity call (0-based) of ``SeqWorkflow``."""
    return (index, PAD)


def step_result(index: int) -> str:
    """What ``SeqActivities.step`` returns for the ``index``-th call."""
    return f"step {index} done {PAD}"


@activities(**_ACTIVITY_TIMEOUTS)
class SeqActivities:
    """The one activity of the sequential workload."""

    @activity(version="1.0")
    def step(self, index: int, pad: str) -> str:
        """Return a ~100-byte result derived from the input."""
        return step_result(index)


class SeqWorkflow(WorkflowDefinition):
    """``n`` activities strictly one after another; returns the last result."""

    @execute(version="1.0", execution_start_to_close_timeout=7 * 24 * 3600)
    def run(self, n: int) -> Any:
        result = None
        for index in range(n):
            result = yield SeqActivities.step(*step_args(index))
        return result


@activities(**_ACTIVITY_TIMEOUTS)
class SingleActivities:
    """The activity of the throughput workload."""

    @activity(version="1.0")
    def double(self, value: int) -> int:
        """Return twice the input."""
        return 2 * value


class SingleWorkflow(WorkflowDefinition):
    """One activity, then complete with its result."""

    @execute(version="1.0", execution_start_to_close_timeout=3600)
    def run(self, value: int) -> Any:
        doubled = yield SingleActivities.double(value)
        return doubled
