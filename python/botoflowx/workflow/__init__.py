"""The workflow programming model: definitions, decorators, futures, options and the engine."""

from botoflowx import workflow_time
from botoflowx.workflow._context import (
    DecisionContext,
    WorkflowExecution,
    get_context,
    set_context,
)
from botoflowx.workflow._coroutines import Return, coroutine, return_
from botoflowx.workflow._definition import (
    ExecuteMeta,
    SignalMeta,
    WorkflowDefinition,
    execute,
    signal,
    workflow,
)
from botoflowx.workflow._futures import AllFuture, AnyFuture, Future
from botoflowx.workflow._handles import ActivityFuture, ChildWorkflowFuture, TimerFuture
from botoflowx.workflow._logging import BotoflowFilter, ReplayFilter, get_logger, logger
from botoflowx.workflow._options import activity_options, workflow_options
from botoflowx.workflow._versioning import deprecate_patch, patched

__all__ = [
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
]
