"""Workflow definitions: WorkflowDefinition, @execute, @workflow, @signal and their metadata."""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from botoflowx.constants import (
    CHILD_ABANDON,
    CHILD_REQUEST_CANCEL,
    CHILD_TERMINATE,
    MAX_DATA_SIZE,
    MAX_DESCRIPTION_SIZE,
    USE_WORKER_TASK_LIST,
)
from botoflowx.exceptions import PayloadTooLargeError, WorkflowDefinitionError
from botoflowx.workflow._context import (
    DecisionContext,
    WorkflowExecution,
    WorkflowStarterContext,
    _peek_context,
    current_runtime,
)
from botoflowx.workflow._swf import format_duration, format_priority, task_list_field, truncate

__all__ = [
    "ExecuteMeta",
    "SignalMeta",
    "WorkflowDefinition",
    "execute",
    "signal",
    "workflow",
]

C = TypeVar("C", bound=type)


@dataclasses.dataclass(frozen=True)
class ExecuteMeta:
    """What ``@execute`` declares: one workflow type (name, version) and its defaults.

    Durations are seconds (int or float) or None when not set; ``registration_kwargs``
    turns them into SWF's strings.
    """

    name: str
    version: str
    method_name: str
    execution_start_to_close_timeout: float | None
    task_start_to_close_timeout: float | None = 30
    task_list: Any = USE_WORKER_TASK_LIST
    child_policy: str | None = CHILD_TERMINATE
    task_priority: int | None = None
    description: str | None = None
    skip_registration: bool = False
    data_converter: Any = None
    func: Callable[..., Any] | None = dataclasses.field(default=None, repr=False, compare=False)

    def registration_kwargs(self, task_list: str | None = None) -> dict[str, Any]:
        """Return the keyword arguments of ``RegisterWorkflowType`` (without ``domain``).

        Only defaults that are set are sent, so nothing is registered as the literal "NONE"
        by accident. ``task_list`` is the worker's task list, used when the definition says
        ``USE_WORKER_TASK_LIST``.
        """
        kwargs: dict[str, Any] = {"name": self.name, "version": self.version}
        if self.description:
            kwargs["description"] = truncate(self.description, MAX_DESCRIPTION_SIZE)
        optional = {
            "defaultExecutionStartToCloseTimeout": format_duration(
                self.execution_start_to_close_timeout, "execution_start_to_close_timeout"
            ),
            "defaultTaskStartToCloseTimeout": format_duration(
                self.task_start_to_close_timeout, "task_start_to_close_timeout"
            ),
            "defaultTaskList": task_list_field(self.task_list, task_list),
            "defaultTaskPriority": format_priority(self.task_priority),
            "defaultChildPolicy": self.child_policy,
        }
        kwargs.update({k: v for k, v in optional.items() if v is not None})
        return kwargs


@dataclasses.dataclass(frozen=True)
class SignalMeta:
    """What ``@signal`` declares: the signal name and the handler method."""

    name: str
    method_name: str


def _docstring(func: Callable[..., Any]) -> str | None:
    # Not inspect.getdoc: for a missing docstring it looks the name up on the class,
    # which would call the descriptor's __get__.
    doc = getattr(func, "__doc__", None)
    return inspect.cleandoc(doc) if isinstance(doc, str) and doc.strip() else None


def _copy_metadata(descriptor: Any, func: Callable[..., Any]) -> None:
    # What functools.update_wrapper copies, for a descriptor object (help() and
    # inspect.signature then show the user's method).
    for attr in ("__module__", "__name__", "__qualname__", "__doc__"):
        if hasattr(func, attr):
            setattr(descriptor, attr, getattr(func, attr))
    descriptor.__wrapped__ = func


class _ExecuteMethod:
    """The descriptor ``@execute`` puts on the class.

    Accessed in workflow code it starts a child (or, on the running workflow itself,
    continues as new); in a ``workflow_starter`` block it starts a run; elsewhere it is
    the plain method.
    """

    def __init__(self, func: Callable[..., Any], options: dict[str, Any]) -> None:
        self.func = func
        self.options = options
        self.method_name = func.__name__
        _copy_metadata(self, func)

    def __set_name__(self, owner: type, name: str) -> None:
        self.method_name = name

    def meta_for(self, cls: type) -> ExecuteMeta:
        methods: dict[str, ExecuteMeta] = getattr(cls, "__workflow_methods__", {})
        meta = methods.get(self.method_name)
        if meta is None:
            raise WorkflowDefinitionError(
                f"{cls.__qualname__}.{self.method_name} is an @execute method but "
                f"{cls.__qualname__} is not a WorkflowDefinition subclass: derive from "
                "WorkflowDefinition"
            )
        return meta

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        cls = objtype if objtype is not None else type(obj)
        context = _peek_context()
        if isinstance(context, DecisionContext):
            meta = self.meta_for(cls)
            runtime = context.runtime

            def call_in_workflow(*args: Any, **kwargs: Any) -> Any:
                return runtime.call_execute(cls, obj, meta, args, kwargs)

            return call_in_workflow
        if context is not None and isinstance(context, WorkflowStarterContext):
            meta = self.meta_for(cls)
            return functools.partial(_start_with, context, cls, meta)
        if obj is None:
            return self.func
        return self.func.__get__(obj, cls)


def _start_with(
    context: WorkflowStarterContext,
    cls: type[WorkflowDefinition],
    meta: ExecuteMeta,
    *args: Any,
    **kwargs: Any,
) -> Any:
    return context.start_workflow(cls, meta, args, kwargs)


class _SignalMethod:
    """The descriptor ``@signal`` puts on the class.

    On the running workflow object it is the plain handler method. On a handle of
    another run (a started child, or ``Cls(WorkflowExecution(workflow_id, run_id))``)
    calling it sends the signal to that run: from workflow code as a
    SignalExternalWorkflowExecution decision (the call returns a Future), from an
    activity or a ``workflow_starter`` block with SignalWorkflowExecution.
    """

    def __init__(self, func: Callable[..., Any], name: str | None) -> None:
        self.func = func
        self.signal_name = name
        self.method_name = func.__name__
        _copy_metadata(self, func)

    def __set_name__(self, owner: type, name: str) -> None:
        self.method_name = name

    @property
    def name(self) -> str:
        """The signal name sent over the wire."""
        return self.signal_name or self.method_name

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self.func
        context = _peek_context()
        execution = getattr(obj, "workflow_execution", None)
        if isinstance(context, DecisionContext):
            runtime = context.runtime
            try:
                running = runtime.workflow_instance
            except RuntimeError:
                running = None
            if obj is not running and execution is not None and execution.workflow_id:
                name = self.name
                converter = _converter_of(type(obj))

                def signal_external(*args: Any, **kwargs: Any) -> Any:
                    return runtime.signal_external(
                        execution, name, args, kwargs, data_converter=converter
                    )

                return signal_external
        elif context is not None and execution is not None and execution.workflow_id:
            return functools.partial(_signal_from_outside, type(obj), execution, self.name)
        return self.func.__get__(obj, objtype)


def _converter_of(cls: type) -> Any:
    # The converter the target decodes signal input with: its @execute declaration's
    # (a class whose versions disagree gets the default; pass a handle for control).
    converters = {
        id(meta.data_converter): meta.data_converter
        for meta in getattr(cls, "__workflow_types__", {}).values()
    }
    return next(iter(converters.values())) if len(converters) == 1 else None


def _signal_from_outside(
    cls: type, execution: WorkflowExecution, name: str, *args: Any, **kwargs: Any
) -> None:
    # Imported here: the client package builds on this one.
    from botoflowx.client._starter import get_workflow_handle

    handle = get_workflow_handle(
        execution.workflow_id or "",
        execution.run_id,
        definition=cls,
        data_converter=_converter_of(cls),
    )
    handle.signal(name, *args, **kwargs)


_CHILD_POLICIES = (CHILD_TERMINATE, CHILD_REQUEST_CANCEL, CHILD_ABANDON)


def execute(
    version: str,
    execution_start_to_close_timeout: float | None,
    task_start_to_close_timeout: float | None = 30,
    task_list: Any = USE_WORKER_TASK_LIST,
    child_policy: str | None = CHILD_TERMINATE,
    task_priority: int | None = None,
    description: str | None = None,
    skip_registration: bool = False,
    data_converter: Any = None,
) -> Callable[[Callable[..., Any]], Any]:
    """Mark the entry point of a workflow type version.

    The method may be a generator (``yield`` futures, ``return`` the result) or a plain
    function. A class may have several @execute methods, one per version.

    Args:
        version: the workflow type version.
        execution_start_to_close_timeout: seconds the whole run may take.
        task_start_to_close_timeout: seconds one decision task may take.
        task_list: the default task list (default: the registering worker's).
        child_policy: what happens to children when the run closes (CHILD_*).
        task_priority: the default task priority.
        description: registered description (default: the method's docstring).
        skip_registration: leave this type out of the worker's registration.
        data_converter: the converter of the run's input and result.

    Raises:
        WorkflowDefinitionError: an option is invalid.
    """
    if not isinstance(version, str) or not version:
        raise WorkflowDefinitionError(
            f"@execute(version=...) must be a non-empty string, got {version!r}"
        )
    try:
        format_duration(execution_start_to_close_timeout, "execution_start_to_close_timeout")
        format_duration(task_start_to_close_timeout, "task_start_to_close_timeout")
        format_priority(task_priority)
        task_list_field(task_list)
    except (TypeError, ValueError) as exc:
        raise WorkflowDefinitionError(f"@execute: {exc}") from None
    if child_policy is not None and child_policy not in _CHILD_POLICIES:
        raise WorkflowDefinitionError(
            f"@execute(child_policy=...) must be one of {_CHILD_POLICIES}, got {child_policy!r}"
        )
    options = {
        "version": version,
        "execution_start_to_close_timeout": execution_start_to_close_timeout,
        "task_start_to_close_timeout": task_start_to_close_timeout,
        "task_list": task_list,
        "child_policy": child_policy,
        "task_priority": task_priority,
        "description": description,
        "skip_registration": skip_registration,
        "data_converter": data_converter,
    }

    def decorate(func: Callable[..., Any]) -> Any:
        if not callable(func):
            raise WorkflowDefinitionError(f"@execute decorates a method, got {func!r}")
        return _ExecuteMethod(func, options)

    return decorate


def signal(name: str | None = None) -> Callable[[Callable[..., Any]], Any]:
    """Mark a signal handler; ``name`` defaults to the method name.

    Handlers run in history order. A generator handler runs as a coroutine, so it may
    yield futures.

    Sending: on a handle of another run the method sends the signal. From a
    ``workflow_starter`` handle, ``handle.method(*args)``; from an activity,
    ``get_workflow_handle(workflow_id, run_id, definition=Cls).method(*args)`` or
    ``Cls(WorkflowExecution(workflow_id, run_id)).method(*args)``; from workflow code,
    ``yield Cls(WorkflowExecution(workflow_id, run_id)).method(*args)`` (or on a
    started child's handle), a SignalExternalWorkflowExecution decision whose Future
    fails with SignalExternalWorkflowExecutionFailedError when SWF cannot deliver it.

    Policy for signals a run cannot handle, so none blocks a run forever or loops:

    * a signal name with no handler is logged (warning, with the known names) and
      ignored; it stays in the history, and the run goes on;
    * input that does not decode, arguments that do not fit the handler, and any
      exception the handler raises fail the run (FailWorkflowExecution) with that
      error, so the starter sees it at once.
    """
    if callable(name):
        raise WorkflowDefinitionError("use @signal() or @signal(name=...), with parentheses")

    def decorate(func: Callable[..., Any]) -> Any:
        return _SignalMethod(func, name)

    return decorate


def workflow(name: str) -> Callable[[C], C]:
    """Class decorator: give the workflow type ``name`` instead of the class name."""
    if not isinstance(name, str) or not name:
        raise WorkflowDefinitionError(f"@workflow(name) needs a non-empty string, got {name!r}")

    def decorate(cls: C) -> C:
        if not isinstance(cls, _WorkflowDefinitionMeta):
            raise WorkflowDefinitionError(
                f"@workflow decorates WorkflowDefinition subclasses, got {cls!r}"
            )
        cls.__workflow_name__ = name
        cls._collect_definitions()
        return cls

    return decorate


class _WorkflowDefinitionMeta(type):
    """Collects a definition's @execute and @signal methods, including inherited ones."""

    __workflow_types__: dict[tuple[str, str], ExecuteMeta]
    __workflow_methods__: dict[str, ExecuteMeta]
    __signals__: dict[str, SignalMeta]
    __workflow_name__: str

    def __new__(
        mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any
    ) -> Any:
        # The type name is per class: a subclass serves its own type unless @workflow(name)
        # says otherwise, so it is not inherited.
        namespace.setdefault("__workflow_name__", name)
        cls = super().__new__(mcs, name, bases, namespace, **kwargs)
        cls._collect_definitions()
        return cls

    def _collect_definitions(cls) -> None:
        executes: dict[str, _ExecuteMethod] = {}
        signals: dict[str, _SignalMethod] = {}
        # Base classes first, so a subclass attribute of the same name replaces the base's.
        for klass in reversed(cls.__mro__):
            for attr, value in vars(klass).items():
                if isinstance(value, _ExecuteMethod):
                    executes[attr] = value
                    signals.pop(attr, None)
                elif isinstance(value, _SignalMethod):
                    signals[attr] = value
                    executes.pop(attr, None)
                else:
                    executes.pop(attr, None)
                    signals.pop(attr, None)
        types: dict[tuple[str, str], ExecuteMeta] = {}
        methods: dict[str, ExecuteMeta] = {}
        for attr, method in executes.items():
            options = dict(method.options)
            if options["description"] is None:
                options["description"] = _docstring(method.func)
            meta = ExecuteMeta(
                name=cls.__workflow_name__, method_name=attr, func=method.func, **options
            )
            key = (meta.name, meta.version)
            if key in types:
                raise WorkflowDefinitionError(
                    f"{cls.__qualname__} declares workflow type {meta.name!r} version "
                    f"{meta.version!r} twice (methods {types[key].method_name!r} and "
                    f"{attr!r}): give each @execute method its own version"
                )
            types[key] = meta
            methods[attr] = meta
        signal_metas: dict[str, SignalMeta] = {}
        for attr, sig in signals.items():
            sig_name = sig.signal_name or attr
            if sig_name in signal_metas:
                raise WorkflowDefinitionError(
                    f"{cls.__qualname__} declares signal {sig_name!r} twice (methods "
                    f"{signal_metas[sig_name].method_name!r} and {attr!r})"
                )
            signal_metas[sig_name] = SignalMeta(sig_name, attr)
        cls.__workflow_types__ = types
        cls.__workflow_methods__ = methods
        cls.__signals__ = signal_metas


class WorkflowDefinition(metaclass=_WorkflowDefinitionMeta):
    """Base class of workflow definitions.

    Subclass it and mark the entry point with ``@execute``; mark signal handlers with
    ``@signal()``. The engine creates one object per run, so attributes set in workflow
    code are the run's state (rebuilt by replay, never shared between runs).
    """

    __workflow_types__: ClassVar[dict[tuple[str, str], ExecuteMeta]]
    __workflow_methods__: ClassVar[dict[str, ExecuteMeta]]
    __signals__: ClassVar[dict[str, SignalMeta]]
    __workflow_name__: ClassVar[str]

    def __init__(self, workflow_execution: WorkflowExecution | None = None) -> None:
        """Create the run's object; the engine passes the run's real ids."""
        self._workflow_execution = workflow_execution or WorkflowExecution(None, None)
        self._workflow_state: str | None = None
        self._workflow_result: Any = None

    @property
    def workflow_execution(self) -> WorkflowExecution:
        """The ``(workflow_id, run_id)`` of this run (real ids, also during replay)."""
        return self._workflow_execution

    @property
    def workflow_state(self) -> str | None:
        """A short free-form status string, sent to SWF as the ``executionContext``."""
        return self._workflow_state

    @workflow_state.setter
    def workflow_state(self, value: str | None) -> None:
        if value is not None and not isinstance(value, str):
            raise TypeError(f"workflow_state must be a string, got {type(value).__name__}")
        if value is not None and len(value) > MAX_DATA_SIZE:
            raise PayloadTooLargeError(
                "workflow_state (executionContext)", len(value), MAX_DATA_SIZE
            )
        self._workflow_state = value

    @property
    def workflow_result(self) -> Any:
        """On a child's handle: the Future of the child's result (None elsewhere)."""
        return self._workflow_result

    def cancel(self, details: str = "") -> Any:
        """Cancel this run (from its own code) or request cancellation of a child.

        On the running workflow, CancelledError is raised into its @execute method at its
        current ``yield``; once the method ends (by letting the error escape, or by
        returning, e.g. right after this call) ``cancellation_handler`` runs and the run
        closes as canceled with ``details``. Only another exception escaping fails the
        run instead. None is returned.

        On a handle of another run (a child's, or
        ``WorkflowDefinition(WorkflowExecution(workflow_id, run_id))``) it sends
        RequestCancelExternalWorkflowExecution and returns a Future that completes once
        SWF delivered the request, or fails with
        RequestCancelExternalWorkflowExecutionFailedError. Must be called in workflow
        code.

        Raises:
            NotInWorkflowError: called outside workflow code.
            PayloadTooLargeError: ``details`` is over 32,768 characters.
        """
        return current_runtime("WorkflowDefinition.cancel()").cancel_workflow(self, details)

    def cancellation_handler(self) -> Any:
        """Override to clean up when the run is canceled (may be a generator).

        It runs after the @execute method let CancelledError escape and before the run
        closes as canceled; open activities are then asked to cancel.
        """
        return None
