"""Workers and executors: pollers on threads or processes, the decider, the activity runtime."""

from botoflowx.worker._activity_worker import ActivityWorker
from botoflowx.worker._executor import ThreadedActivityExecutor, ThreadedWorkflowExecutor
from botoflowx.worker._generic import GenericWorkflowWorker, get_workflow_entrypoint
from botoflowx.worker._multiprocessing import (
    MultiprocessingActivityExecutor,
    MultiprocessingWorkflowExecutor,
)
from botoflowx.worker._workflow_worker import WorkflowWorker

__all__ = [
    "ActivityWorker",
    "GenericWorkflowWorker",
    "MultiprocessingActivityExecutor",
    "MultiprocessingWorkflowExecutor",
    "ThreadedActivityExecutor",
    "ThreadedWorkflowExecutor",
    "WorkflowWorker",
    "get_workflow_entrypoint",
]
