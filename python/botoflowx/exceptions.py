"""Every public botoflowx exception, with botoflow's names kept for ported programs.

The hierarchy::

    * BotoflowError (botoflow's base; BotoflowxError is the same class)
      - WorkflowDefinitionError         a decorator or definition is misused
        - UnknownWorkflowTypeError      no definition for a (name, version)
        - UnknownActivityTypeError      no activity for a (name, version)
      - NotInWorkflowError              a workflow-only call made elsewhere (also RuntimeError)
      - PayloadTooLargeError            a field is over SWF's 32,768-character limit
      - InvalidStateError               a Future was used in the wrong state
      - NonDeterminismError             workflow code contradicts the history (replay core)
      - CancelledError                  a Future or the workflow was cancelled
        - ActivityTaskCanceledError     (also an ActivityTaskError)
        - ChildWorkflowCanceledError    (also a ChildWorkflowError)
      - CancellationError               an activity learns that its cancellation was requested
      - DecisionException               something SWF reported back to the workflow (event_id)
        - ActivityTaskError             (activity_type, activity_id)
          - ActivityTaskFailedError     cause = the activity's exception
          - ActivityTaskTimedOutError   timeout_type
          - ActivityTaskCanceledError
          - ScheduleActivityTaskFailedError
          - RequestCancelActivityTaskFailedError
        - StartTimerFailedError
        - WorkflowError                 a run seen from the starter (workflow_id, run_id)
          - WorkflowFailedError, WorkflowTimedOutError, WorkflowTerminatedError,
            WorkflowCanceledError
        - ChildWorkflowError            a child run (the CHILD's workflow_id, run_id)
          - ChildWorkflowFailedError, ChildWorkflowTimedOutError,
            ChildWorkflowTerminatedError, ChildWorkflowCanceledError
          - StartChildWorkflowExecutionFailedError
        - ExternalWorkflowError         another run addressed by signal or cancel
          - SignalExternalWorkflowExecutionFailedError
          - RequestCancelExternalWorkflowExecutionFailedError

``CancelledError`` derives from ``Exception`` as in botoflow, so ``except Exception`` in
workflow code also catches cancellation; re-raise it when cleanup is done.
"""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = [
    "ActivityTaskCanceledError",
    "ActivityTaskError",
    "ActivityTaskFailedError",
    "ActivityTaskTimedOutError",
    "BotoflowError",
    "BotoflowxError",
    "CancellationError",
    "CancelledError",
    "ChildWorkflowCanceledError",
    "ChildWorkflowError",
    "ChildWorkflowFailedError",
    "ChildWorkflowTerminatedError",
    "ChildWorkflowTimedOutError",
    "DecisionException",
    "ExternalWorkflowError",
    "InvalidStateError",
    "NonDeterminismError",
    "NotInWorkflowError",
    "PayloadTooLargeError",
    "RequestCancelActivityTaskFailedError",
    "RequestCancelExternalWorkflowExecutionFailedError",
    "ScheduleActivityTaskFailedError",
    "SignalExternalWorkflowExecutionFailedError",
    "StartChildWorkflowExecutionFailedError",
    "StartTimerFailedError",
    "UnknownActivityTypeError",
    "UnknownWorkflowTypeError",
    "WorkflowCanceledError",
    "WorkflowDefinitionError",
    "WorkflowError",
    "WorkflowFailedError",
    "WorkflowTerminatedError",
    "WorkflowTimedOutError",
]


class _Execution(NamedTuple):
    # Mirrors botoflowx.workflow.WorkflowExecution without importing the workflow package
    # (exceptions must stay importable from everywhere without cycles).
    workflow_id: str | None
    run_id: str | None


class BotoflowError(Exception):
    """Base class of every botoflowx error (botoflow's name)."""


BotoflowxError = BotoflowError


class WorkflowDefinitionError(BotoflowError):
    """A workflow or activity definition is invalid (bad decorator use, duplicate type)."""


class UnknownWorkflowTypeError(WorkflowDefinitionError):
    """No registered workflow definition matches a workflow type name and version."""

    def __init__(self, name: str, version: str, message: str | None = None) -> None:
        self.name = name
        self.version = version
        super().__init__(
            message
            or f"no workflow definition for type {name!r} version {version!r}: pass the "
            "WorkflowDefinition subclass that declares it to the workflow worker"
        )


class UnknownActivityTypeError(WorkflowDefinitionError):
    """No registered activity matches an activity type name and version."""

    def __init__(self, name: str, version: str, message: str | None = None) -> None:
        self.name = name
        self.version = version
        super().__init__(
            message
            or f"no activity for type {name!r} version {version!r}: pass an object of the "
            "class that declares it to the activity worker"
        )


class NotInWorkflowError(BotoflowError, RuntimeError):
    """A call that only makes sense inside a running workflow was made elsewhere."""


class PayloadTooLargeError(BotoflowError, ValueError):
    """An encoded payload is over SWF's 32,768-character limit for its field."""

    def __init__(self, field: str, size: int, limit: int, what: str = "") -> None:
        self.field = field
        self.size = size
        self.limit = limit
        where = f" of {what}" if what else ""
        super().__init__(
            f"the encoded {field}{where} is {size} characters, over SWF's limit of {limit}: "
            "pass a reference (an S3 key, a database id) instead of the data itself"
        )


class InvalidStateError(BotoflowError):
    """A Future was asked for something its state does not allow (e.g. a second result)."""


class CancelledError(BotoflowError):
    """The Future, the activity or the workflow was cancelled."""


class CancellationError(BotoflowError):
    """Raised inside an activity (by ``heartbeat()``) when its cancellation was requested."""


class DecisionException(BotoflowError):
    """Something SWF recorded in the history and reported back to the workflow.

    Attributes:
        event_id: the id of the history event that reported it (0 when unknown).
    """

    def __init__(self, message: str = "", *, event_id: int = 0) -> None:
        super().__init__(message)
        self.event_id = event_id


# --- activities ------------------------------------------------------------------------------


class ActivityTaskError(DecisionException):
    """An activity task ended without a result.

    Attributes:
        activity_type: the activity type name (e.g. ``"Acts.fetch"``).
        activity_id: the activityId within the run.
    """

    def __init__(
        self,
        message: str = "",
        *,
        activity_type: str = "",
        activity_id: str = "",
        event_id: int = 0,
    ) -> None:
        super().__init__(message, event_id=event_id)
        self.activity_type = activity_type
        self.activity_id = activity_id


class ActivityTaskFailedError(ActivityTaskError):
    """The activity raised; ``cause`` is its exception as decoded by the data converter.

    Attributes:
        cause: the original exception (or the converter's stand-in for an unregistered type).
        reason: SWF's ``reason`` field (``"Type: message"``).
        details: SWF's raw ``details`` payload.
        remote_traceback: the activity's traceback text, when the converter carried it.
    """

    def __init__(
        self,
        cause: BaseException | None = None,
        *,
        reason: str | None = None,
        details: str | None = None,
        remote_traceback: str | None = None,
        activity_type: str = "",
        activity_id: str = "",
        event_id: int = 0,
    ) -> None:
        what = reason or (f"{type(cause).__name__}: {cause}" if cause is not None else "")
        super().__init__(
            f"activity {activity_type or '?'} (activityId {activity_id or '?'}) failed: {what}",
            activity_type=activity_type,
            activity_id=activity_id,
            event_id=event_id,
        )
        self.cause = cause
        self.reason = reason
        self.details = details
        self.remote_traceback = remote_traceback
        # Chain it so the default traceback printout shows the activity's error too.
        self.__cause__ = cause

    def format_remote_traceback(self) -> str:
        """Return the activity's traceback text, or ``""`` when none travelled."""
        return self.remote_traceback or ""


class ActivityTaskTimedOutError(ActivityTaskError):
    """The activity timed out (``timeout_type`` is SWF's: START_TO_CLOSE, HEARTBEAT, ...)."""

    def __init__(
        self,
        timeout_type: str | None = None,
        details: str | None = None,
        *,
        activity_type: str = "",
        activity_id: str = "",
        event_id: int = 0,
    ) -> None:
        super().__init__(
            f"activity {activity_type or '?'} (activityId {activity_id or '?'}) timed out "
            f"({timeout_type or 'unknown timeout'}): raise the timeout or heartbeat more often",
            activity_type=activity_type,
            activity_id=activity_id,
            event_id=event_id,
        )
        self.timeout_type = timeout_type
        self.details = details


class ActivityTaskCanceledError(ActivityTaskError, CancelledError):
    """The activity acknowledged a cancellation request (RespondActivityTaskCanceled)."""

    def __init__(
        self,
        details: str | None = None,
        *,
        activity_type: str = "",
        activity_id: str = "",
        event_id: int = 0,
    ) -> None:
        super().__init__(
            f"activity {activity_type or '?'} (activityId {activity_id or '?'}) was canceled",
            activity_type=activity_type,
            activity_id=activity_id,
            event_id=event_id,
        )
        self.details = details


class ScheduleActivityTaskFailedError(ActivityTaskError):
    """SWF refused to schedule the activity (``cause`` e.g. ACTIVITY_TYPE_DOES_NOT_EXIST)."""

    def __init__(
        self,
        cause: str | None = None,
        *,
        activity_type: str = "",
        activity_id: str = "",
        event_id: int = 0,
    ) -> None:
        hint = {
            "ACTIVITY_TYPE_DOES_NOT_EXIST": ": start an activity worker that registers it",
            "ACTIVITY_TYPE_DEPRECATED": ": undeprecate the type or schedule another version",
        }.get(cause or "", "")
        super().__init__(
            f"SWF could not schedule activity {activity_type or '?'} "
            f"(activityId {activity_id or '?'}): {cause or 'unknown cause'}{hint}",
            activity_type=activity_type,
            activity_id=activity_id,
            event_id=event_id,
        )
        self.cause = cause


class RequestCancelActivityTaskFailedError(ActivityTaskError):
    """SWF refused a RequestCancelActivityTask (e.g. ACTIVITY_ID_UNKNOWN)."""

    def __init__(
        self,
        cause: str | None = None,
        *,
        activity_type: str = "",
        activity_id: str = "",
        event_id: int = 0,
    ) -> None:
        super().__init__(
            f"SWF could not request cancellation of activity {activity_type or '?'} "
            f"(activityId {activity_id or '?'}): {cause or 'unknown cause'}",
            activity_type=activity_type,
            activity_id=activity_id,
            event_id=event_id,
        )
        self.cause = cause


# --- timers ----------------------------------------------------------------------------------


class StartTimerFailedError(DecisionException):
    """SWF refused to start a timer (``cause`` e.g. TIMER_CREATION_RATE_EXCEEDED)."""

    def __init__(self, cause: str | None = None, *, timer_id: str = "", event_id: int = 0) -> None:
        super().__init__(
            f"SWF could not start timer {timer_id or '?'}: {cause or 'unknown cause'}",
            event_id=event_id,
        )
        self.cause = cause
        self.timer_id = timer_id


# --- workflows -------------------------------------------------------------------------------


class _RunError(DecisionException):
    """Shared shape of the errors about one workflow run."""

    _what = "workflow"

    def __init__(
        self,
        message: str = "",
        *,
        workflow_id: str | None = None,
        run_id: str | None = None,
        reason: str | None = None,
        details: str | None = None,
        cause: Any = None,
        event_id: int = 0,
    ) -> None:
        super().__init__(
            message
            or f"{self._what} {workflow_id!r} (run {run_id!r}) {self._verb}"
            + (f": {reason}" if reason else ""),
            event_id=event_id,
        )
        self.workflow_id = workflow_id
        self.run_id = run_id
        self.reason = reason
        self.details = details
        self.cause = cause
        if isinstance(cause, BaseException):
            self.__cause__ = cause

    _verb = "ended without a result"

    @property
    def workflow_execution(self) -> _Execution:
        """The ``(workflow_id, run_id)`` of the run this error is about."""
        return _Execution(self.workflow_id, self.run_id)


class WorkflowError(_RunError):
    """A workflow run closed without a result (raised by the starter's handle)."""


class WorkflowFailedError(WorkflowError):
    """The run failed; ``cause`` is the workflow's exception decoded from ``details``."""

    _verb = "failed"


class WorkflowTimedOutError(WorkflowError):
    """The run hit its executionStartToCloseTimeout (``timeout_type``)."""

    _verb = "timed out"

    def __init__(self, message: str = "", *, timeout_type: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.timeout_type = timeout_type


class WorkflowTerminatedError(WorkflowError):
    """The run was terminated (TerminateWorkflowExecution or a child policy)."""

    _verb = "was terminated"


class WorkflowCanceledError(WorkflowError):
    """The run was canceled (it answered a cancel request with CancelWorkflowExecution)."""

    _verb = "was canceled"


class ChildWorkflowError(_RunError):
    """A child run closed without a result; the ids are the CHILD's.

    Attributes:
        workflow_type: the child's workflow type name.
    """

    _what = "child workflow"

    def __init__(self, message: str = "", *, workflow_type: str = "", **kw: Any) -> None:
        super().__init__(message, **kw)
        self.workflow_type = workflow_type


class ChildWorkflowFailedError(ChildWorkflowError):
    """The child failed; ``cause`` is its exception decoded from ``details``."""

    _verb = "failed"


class ChildWorkflowTimedOutError(ChildWorkflowError):
    """The child timed out (``timeout_type``)."""

    _verb = "timed out"

    def __init__(self, message: str = "", *, timeout_type: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.timeout_type = timeout_type


class ChildWorkflowTerminatedError(ChildWorkflowError):
    """The child was terminated."""

    _verb = "was terminated"


class ChildWorkflowCanceledError(ChildWorkflowError, CancelledError):
    """The child was canceled."""

    _verb = "was canceled"


class StartChildWorkflowExecutionFailedError(ChildWorkflowError):
    """SWF refused to start the child (``cause`` e.g. WORKFLOW_ALREADY_RUNNING)."""

    _verb = "could not be started"


class ExternalWorkflowError(DecisionException):
    """A signal or cancel request addressed to another run could not be delivered."""

    def __init__(
        self,
        message: str = "",
        *,
        workflow_id: str | None = None,
        run_id: str | None = None,
        cause: str | None = None,
        event_id: int = 0,
    ) -> None:
        super().__init__(
            message
            or f"{self._action} workflow {workflow_id!r} (run {run_id!r}) failed: "
            f"{cause or 'unknown cause'}",
            event_id=event_id,
        )
        self.workflow_id = workflow_id
        self.run_id = run_id
        self.cause = cause

    _action = "addressing"

    @property
    def workflow_execution(self) -> _Execution:
        """The ``(workflow_id, run_id)`` of the run that was addressed."""
        return _Execution(self.workflow_id, self.run_id)


class SignalExternalWorkflowExecutionFailedError(ExternalWorkflowError):
    """SWF could not deliver a signal (``cause`` e.g. UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION)."""

    _action = "signalling"


class RequestCancelExternalWorkflowExecutionFailedError(ExternalWorkflowError):
    """SWF could not deliver a cancel request to another run."""

    _action = "requesting cancellation of"


# --- replay ----------------------------------------------------------------------------------


def _replay_nondeterminism_error() -> type[BaseException] | None:
    try:
        from botoflowx import _replay
    except ImportError:
        return None
    cls = getattr(_replay, "NonDeterminismError", None)
    return cls if isinstance(cls, type) and issubclass(cls, BaseException) else None


class _FallbackNonDeterminismError(BotoflowError):
    """The workflow code produced commands that contradict the recorded history.

    ``event_id`` is the history event at fault (0 when none can be named); ``location`` is
    the ``file:line in function`` of the workflow code that produced the offending command.
    """

    def __init__(self, message: str = "", event_id: int = 0, location: str = "") -> None:
        super().__init__(message)
        self.event_id = event_id
        self.location = location


# The replay core owns the real class so its errors and ours are one type; the fallback
# keeps pure-Python use (and the tests) working where the extension is not built.
NonDeterminismError: type[BaseException] = (
    _replay_nondeterminism_error() or _FallbackNonDeterminismError
)


def _register_with_converter() -> None:
    # botoflowx's own errors travel through activity/workflow failure details; registered,
    # they decode as themselves (where their constructor accepts the recorded args) instead
    # of as RemoteException stand-ins.
    from botoflowx.converter import register_exception

    for name in __all__:
        obj = globals()[name]
        if isinstance(obj, type) and issubclass(obj, Exception) and obj.__module__ == __name__:
            register_exception(obj, f"botoflowx.{obj.__qualname__}")


_register_with_converter()
