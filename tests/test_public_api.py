"""The public names are a promise: this pins them, so a change is a decision, not an accident."""

from __future__ import annotations

import importlib

import pytest

import botoflowx

TOP_LEVEL = {
    # botoflow's top-level names (those implemented so far)
    "coroutine", "Return", "return_", "Future", "get_context", "set_context",
    "WorkflowWorker", "ActivityWorker", "ThreadedWorkflowExecutor", "ThreadedActivityExecutor",
    "workflow", "execute", "activity", "manual_activity", "activities", "signal",
    "workflow_options", "activity_options", "WorkflowDefinition", "workflow_starter",
    "ActivityType", "__version__",
    # what botoflow kept in submodules
    "AllFuture", "AnyFuture", "workflow_time", "WorkflowExecution",
    "SECONDS", "MINUTES", "HOURS", "DAYS", "WEEKS",
    "CHILD_TERMINATE", "CHILD_REQUEST_CANCEL", "CHILD_ABANDON", "USE_WORKER_TASK_LIST",
    "BotoflowError", "ActivityTaskError", "ActivityTaskFailedError",
    "ActivityTaskTimedOutError", "ActivityTaskCanceledError", "ScheduleActivityTaskFailedError",
    "CancelledError", "CancellationError", "NonDeterminismError",
    "WorkflowError", "WorkflowFailedError", "WorkflowTimedOutError", "WorkflowTerminatedError",
    "WorkflowCanceledError", "ChildWorkflowError", "ChildWorkflowFailedError",
    "ChildWorkflowTimedOutError", "ChildWorkflowTerminatedError", "ChildWorkflowCanceledError",
    "StartChildWorkflowExecutionFailedError",
    "retry_activity", "retry_on_exception", "GenericWorkflowWorker",
    "MultiprocessingWorkflowExecutor", "MultiprocessingActivityExecutor", "BotoflowFilter",
    "WorkflowReplayer", "ManualActivityCompletionClient", "RetryError",
    # botoflowx additions
    "RetryPolicy", "ReplayFilter", "patched", "deprecate_patch", "get_workflow_handle",
    "ActivityContext", "WorkflowExecutionHandle", "ContinuedAsNew", "SWFError", "make_swf_client",
}  # fmt: skip


def test_top_level_names_are_pinned() -> None:
    assert set(botoflowx.__all__) == TOP_LEVEL


@pytest.mark.parametrize(
    "module",
    [
        "botoflowx",
        "botoflowx.activity",
        "botoflowx.client",
        "botoflowx.server",
        "botoflowx.worker",
        "botoflowx.workflow",
        "botoflowx.exceptions",
        "botoflowx.converter",
    ],
)
def test_all_is_sorted_and_resolves(module: str) -> None:
    mod = importlib.import_module(module)
    names = list(mod.__all__)
    assert names == sorted(names, key=lambda n: (not n.isupper(), n)) or names == sorted(names)
    missing = [name for name in names if not hasattr(mod, name)]
    assert not missing, f"{module}.__all__ names what the module lacks: {missing}"


def test_botoflow_style_imports_work() -> None:
    from botoflowx import workflow_time as by_attribute
    from botoflowx.workflow_time import sleep

    assert by_attribute.sleep is sleep
    assert botoflowx.MINUTES == 60 and botoflowx.HOURS == 3600


def test_package_is_typed() -> None:
    from importlib.resources import files

    assert files("botoflowx").joinpath("py.typed").is_file()
