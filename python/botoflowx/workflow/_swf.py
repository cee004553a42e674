"""Small helpers that turn Python option values into SWF request fields."""

from __future__ import annotations

import math
from typing import Any

from botoflowx.constants import MAX_DATA_SIZE, USE_WORKER_TASK_LIST
from botoflowx.exceptions import PayloadTooLargeError

__all__ = [
    "check_payload",
    "format_duration",
    "format_priority",
    "task_list_field",
    "truncate",
]


def format_duration(value: Any, option: str) -> str | None:
    """Return SWF's duration string for ``value`` seconds (None stays None: "not set").

    Fractional seconds round UP, since a timeout shorter than asked for is the surprising
    direction. The string ``"NONE"`` (SWF's "no limit") passes through.

    Raises:
        TypeError: ``value`` is not a number, None or "NONE".
        ValueError: ``value`` is negative.
    """
    if value is None:
        return None
    # Fast path for the common case (a non-negative int), taken for every timeout of
    # every command a replay re-makes; bool is excluded by the exact type check.
    if type(value) is int and value >= 0:
        return str(value)
    if isinstance(value, str):
        if value == "NONE":
            return value
        raise TypeError(f"{option} must be a number of seconds or 'NONE', got {value!r}")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{option} must be a number of seconds, got {value!r}")
    if value < 0 or math.isnan(value):
        raise ValueError(f"{option} must be zero or more seconds, got {value!r}")
    return str(math.ceil(value))


def format_priority(value: Any, option: str = "task_priority") -> str | None:
    """Return SWF's taskPriority string (an integer) for ``value`` (None stays None).

    Raises:
        TypeError: ``value`` is not an integer or an integer string.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError(f"{option} must be an integer, got {value!r}")
    try:
        return str(int(value))
    except (TypeError, ValueError):
        raise TypeError(f"{option} must be an integer, got {value!r}") from None


def task_list_field(value: Any, worker_task_list: str | None = None) -> dict[str, str] | None:
    """Return ``{"name": ...}`` for a task list option, or None when it is unset.

    ``USE_WORKER_TASK_LIST`` resolves to ``worker_task_list`` when one is given, else it is
    left out (SWF then uses the type's registered default).
    """
    if value is None:
        return None
    if value is USE_WORKER_TASK_LIST:
        return {"name": worker_task_list} if worker_task_list else None
    if not isinstance(value, str) or not value:
        raise TypeError(f"task_list must be a non-empty string, got {value!r}")
    return {"name": value}


def truncate(text: str, limit: int) -> str:
    """Return ``text`` cut to ``limit`` characters (SWF rejects longer values)."""
    return text if len(text) <= limit else text[:limit]


def check_payload(text: str, field: str, what: str = "", limit: int = MAX_DATA_SIZE) -> str:
    """Return ``text`` if it fits SWF's limit for ``field``.

    Raises:
        PayloadTooLargeError: the text is longer than ``limit`` characters.
    """
    if len(text) > limit:
        raise PayloadTooLargeError(field, len(text), limit, what)
    return text
