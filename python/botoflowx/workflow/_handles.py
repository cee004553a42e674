"""Futures of SWF work started by a workflow: activities, timers and child workflows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botoflowx.exceptions import CancelledError
from botoflowx.workflow._commands import Command, caller_location, make_command
from botoflowx.workflow._futures import _PENDING, Future

if TYPE_CHECKING:
    from botoflowx.activity._meta import ActivityMeta, SchedulePlan
    from botoflowx.workflow._convert import DataConverter
    from botoflowx.workflow._instance import WorkflowInstance

__all__ = ["ActivityFuture", "ChildWorkflowFuture", "TimerFuture"]


class ActivityFuture(Future[Any]):
    """The result of a scheduled activity.

    ``cancel()`` asks SWF to cancel the task (RequestCancelActivityTask); the future then
    completes as the activity ends: with ActivityTaskCanceledError when the activity
    acknowledges, or with its result if it finished first. If the schedule decision has
    not been sent yet, it is withdrawn and the future is cancelled at once.
    """

    def __init__(
        self,
        instance: WorkflowInstance,
        activity_id: str,
        meta: ActivityMeta,
        plan: SchedulePlan,
        command: Command,
    ) -> None:
        """Track the activity scheduled by ``command`` (created by the engine)."""
        # Future.__init__, inlined (keep in step): one per activity call of a replay.
        self._loop = instance._loop
        self._state = _PENDING
        self._result = None
        self._exception = None
        self._callbacks = []
        self._instance = instance
        self.activity_id = activity_id
        self.meta = meta
        # meta.schedule_plan, kept: its result is decoded with the plan's converter.
        self._plan = plan
        self._command = command
        self._cancel_requested = False

    @property
    def converter(self) -> DataConverter:
        """The converter of the activity's input and result."""
        converter: DataConverter = self._plan.converter
        return converter

    @property
    def activity_type(self) -> tuple[str, str]:
        """The activity type ``(name, version)``."""
        return (self.meta.name, self.meta.version)

    def cancel(self, msg: str | None = None) -> bool:
        """Request cancellation of the activity; False when it already ended."""
        if self.done():
            return False
        if self._instance._withdraw(self._command):
            self._instance._forget_activity(self.activity_id)
            self._set_cancelled(
                CancelledError(
                    msg
                    or f"activity {self.meta.name} ({self.activity_id}) was cancelled "
                    "before it was scheduled"
                )
            )
            return True
        self.request_cancel(caller_location())
        return True

    def request_cancel(self, location: str) -> None:
        """Emit RequestCancelActivityTask once (the engine also uses it on workflow cancel)."""
        if self._cancel_requested or self.done():
            return
        self._cancel_requested = True
        self._instance._emit(
            make_command(
                "RequestCancelActivityTask",
                {"activityId": self.activity_id},
                key=self.activity_id,
                location=location,
            )
        )

    def _describe(self) -> str:
        return f" {self.meta.name}#{self.activity_id}"


class TimerFuture(Future[None]):
    """A durable timer (``workflow_time.sleep``); completes with None when it fires.

    ``cancel()`` sends CancelTimer (or withdraws a StartTimer not yet sent) and cancels
    the future at once.
    """

    def __init__(self, instance: WorkflowInstance, timer_id: str, command: Command) -> None:
        """Track the timer started by ``command`` (created by the engine)."""
        super().__init__(loop=instance._loop)
        self._instance = instance
        self.timer_id = timer_id
        self._command = command

    def cancel(self, msg: str | None = None) -> bool:
        """Cancel the timer; False when it already fired or failed."""
        if self.done():
            return False
        if not self._instance._withdraw(self._command):
            self._instance._emit(
                make_command(
                    "CancelTimer",
                    {"timerId": self.timer_id},
                    key=self.timer_id,
                    location=caller_location(),
                )
            )
        self._instance._forget_timer(self.timer_id)
        self._set_cancelled(CancelledError(msg or f"timer {self.timer_id} was cancelled"))
        return True

    def _describe(self) -> str:
        return f" #{self.timer_id}"


class ChildWorkflowFuture(Future[Any]):
    """Completes with the child's handle (a definition object) once the child started.

    The child's result is the handle's ``workflow_result`` future (botoflow's model)::

        child = yield Child.run(x)
        result = yield child.workflow_result
    """

    def __init__(
        self,
        instance: WorkflowInstance,
        workflow_id: str,
        definition_cls: type,
        converter: DataConverter,
        command: Command,
    ) -> None:
        """Track the child started by ``command`` (created by the engine)."""
        super().__init__(loop=instance._loop)
        self._instance = instance
        self.workflow_id = workflow_id
        self.definition_cls = definition_cls
        self.converter = converter
        self._command = command
        self.handle: Any = None
        self.result_future: Future[Any] = Future(loop=instance._loop)

    @property
    def workflow_type(self) -> str:
        """The child's workflow type name."""
        return self._command.name

    def cancel(self, msg: str | None = None) -> bool:
        """Stop waiting for the child to start; False when it already started or failed.

        If the start decision was not sent yet it is withdrawn and no child runs. If it
        was, the child is asked to cancel (RequestCancelExternalWorkflowExecution) as soon
        as it has started. Either way this future is cancelled at once. To cancel a child
        that already started, call ``cancel()`` on its handle.
        """
        if self.done():
            return False
        if self._instance._withdraw(self._command):
            self._instance._children.pop(self.workflow_id, None)
            error = CancelledError(
                msg or f"child workflow {self.workflow_id} was cancelled before it was started"
            )
            self._set_cancelled(error)
            self.result_future._set_cancelled(error)
            return True
        self._set_cancelled(
            CancelledError(
                msg
                or f"child workflow {self.workflow_id} was cancelled while starting; it is "
                "asked to cancel once it has started"
            )
        )
        return True

    def _describe(self) -> str:
        return f" {self.workflow_id}"
