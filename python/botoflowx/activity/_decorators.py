"""The activity decorators: @activities (class defaults), @activity and @manual_activity."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from botoflowx.activity._meta import (
    CLASS_DEFAULT_FIELDS,
    ActivitiesConfig,
    ActivityMethod,
    _check_options,
    collect_activities,
)
from botoflowx.constants import USE_WORKER_TASK_LIST
from botoflowx.exceptions import WorkflowDefinitionError

__all__ = ["activities", "activity", "manual_activity"]

C = TypeVar("C", bound=type)


def activities(
    task_list: Any = USE_WORKER_TASK_LIST,
    task_priority: int | None = None,
    activity_name_prefix: str = "",
    heartbeat_timeout: float | None = None,
    schedule_to_start_timeout: float | None = None,
    start_to_close_timeout: float | None = None,
    schedule_to_close_timeout: float | None = None,
    data_converter: Any = None,
    retry: Any = None,
) -> Callable[[C], C]:
    """Class decorator: defaults for every ``@activity`` method of the class.

    ``retry`` (a ``RetryPolicy`` or ``ActivityRetrying``) is the retry strategy of every
    activity of the class that declares none itself.

    An option set on ``@activity`` wins over the class default. On a subclass of another
    ``@activities`` class, options it leaves unset are inherited from the base's
    decorator, and the activities (inherited ones too) are named after the subclass.
    Type names are ``f"{activity_name_prefix}{ClassName}.{method}"`` unless the method
    gives ``name=``.

    Raises:
        WorkflowDefinitionError: an option is invalid, or two methods end up with the same
            (name, version).
    """
    options = {
        "task_list": task_list,
        "task_priority": task_priority,
        "heartbeat_timeout": heartbeat_timeout,
        "schedule_to_start_timeout": schedule_to_start_timeout,
        "start_to_close_timeout": start_to_close_timeout,
        "schedule_to_close_timeout": schedule_to_close_timeout,
        "data_converter": data_converter,
        "retry": retry,
    }
    _check_options("@activities", None, options)
    if not isinstance(activity_name_prefix, str):
        raise WorkflowDefinitionError(
            f"@activities(activity_name_prefix=...) must be a string, got {activity_name_prefix!r}"
        )

    def decorate(cls: C) -> C:
        if not isinstance(cls, type):
            raise WorkflowDefinitionError(f"@activities decorates a class, got {cls!r}")
        base = next(
            (
                vars(k)["__activities_config__"]
                for k in cls.__mro__
                if "__activities_config__" in vars(k)
            ),
            ActivitiesConfig(),
        )
        defaults = dict(base.defaults)
        for key in CLASS_DEFAULT_FIELDS:
            value = options[key]
            # USE_WORKER_TASK_LIST is the parameter's default, so it does not override an
            # explicit task list of the base class.
            if value is not None and not (key == "task_list" and value is USE_WORKER_TASK_LIST):
                defaults[key] = value
        cls.__activities_config__ = ActivitiesConfig(  # type: ignore[attr-defined]
            activity_name_prefix=activity_name_prefix or base.activity_name_prefix,
            defaults=defaults,
        )
        collect_activities(cls)  # reject duplicate types at import time
        return cls

    return decorate


def _make_activity(manual: bool) -> Callable[..., Callable[[Callable[..., Any]], Any]]:
    def decorator(
        version: str,
        name: str | None = None,
        task_list: Any = None,
        task_priority: int | None = None,
        heartbeat_timeout: float | None = None,
        schedule_to_start_timeout: float | None = None,
        start_to_close_timeout: float | None = None,
        schedule_to_close_timeout: float | None = None,
        description: str | None = None,
        skip_registration: bool = False,
        retry: Any = None,
    ) -> Callable[[Callable[..., Any]], Any]:
        where = "@manual_activity" if manual else "@activity"
        if callable(version):
            raise WorkflowDefinitionError(f"{where} needs a version: write {where}(version='1.0')")
        if not isinstance(version, str) or not version:
            raise WorkflowDefinitionError(f"{where}(version=...) must be a non-empty string")
        if name is not None and (not isinstance(name, str) or not name):
            raise WorkflowDefinitionError(f"{where}(name=...) must be a non-empty string")
        options = {
            "task_list": task_list,
            "task_priority": task_priority,
            "heartbeat_timeout": heartbeat_timeout,
            "schedule_to_start_timeout": schedule_to_start_timeout,
            "start_to_close_timeout": start_to_close_timeout,
            "schedule_to_close_timeout": schedule_to_close_timeout,
            "retry": retry,
        }
        _check_options(where, version, options)

        def decorate(func: Callable[..., Any]) -> ActivityMethod:
            if isinstance(func, ActivityMethod):
                raise WorkflowDefinitionError(f"{where} applied twice to {func.method_name!r}")
            if not callable(func):
                raise WorkflowDefinitionError(f"{where} decorates a method, got {func!r}")
            return ActivityMethod(
                func,
                version=version,
                name=name,
                manual=manual,
                options=options,
                description=description,
                skip_registration=skip_registration,
            )

        return decorate

    return decorator


activity = _make_activity(manual=False)
activity.__name__ = activity.__qualname__ = "activity"
activity.__doc__ = """Mark a method as an activity type (default name ``"ClassName.method"``).

Inside workflow code ``Acts.method(*args, **kwargs)`` schedules it and returns an
ActivityFuture; elsewhere the method is called normally. Options left unset fall back to
the class's ``@activities`` defaults, then to the type's registered defaults.

Args:
    version: the activity type version.
    name: the type name, verbatim (default: prefix + ``ClassName.method``).
    task_list: the task list to schedule on (default: the registering worker's).
    task_priority: the task priority.
    heartbeat_timeout: seconds between heartbeats before the task times out.
    schedule_to_start_timeout: seconds the task may wait for a worker.
    start_to_close_timeout: seconds the task may run.
    schedule_to_close_timeout: seconds from scheduling to completion.
    description: registered description (default: the docstring, cut to 1024 chars).
    skip_registration: leave this type out of the worker's registration.
    retry: a ``RetryPolicy`` (or ``ActivityRetrying``) that workflow code applies to
        every call of this activity; ``@retry_activity`` is the other spelling.
"""

manual_activity = _make_activity(manual=True)
manual_activity.__name__ = manual_activity.__qualname__ = "manual_activity"
manual_activity.__doc__ = """Like ``@activity``, for activities completed later by other code.

The worker runs the method but does not respond to SWF: something else completes the
task with its token (see the activity context).
"""
