"""Activity metadata: ActivityMeta, the method descriptor, ActivityType and collect_activities."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import sys
import threading
import weakref
from collections.abc import Callable
from typing import Any

from botoflowx.constants import MAX_DESCRIPTION_SIZE, USE_WORKER_TASK_LIST
from botoflowx.converter import JSONDataConverter
from botoflowx.exceptions import WorkflowDefinitionError
from botoflowx.workflow import _convert
from botoflowx.workflow._commands import call_site_locations, frame_location
from botoflowx.workflow._context import DecisionContext, current_runtime
from botoflowx.workflow._context import _current as _thread_context
from botoflowx.workflow._options import (
    activity_options_open,
    activity_options_stack,
    current_activity_options,
)
from botoflowx.workflow._retry import RETRY_ATTRIBUTE, check_strategy, schedule_with_retry
from botoflowx.workflow._swf import format_duration, format_priority, task_list_field, truncate

__all__ = [
    "ActivitiesConfig",
    "ActivityMeta",
    "ActivityMethod",
    "ActivityType",
    "SchedulePlan",
    "collect_activities",
]

TIMEOUT_FIELDS = (
    "heartbeat_timeout",
    "schedule_to_start_timeout",
    "start_to_close_timeout",
    "schedule_to_close_timeout",
)
# Options @activities can default for every method of the class.
CLASS_DEFAULT_FIELDS = ("task_list", "task_priority", *TIMEOUT_FIELDS, "data_converter", "retry")


_TIMEOUT_DEFAULTS = (
    "defaultTaskHeartbeatTimeout",
    "defaultTaskScheduleToStartTimeout",
    "defaultTaskStartToCloseTimeout",
    "defaultTaskScheduleToCloseTimeout",
)


@dataclasses.dataclass(frozen=True)
class ActivityMeta:
    """One activity type (name, version) and its defaults.

    Durations are seconds or None when not set. ``task_list`` may be
    ``USE_WORKER_TASK_LIST`` (the registering worker's task list). ``retry`` is the
    retry strategy (a ``RetryPolicy`` or ``ActivityRetrying``) workflow code applies
    when it calls the activity; it is not part of the SWF type.
    """

    name: str
    version: str
    method_name: str = ""
    manual: bool = False
    task_list: Any = USE_WORKER_TASK_LIST
    task_priority: int | None = None
    heartbeat_timeout: float | None = None
    schedule_to_start_timeout: float | None = None
    start_to_close_timeout: float | None = None
    schedule_to_close_timeout: float | None = None
    description: str | None = None
    skip_registration: bool = False
    data_converter: Any = None
    func: Callable[..., Any] | None = dataclasses.field(default=None, repr=False, compare=False)
    retry: Any = None

    def registration_kwargs(self, task_list: str | None = None) -> dict[str, Any]:
        """Return the keyword arguments of ``RegisterActivityType`` (without ``domain``).

        A timeout left unset is registered as ``"NONE"`` (no limit), as botoflow did: SWF
        needs every timeout resolved when a task is scheduled, and the schedule decision
        sends only the timeouts the code set, so the registered defaults must be complete.
        ``task_list`` is the worker's task list, used when the activity says
        ``USE_WORKER_TASK_LIST``.
        """
        kwargs: dict[str, Any] = {"name": self.name, "version": self.version}
        if self.description:
            kwargs["description"] = truncate(self.description, MAX_DESCRIPTION_SIZE)
        optional = {
            "defaultTaskList": task_list_field(self.task_list, task_list),
            "defaultTaskPriority": format_priority(self.task_priority),
            "defaultTaskHeartbeatTimeout": format_duration(
                self.heartbeat_timeout, "heartbeat_timeout"
            ),
            "defaultTaskScheduleToStartTimeout": format_duration(
                self.schedule_to_start_timeout, "schedule_to_start_timeout"
            ),
            "defaultTaskStartToCloseTimeout": format_duration(
                self.start_to_close_timeout, "start_to_close_timeout"
            ),
            "defaultTaskScheduleToCloseTimeout": format_duration(
                self.schedule_to_close_timeout, "schedule_to_close_timeout"
            ),
        }
        for key in _TIMEOUT_DEFAULTS:
            if optional[key] is None:
                optional[key] = "NONE"
        kwargs.update({k: v for k, v in optional.items() if v is not None})
        return kwargs

    def bind(self, obj: Any) -> Callable[..., Any]:
        """Return the callable that runs this activity's code on ``obj``.

        ``obj`` is an instance of the activities class; given the class itself, a new
        instance is made with no arguments.

        Raises:
            WorkflowDefinitionError: this meta has no code (an ``ActivityType``).
        """
        if self.func is None:
            raise WorkflowDefinitionError(
                f"activity {self.name!r} version {self.version!r} has no code here: it was "
                "declared with ActivityType and runs in another worker"
            )
        if isinstance(obj, type):
            obj = obj()
        bound: Callable[..., Any] = self.func.__get__(obj, type(obj))
        return bound

    def with_overrides(self, overrides: dict[str, Any]) -> ActivityMeta:
        """Return a copy with the fields of ``overrides`` (activity_options) replaced."""
        fields = {k: v for k, v in overrides.items() if k in _META_FIELDS}
        return dataclasses.replace(self, **fields) if fields else self

    @functools.cached_property
    def schedule_plan(self) -> SchedulePlan:
        """What every ScheduleActivityTask of this meta shares, made once per meta."""
        return SchedulePlan(self)


class SchedulePlan:
    """The parts of a ScheduleActivityTask decision that depend only on the ActivityMeta.

    A workflow schedules the same activity type many times, and a full replay re-makes
    every one of those calls: formatting the options once per meta keeps that per-call
    cost to the call's own input and id.
    """

    __slots__ = (
        "_nested",
        "_raw",
        "activity_type",
        "converter",
        "default_json",
        "input_context",
        "options",
        "result_context",
        "takes_context",
        "what",
    )

    def __init__(self, meta: ActivityMeta) -> None:
        # The option values, not the meta: a plan the meta holds must not point back.
        self._raw = (
            meta.task_list,
            meta.task_priority,
            meta.heartbeat_timeout,
            meta.schedule_to_start_timeout,
            meta.start_to_close_timeout,
            meta.schedule_to_close_timeout,
        )
        self.activity_type = {"name": meta.name, "version": meta.version}
        self.what = f"activity {meta.name} {meta.version}"
        self.input_context = f"input of {self.what}"
        self.result_context = f"result of activity {meta.name}"
        # The converter of every call (the default one is made once per process) and
        # whether its dumps/loads take ``context``: what _convert.dumps/loads work out
        # per call.
        self.converter = _convert.resolve_converter(meta.data_converter)
        self.takes_context = _convert.takes_context(self.converter)
        # Whether the converter is the default one (not a subclass, which may
        # override dumps/loads): then an input of JSON scalars is written by
        # plain_call_json, and a result without tagged objects read by orjson alone.
        self.default_json = type(self.converter) is JSONDataConverter
        # The formatted options that are set, in the decision's field order (see
        # check_options).
        self.options: dict[str, Any] | None = None
        self._nested: tuple[str, ...] = ()

    def check_options(self) -> None:
        """Format the meta's options for SWF (once).

        Raises:
            TypeError, ValueError: an option cannot be sent to SWF; raised into the
                workflow code that schedules the activity, on every call, as before
                this plan existed.
        """
        if self.options is not None:
            return
        task_list, priority, heartbeat, to_start, to_close, total = self._raw
        # In the decision's field order, after activityType, activityId and input.
        options = {
            "taskList": task_list_field(task_list),
            "taskPriority": format_priority(priority),
            "heartbeatTimeout": format_duration(heartbeat, "heartbeat_timeout"),
            "scheduleToStartTimeout": format_duration(to_start, "schedule_to_start_timeout"),
            "startToCloseTimeout": format_duration(to_close, "start_to_close_timeout"),
            "scheduleToCloseTimeout": format_duration(total, "schedule_to_close_timeout"),
        }
        # What a decision holds: the options that are set, and which of them are
        # dicts to copy per decision.
        self._nested = tuple(k for k, v in options.items() if isinstance(v, dict))
        self.options = {k: v for k, v in options.items() if v is not None}

    def attributes(self, key: str, payload: str) -> dict[str, Any]:
        """The decision attributes of the call with activity id ``key``, None values left out.

        The dicts are fresh (a decision may be edited). Call :meth:`check_options` first.
        """
        assert self.options is not None
        attributes = {
            "activityType": dict(self.activity_type),
            "activityId": key,
            "input": payload,
            **self.options,
        }
        for name in self._nested:
            attributes[name] = dict(attributes[name])
        return attributes


_META_FIELDS = frozenset(f.name for f in dataclasses.fields(ActivityMeta))


@dataclasses.dataclass(frozen=True)
class ActivitiesConfig:
    """What ``@activities`` declares for a class (merged with its bases' declarations)."""

    activity_name_prefix: str = ""
    defaults: dict[str, Any] = dataclasses.field(default_factory=dict)


class ActivityMethod:
    """The descriptor ``@activity`` puts on the class.

    Accessed while workflow code runs, ``Acts.method`` (or ``Acts().method``) schedules
    the activity and returns an ActivityFuture; anywhere else it is the plain method, so
    workers and unit tests call the code directly.
    """

    def __init__(
        self,
        func: Callable[..., Any],
        *,
        version: str,
        name: str | None,
        manual: bool,
        options: dict[str, Any],
        description: str | None,
        skip_registration: bool,
    ) -> None:
        self.func = func
        self.version = version
        self.name = name
        self.manual = manual
        self.options = options
        self.description = description
        self.skip_registration = skip_registration
        self.method_name = func.__name__
        # @retry_activity applied below @activity left its strategy on the function.
        retry = options.get("retry")
        self.retry = retry if retry is not None else getattr(func, RETRY_ATTRIBUTE, None)
        self.owner: type | None = None
        self._metas: weakref.WeakKeyDictionary[type, ActivityMeta] = weakref.WeakKeyDictionary()
        # Decider threads resolve metas concurrently; WeakKeyDictionary is not thread-safe.
        self._lock = threading.Lock()
        # The last class resolved and its meta, read without the lock (one tuple, swapped
        # whole): a method is nearly always reached through one class, and workflow code
        # reaches it once per call.
        self._last: tuple[weakref.ref[type], ActivityMeta] | None = None
        self.__doc__ = func.__doc__
        self.__wrapped__ = func

    def __set_name__(self, owner: type, name: str) -> None:
        self.owner = owner
        self.method_name = name

    def reset_metas(self) -> None:
        """Forget the metas built so far (an option such as ``retry`` changed)."""
        with self._lock:
            self._metas = weakref.WeakKeyDictionary()
            self._last = None

    def meta_for(self, cls: type) -> ActivityMeta:
        """Return the activity type this method has when accessed through ``cls``."""
        last = self._last
        if last is not None and last[0]() is cls:
            return last[1]
        with self._lock:
            meta = self._metas.get(cls)
            if meta is None:
                meta = self._build_meta(cls)
                self._metas[cls] = meta
            self._last = (weakref.ref(cls), meta)
        return meta

    def _build_meta(self, cls: type) -> ActivityMeta:
        owner = self.owner or cls
        config_cls = next((k for k in cls.__mro__ if "__activities_config__" in vars(k)), None)
        config: ActivitiesConfig = (
            vars(config_cls)["__activities_config__"] if config_cls else ActivitiesConfig()
        )
        # Names follow the class that declared the activities: the method's own class, or
        # a subclass decorated with @activities that re-declares them under its name.
        name_cls = config_cls if config_cls is not None and issubclass(config_cls, owner) else owner
        name = self.name or f"{config.activity_name_prefix}{name_cls.__name__}.{self.method_name}"
        fields = {k: v for k, v in config.defaults.items() if v is not None}
        fields.update({k: v for k, v in self.options.items() if v is not None})
        if self.retry is not None:
            fields["retry"] = self.retry
        description = self.description or _docstring(self.func)
        return ActivityMeta(
            name=name,
            version=self.version,
            method_name=self.method_name,
            manual=self.manual,
            description=description,
            skip_registration=self.skip_registration,
            func=self.func,
            **fields,
        )

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        # current_runtime_or_none() and meta_for()'s fast path, inlined: workflow code
        # reaches the method once per call, thousands of times in a full replay.
        context = _thread_context.context
        if isinstance(context, DecisionContext):
            cls = objtype if objtype is not None else type(obj)
            last = self._last
            meta = last[1] if last is not None and last[0]() is cls else self.meta_for(cls)
            # The run's function for this method and meta (a new meta, e.g. after
            # reset_metas(), makes a new one): not a closure per call.
            made = context.activity_methods.get(self)
            if made is not None and made[0] is meta:
                return made[1]
            runtime = context.runtime

            def schedule(*args: Any, **kwargs: Any) -> Any:
                # The call site is this function's caller (or above it, when that is
                # botoflowx code): found here, the engine need not walk up to it. A
                # known site is read from frame_location()'s cache without the call.
                frame = sys._getframe(1)
                entry = call_site_locations.get((id(frame.f_code), frame.f_lasti))
                location = entry[1] if entry is not None else frame_location(frame)
                if meta.retry is None and not activity_options_stack.get():
                    # _schedule() without a retry strategy to apply, inlined.
                    return runtime.schedule_activity(meta, args, kwargs, location)
                return _schedule(runtime, meta, args, kwargs, location)

            schedule.__name__ = self.method_name
            schedule.__doc__ = self.func.__doc__
            context.activity_methods[self] = (meta, schedule)
            return schedule
        if obj is None:
            return self.func
        return self.func.__get__(obj, objtype)


class ActivityType:
    """An activity declared by name, to call from a workflow without its code.

    Example::

        total = yield ActivityType("1.1", "Calc.sum", start_to_close_timeout=60)(1, 2)
    """

    def __init__(
        self,
        version: str,
        name: str,
        task_list: Any = USE_WORKER_TASK_LIST,
        task_priority: int | None = None,
        heartbeat_timeout: float | None = None,
        schedule_to_start_timeout: float | None = None,
        start_to_close_timeout: float | None = None,
        schedule_to_close_timeout: float | None = None,
        description: str | None = None,
        data_converter: Any = None,
        retry: Any = None,
    ) -> None:
        """Declare the activity type ``name`` at ``version`` (``name`` is used verbatim).

        ``retry`` (a ``RetryPolicy`` or ``ActivityRetrying``) retries every call made
        through this object.
        """
        if not isinstance(name, str) or not name:
            raise WorkflowDefinitionError(f"ActivityType needs a name, got {name!r}")
        _check_options("ActivityType", version, locals())
        self.meta = ActivityMeta(
            name=name,
            version=version,
            task_list=task_list,
            task_priority=task_priority,
            heartbeat_timeout=heartbeat_timeout,
            schedule_to_start_timeout=schedule_to_start_timeout,
            start_to_close_timeout=start_to_close_timeout,
            schedule_to_close_timeout=schedule_to_close_timeout,
            description=description,
            skip_registration=True,
            data_converter=data_converter,
            retry=retry,
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Schedule the activity; return its future (workflow code only).

        The future is an ActivityFuture, or with a retry strategy the future of the
        retrying call.
        """
        runtime = current_runtime(f"ActivityType({self.meta.name!r})(...)")
        return _schedule(runtime, self.meta, args, kwargs)

    def __repr__(self) -> str:
        return f"ActivityType({self.meta.version!r}, {self.meta.name!r})"


def _schedule(
    runtime: Any,
    meta: ActivityMeta,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    location: str | None = None,
) -> Any:
    # activity_options(retry=...) overrides the declared strategy for calls in its block.
    if activity_options_open():
        strategy = current_activity_options().get("retry", meta.retry)
    else:
        strategy = meta.retry
    if strategy is None:
        return runtime.schedule_activity(meta, args, kwargs, location)
    return schedule_with_retry(runtime, meta, args, kwargs, check_strategy(strategy, "activity"))


def _docstring(func: Callable[..., Any]) -> str | None:
    # Not inspect.getdoc: for a missing docstring it looks the name up on the class,
    # which calls this descriptor's __get__ again.
    doc = getattr(func, "__doc__", None)
    return inspect.cleandoc(doc) if isinstance(doc, str) and doc.strip() else None


def _check_options(where: str, version: Any, options: dict[str, Any]) -> None:
    if version is not None and (not isinstance(version, str) or not version):
        raise WorkflowDefinitionError(f"{where}(version=...) must be a non-empty string")
    try:
        for key in TIMEOUT_FIELDS:
            format_duration(options.get(key), key)
        format_priority(options.get("task_priority"))
        task_list_field(options.get("task_list"))
        check_strategy(options.get("retry"), where)
    except (TypeError, ValueError) as exc:
        raise WorkflowDefinitionError(f"{where}: {exc}") from None


def collect_activities(obj: Any) -> dict[tuple[str, str], ActivityMeta]:
    """Return every activity type of an activities object or class, by (name, version).

    Raises:
        WorkflowDefinitionError: two methods declare the same (name, version).
    """
    cls = obj if isinstance(obj, type) else type(obj)
    found: dict[tuple[str, str], ActivityMeta] = {}
    seen: set[str] = set()
    for klass in cls.__mro__:
        for attr, value in vars(klass).items():
            if attr in seen:
                continue
            seen.add(attr)
            if not isinstance(value, ActivityMethod):
                continue
            meta = value.meta_for(cls)
            key = (meta.name, meta.version)
            if key in found:
                raise WorkflowDefinitionError(
                    f"{cls.__qualname__} declares activity type {meta.name!r} version "
                    f"{meta.version!r} twice (methods {found[key].method_name!r} and {attr!r})"
                )
            found[key] = meta
    return found
