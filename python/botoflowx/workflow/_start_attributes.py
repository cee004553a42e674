"""The SWF attributes of the runs a workflow starts: children and its continue-as-new run."""

from __future__ import annotations

from typing import Any

from botoflowx.constants import USE_WORKER_TASK_LIST
from botoflowx.workflow._definition import ExecuteMeta
from botoflowx.workflow._swf import format_duration, format_priority, task_list_field

__all__ = ["carried_over_attributes", "child_attributes"]


def child_attributes(meta: ExecuteMeta, options: dict[str, Any]) -> dict[str, Any]:
    """StartChildWorkflowExecution's options: ``workflow_options``, then ``@execute``.

    What neither sets is left out (None), so SWF uses the type's registered defaults.
    """
    return {
        "executionStartToCloseTimeout": format_duration(
            options.get("execution_start_to_close_timeout", meta.execution_start_to_close_timeout),
            "execution_start_to_close_timeout",
        ),
        "taskStartToCloseTimeout": format_duration(
            options.get("task_start_to_close_timeout", meta.task_start_to_close_timeout),
            "task_start_to_close_timeout",
        ),
        "taskList": task_list_field(options.get("task_list", meta.task_list)),
        "taskPriority": format_priority(options.get("task_priority", meta.task_priority)),
        "childPolicy": options.get("child_policy", meta.child_policy),
        "tagList": options.get("tag_list"),
    }


def carried_over_attributes(
    meta: ExecuteMeta, options: dict[str, Any], started: Any
) -> dict[str, Any]:
    """ContinueAsNewWorkflowExecution's options, every one sent explicitly.

    SWF (and the embedded server) fill a missing field from the TYPE's defaults, not from
    the closing run, so whatever should carry over must be in the decision: each field is
    taken from ``workflow_options`` first, then from the closing run (``started``, its
    WorkflowExecutionStarted attributes), then from the ``@execute`` declaration.
    """

    def pick(option: str, run_value: Any, declared: Any) -> Any:
        if options.get(option) is not None:
            return options[option]
        if run_value in (None, ""):
            return declared
        # The run's durations and priority arrive as SWF strings ("600", "NONE", "-3").
        if isinstance(run_value, str) and run_value.lstrip("-").isdigit():
            return int(run_value)
        return run_value

    task_list = options.get("task_list")
    if task_list is None or task_list is USE_WORKER_TASK_LIST:
        task_list = getattr(started, "task_list", None) or meta.task_list
    tags = options.get("tag_list")
    if tags is None:
        tags = list(getattr(started, "tag_list", None) or []) or None
    return {
        "executionStartToCloseTimeout": format_duration(
            pick(
                "execution_start_to_close_timeout",
                getattr(started, "execution_start_to_close_timeout", None),
                meta.execution_start_to_close_timeout,
            ),
            "execution_start_to_close_timeout",
        ),
        "taskStartToCloseTimeout": format_duration(
            pick(
                "task_start_to_close_timeout",
                getattr(started, "task_start_to_close_timeout", None),
                meta.task_start_to_close_timeout,
            ),
            "task_start_to_close_timeout",
        ),
        "taskList": task_list_field(task_list),
        "taskPriority": format_priority(
            pick("task_priority", getattr(started, "task_priority", None), meta.task_priority)
        ),
        "childPolicy": pick(
            "child_policy", getattr(started, "child_policy", None), meta.child_policy
        ),
        "tagList": [str(tag) for tag in tags] if tags else None,
    }
