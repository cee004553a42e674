"""Activities: the decorators that declare them, their retries and the runtime context."""

from botoflowx.activity._context import ActivityContext, ActivityTask
from botoflowx.activity._decorators import activities, activity, manual_activity
from botoflowx.activity._meta import ActivityMeta, ActivityType, collect_activities
from botoflowx.workflow._retry import (
    ActivityRetrying,
    RetryError,
    RetryPolicy,
    RetryStrategy,
    retry_activity,
    retry_on_exception,
)

__all__ = [
    "ActivityContext",
    "ActivityMeta",
    "ActivityRetrying",
    "ActivityTask",
    "ActivityType",
    "RetryError",
    "RetryPolicy",
    "RetryStrategy",
    "activities",
    "activity",
    "collect_activities",
    "manual_activity",
    "retry_activity",
    "retry_on_exception",
]
