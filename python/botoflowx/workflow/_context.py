"""The one context slot shared by workflow and activity code, and the workflow runtime seam."""

from __future__ import annotations

import abc
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, runtime_checkable

from botoflowx.exceptions import NotInWorkflowError

if TYPE_CHECKING:
    from botoflowx.activity._meta import ActivityMeta
    from botoflowx.workflow._definition import ExecuteMeta, WorkflowDefinition
    from botoflowx.workflow._futures import Future

__all__ = [
    "DecisionContext",
    "WorkflowExecution",
    "WorkflowRuntime",
    "WorkflowStarterContext",
    "current_runtime",
    "current_runtime_or_none",
    "get_context",
    "set_context",
]


class WorkflowExecution(NamedTuple):
    """Identifies one run of a workflow: ``(workflow_id, run_id)``."""

    workflow_id: str | None
    run_id: str | None


class _Slot(threading.local):
    # The class attribute is every thread's default, so the slot reads as a plain
    # attribute (no getattr with a default): workflow code reads it once per
    # activity call.
    context: Any = None


# One slot per thread: a decider thread holds a DecisionContext while it runs workflow
# code, an activity thread holds the ActivityContext, a starter block its own context.
_current = _Slot()


def get_context() -> Any:
    """Return the context of the code running on this thread.

    Inside workflow code this is the :class:`DecisionContext`; inside an activity it is the
    ``ActivityContext``; inside a ``workflow_starter`` block it is the starter's context.

    Raises:
        NotInWorkflowError: no context is set on this thread.
    """
    context = _current.context
    if context is None:
        raise NotInWorkflowError(
            "no botoflowx context on this thread: get_context() works in workflow code, in "
            "activity code run by an activity worker, and inside a workflow_starter block"
        )
    return context


def set_context(context: Any) -> None:
    """Set (or, with None, clear) the context of this thread; used by the runtimes."""
    _current.context = context


def _peek_context() -> Any:
    return _current.context


class WorkflowRuntime(abc.ABC):
    """What workflow code can ask of the engine running it.

    Every in-workflow call (``workflow_time.sleep``, scheduling an activity, starting a
    child...) is a one-line delegation to the runtime of the current
    :class:`DecisionContext`. The engine (``WorkflowInstance``) implements it.
    """

    @property
    @abc.abstractmethod
    def workflow_execution(self) -> WorkflowExecution:
        """The running workflow's ids."""

    @property
    @abc.abstractmethod
    def workflow_instance(self) -> WorkflowDefinition:
        """The running WorkflowDefinition object."""

    @abc.abstractmethod
    def now(self) -> float:
        """The workflow clock (epoch seconds of the current decision task)."""

    @abc.abstractmethod
    def is_replaying(self) -> bool:
        """True while history already holds the decisions being produced."""

    @abc.abstractmethod
    def sleep(self, seconds: float) -> Future[None]:
        """Start a durable timer; the future completes when it fires."""

    @abc.abstractmethod
    def schedule_activity(
        self,
        meta: ActivityMeta,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        location: str | None = None,
    ) -> Future[Any]:
        """Schedule an activity task; the future completes with its result.

        ``location`` is the workflow code's call site when the caller has it already
        (else the engine finds it from the stack).
        """

    @abc.abstractmethod
    def call_execute(
        self,
        definition_cls: type[WorkflowDefinition],
        target: WorkflowDefinition | None,
        meta: ExecuteMeta,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        """Handle a call to an @execute method from workflow code (child or continue-as-new)."""

    @abc.abstractmethod
    def cancel_workflow(self, target: WorkflowDefinition, details: str) -> Any:
        """Cancel the running workflow (``target`` is it) or request cancel of another run."""

    @abc.abstractmethod
    def signal_external(
        self,
        execution: WorkflowExecution,
        signal_name: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        data_converter: Any = None,
    ) -> Future[None]:
        """Signal another run (SignalExternalWorkflowExecution); completes once delivered."""

    @abc.abstractmethod
    def patched(self, change_id: str) -> bool:
        """True when this run takes the new branch of change ``change_id`` (a marker)."""

    @abc.abstractmethod
    def deprecate_patch(self, change_id: str) -> None:
        """Declare that every live run of change ``change_id`` takes its new branch."""

    @abc.abstractmethod
    def history_length(self) -> int:
        """The number of history events of the run so far (the decision task's started id)."""


class DecisionContext:
    """The context of workflow code: the run's ids, the replay flag and the instance."""

    __slots__ = ("activity_methods", "runtime")

    def __init__(self, runtime: WorkflowRuntime) -> None:
        """Wrap the engine's runtime for the duration of an activation."""
        self.runtime = runtime
        # Per @activity descriptor, the meta and the function that schedules it in this
        # run (made by the descriptor, kept for the run's next calls).
        self.activity_methods: dict[Any, tuple[Any, Callable[..., Any]]] = {}

    @property
    def workflow_execution(self) -> WorkflowExecution:
        """The running workflow's ``(workflow_id, run_id)``."""
        return self.runtime.workflow_execution

    @property
    def is_replaying(self) -> bool:
        """True while history already holds the decisions being produced."""
        return self.runtime.is_replaying()

    @property
    def workflow_instance(self) -> WorkflowDefinition:
        """The running WorkflowDefinition object."""
        return self.runtime.workflow_instance

    def __repr__(self) -> str:
        return f"<DecisionContext {self.workflow_execution}>"


@runtime_checkable
class WorkflowStarterContext(Protocol):
    """What a ``workflow_starter`` context must offer so ``Wf.method(...)`` starts a run.

    The starter sets an object with this method as the thread's context; calling an
    @execute method then returns whatever ``start_workflow`` returns (a handle).
    """

    def start_workflow(
        self,
        definition_cls: type[WorkflowDefinition],
        meta: ExecuteMeta,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        """Start a run of ``definition_cls`` via ``meta`` with the given arguments."""


def current_runtime_or_none() -> WorkflowRuntime | None:
    """Return the runtime when workflow code is running on this thread, else None."""
    context = _peek_context()
    if isinstance(context, DecisionContext):
        return context.runtime
    return None


def current_runtime(what: str) -> WorkflowRuntime:
    """Return the current workflow runtime.

    Raises:
        NotInWorkflowError: no workflow code is running on this thread; the message says
            that ``what`` belongs in workflow code.
    """
    context = _peek_context()
    if isinstance(context, DecisionContext):
        return context.runtime
    raise NotInWorkflowError(
        f"{what} can only be called in workflow code (an @execute method, a signal handler, "
        "or a @coroutine they start), while a workflow worker runs it"
    )
