"""The test kit for workflow authors: a server with workers and time skipping, and activities.

``WorkflowEnvironment`` runs an embedded SWF server in-process with workers on
threads; with time skipping a workflow that sleeps a day finishes in
milliseconds. ``ActivityEnvironment`` runs activity code directly under a context
that records heartbeats and delivers cancellation. With pytest, the fixtures
``botoflowx_env`` and ``activity_env`` come from the plugin
``botoflowx.testing.pytest_plugin`` (registered as an entry point, so installing
botoflowx is enough).
"""

from botoflowx.testing._activity import ActivityEnvironment, TestActivityContext
from botoflowx.testing._environment import WorkflowEnvironment
from botoflowx.testing._starting import EnvironmentStarter, TestWorkflowHandle
from botoflowx.testing._workers import RunningWorkers

__all__ = [
    "ActivityEnvironment",
    "EnvironmentStarter",
    "RunningWorkers",
    "TestActivityContext",
    "TestWorkflowHandle",
    "WorkflowEnvironment",
]
