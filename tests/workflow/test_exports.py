"""The public names of botoflowx.workflow and botoflowx.exceptions are pinned and sorted."""

from __future__ import annotations

import importlib

import botoflowx.exceptions as exceptions

# `botoflowx.workflow` as an attribute is botoflow's @workflow decorator (botoflow programs
# import it from the top level), so the sub-package is reached through the import system.
workflow = importlib.import_module("botoflowx.workflow")


def test_workflow_exports_are_sorted_and_complete() -> None:
    assert workflow.__all__ == sorted(workflow.__all__)
    assert all(hasattr(workflow, name) for name in workflow.__all__)
    assert set(workflow.__all__) == {
        "ActivityFuture",
        "AllFuture",
        "AnyFuture",
        "BotoflowFilter",
        "ChildWorkflowFuture",
        "DecisionContext",
        "ExecuteMeta",
        "Future",
        "ReplayFilter",
        "Return",
        "SignalMeta",
        "TimerFuture",
        "WorkflowDefinition",
        "WorkflowExecution",
        "activity_options",
        "coroutine",
        "deprecate_patch",
        "execute",
        "get_context",
        "get_logger",
        "logger",
        "patched",
        "return_",
        "set_context",
        "signal",
        "workflow",
        "workflow_options",
        "workflow_time",
    }


def test_exceptions_exports_and_hierarchy() -> None:
    assert exceptions.__all__ == sorted(exceptions.__all__)
    for name in exceptions.__all__:
        cls = getattr(exceptions, name)
        assert issubclass(cls, BaseException), name
    assert exceptions.BotoflowxError is exceptions.BotoflowError
    assert issubclass(exceptions.ActivityTaskCanceledError, exceptions.CancelledError)
    assert issubclass(exceptions.ActivityTaskCanceledError, exceptions.ActivityTaskError)
    assert issubclass(exceptions.ChildWorkflowCanceledError, exceptions.CancelledError)
    assert issubclass(exceptions.ActivityTaskFailedError, exceptions.DecisionException)
    assert issubclass(exceptions.NotInWorkflowError, RuntimeError)
    assert issubclass(exceptions.PayloadTooLargeError, ValueError)


def test_run_errors_carry_ids_and_cause() -> None:
    cause = ValueError("inner")
    err = exceptions.WorkflowFailedError(
        workflow_id="w", run_id="r", reason="ValueError: inner", cause=cause
    )
    assert err.workflow_execution == ("w", "r") and err.__cause__ is cause
    assert "w" in str(err) and "failed" in str(err) and "ValueError: inner" in str(err)
    timed_out = exceptions.ChildWorkflowTimedOutError(
        workflow_id="c", run_id="cr", timeout_type="START_TO_CLOSE", workflow_type="Child"
    )
    assert timed_out.timeout_type == "START_TO_CLOSE" and "child workflow 'c'" in str(timed_out)
    failed = exceptions.ActivityTaskFailedError(
        KeyError("k"), reason="KeyError: 'k'", activity_type="A.b", activity_id="3"
    )
    assert "A.b" in str(failed) and "3" in str(failed) and failed.__cause__ is failed.cause
