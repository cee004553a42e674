"""The test-kit example of the README, verbatim: the README stays true."""

from botoflowx import DAYS, WorkflowDefinition, activity, execute, workflow_time
from botoflowx.testing import WorkflowEnvironment


class ReminderActivities:
    @activity(version="1.0", start_to_close_timeout=60)
    def send(self, what):
        return f"reminded: {what}"


class ReminderWorkflow(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=2 * DAYS)
    def remind(self, what):
        yield workflow_time.sleep(1 * DAYS)
        return (yield ReminderActivities.send(what))


def test_reminder_after_a_day():
    with WorkflowEnvironment(ReminderWorkflow, ReminderActivities()) as env:
        handle = env.start_workflow(ReminderWorkflow.remind, "stand-up")
        assert handle.result(timeout=10) == "reminded: stand-up"  # the day is skipped
