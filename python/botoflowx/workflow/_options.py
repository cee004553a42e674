"""The activity_options and workflow_options context managers: nested, merged, task-local."""

from __future__ import annotations

import contextvars
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from botoflowx.constants import CHILD_ABANDON, CHILD_REQUEST_CANCEL, CHILD_TERMINATE
from botoflowx.workflow._swf import format_duration, format_priority

__all__ = [
    "activity_options",
    "activity_options_open",
    "current_activity_options",
    "current_workflow_options",
    "workflow_options",
]

ACTIVITY_OPTION_FIELDS = (
    "task_list",
    "version",
    "name",
    "heartbeat_timeout",
    "schedule_to_start_timeout",
    "start_to_close_timeout",
    "schedule_to_close_timeout",
    "task_priority",
    "retry",
)
WORKFLOW_OPTION_FIELDS = (
    "task_list",
    "workflow_id",
    "version",
    "name",
    "execution_start_to_close_timeout",
    "task_start_to_close_timeout",
    "child_policy",
    "tag_list",
    "task_priority",
    "data_converter",
)
_DURATIONS = {
    "heartbeat_timeout",
    "schedule_to_start_timeout",
    "start_to_close_timeout",
    "schedule_to_close_timeout",
    "execution_start_to_close_timeout",
    "task_start_to_close_timeout",
}
_CHILD_POLICIES = {CHILD_TERMINATE, CHILD_REQUEST_CANCEL, CHILD_ABANDON}

# The stacks are context variables, not thread-locals: each workflow coroutine runs in its
# own copy of the context (see Task), so a block left open across a `yield` only affects
# the coroutine that opened it. Starter threads read them the same way.
_activity_stack: contextvars.ContextVar[tuple[Mapping[str, Any], ...]] = contextvars.ContextVar(
    "botoflowx_activity_options", default=()
)
_workflow_stack: contextvars.ContextVar[tuple[Mapping[str, Any], ...]] = contextvars.ContextVar(
    "botoflowx_workflow_options", default=()
)
# For the engine's per-activity-call paths: ``activity_options_stack.get()`` is empty when
# no block is open, which is activity_options_open() without a Python call.
activity_options_stack = _activity_stack


def _validate(kind: str, values: dict[str, Any]) -> dict[str, Any]:
    # Fail at the `with` line, where the mistake is, not later inside the engine.
    for key, value in values.items():
        if key in _DURATIONS:
            format_duration(value, f"{kind}({key}=...)")
        elif key == "task_priority":
            format_priority(value, f"{kind}(task_priority=...)")
        elif key in ("task_list", "version", "name", "workflow_id"):
            if not isinstance(value, str) or not value:
                raise TypeError(f"{kind}({key}=...) must be a non-empty string, got {value!r}")
        elif key == "child_policy" and value not in _CHILD_POLICIES:
            raise ValueError(
                f"{kind}(child_policy=...) must be one of {sorted(_CHILD_POLICIES)}, got {value!r}"
            )
        elif key == "tag_list":
            if isinstance(value, str) or not all(isinstance(t, str) for t in value):
                raise TypeError(f"{kind}(tag_list=...) must be a list of strings, got {value!r}")
            if len(value) > 5:
                raise ValueError(f"{kind}(tag_list=...) has {len(value)} tags; SWF allows 5")
            values[key] = list(value)
        elif key == "retry":
            # Imported here: the retry module imports the workflow loop and futures.
            from botoflowx.workflow._retry import check_strategy

            check_strategy(value, kind)
    return values


class _OptionsBlock:
    _stack: contextvars.ContextVar[tuple[Mapping[str, Any], ...]]

    def __init__(self, overrides: dict[str, Any]) -> None:
        self.overrides: Mapping[str, Any] = {k: v for k, v in overrides.items() if v is not None}
        self._tokens: list[contextvars.Token[tuple[Mapping[str, Any], ...]]] = []

    def __enter__(self) -> _OptionsBlock:
        self._tokens.append(self._stack.set((*self._stack.get(), self.overrides)))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stack.reset(self._tokens.pop())

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.overrides.items())
        return f"{type(self).__name__}({fields})"


class activity_options(_OptionsBlock):
    """Override activity options for the activities scheduled inside the block.

    Nested blocks merge: an inner block overrides the outer one field by field. Options
    left as None are not overridden. Example::

        with activity_options(task_list="gpu-hosts", start_to_close_timeout=5 * MINUTES):
            result = yield Acts.render(frame)
    """

    _stack = _activity_stack

    def __init__(
        self,
        *,
        task_list: str | None = None,
        version: str | None = None,
        name: str | None = None,
        heartbeat_timeout: float | None = None,
        schedule_to_start_timeout: float | None = None,
        start_to_close_timeout: float | None = None,
        schedule_to_close_timeout: float | None = None,
        task_priority: int | None = None,
        retry: Any = None,
    ) -> None:
        """Record the overrides (validated here; applied when the block is entered).

        ``retry`` (a ``RetryPolicy`` or ``ActivityRetrying``) replaces the retry strategy
        of the activities called in the block.
        """
        values = {k: v for k, v in locals().items() if k in ACTIVITY_OPTION_FIELDS}
        super().__init__(
            _validate("activity_options", {k: v for k, v in values.items() if v is not None})
        )


class workflow_options(_OptionsBlock):
    """Override options of the workflows started inside the block.

    Applies to ``StartWorkflowExecution`` in a ``workflow_starter`` block, and to child
    workflows and continue-as-new inside workflow code. Nested blocks merge field by field.
    """

    _stack = _workflow_stack

    def __init__(
        self,
        *,
        task_list: str | None = None,
        workflow_id: str | None = None,
        version: str | None = None,
        name: str | None = None,
        execution_start_to_close_timeout: float | None = None,
        task_start_to_close_timeout: float | None = None,
        child_policy: str | None = None,
        tag_list: list[str] | None = None,
        task_priority: int | None = None,
        data_converter: Any = None,
    ) -> None:
        """Record the overrides (validated here; applied when the block is entered)."""
        values = {k: v for k, v in locals().items() if k in WORKFLOW_OPTION_FIELDS}
        super().__init__(
            _validate("workflow_options", {k: v for k, v in values.items() if v is not None})
        )


def _merged(stack: tuple[Mapping[str, Any], ...]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for overrides in stack:
        merged.update(overrides)
    return merged


def activity_options_open() -> bool:
    """Return True when an ``activity_options`` block is open (cheaper than merging them)."""
    return bool(_activity_stack.get())


def current_activity_options() -> dict[str, Any]:
    """Return the merged overrides of the open ``activity_options`` blocks (a new dict)."""
    return _merged(_activity_stack.get())


def current_workflow_options() -> dict[str, Any]:
    """Return the merged overrides of the open ``workflow_options`` blocks (a new dict).

    Keys are the ``workflow_options`` parameter names; only fields that were set appear.
    """
    return _merged(_workflow_stack.get())
