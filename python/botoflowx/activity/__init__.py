"""Activities: the decorators that declare them and the runtime context they run in."""

from botoflowx.activity._context import ActivityContext, ActivityTask
from botoflowx.activity._decorators import activities, activity, manual_activity
from botoflowx.activity._meta import ActivityMeta, ActivityType, collect_activities

__all__ = [
    "ActivityContext",
    "ActivityMeta",
    "ActivityTask",
    "ActivityType",
    "activities",
    "activity",
    "collect_activities",
    "manual_activity",
]
