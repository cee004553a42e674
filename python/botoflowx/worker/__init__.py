"""Workers and executors: pollers on thread pools, the decider and the activity runtime."""

from botoflowx.worker._activity_worker import ActivityWorker
from botoflowx.worker._executor import ThreadedActivityExecutor, ThreadedWorkflowExecutor
from botoflowx.worker._workflow_worker import WorkflowWorker

__all__ = [
    "ActivityWorker",
    "ThreadedActivityExecutor",
    "ThreadedWorkflowExecutor",
    "WorkflowWorker",
]
