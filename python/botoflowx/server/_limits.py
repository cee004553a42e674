"""SWF's quotas and the semantic field checks (durations, priorities) the engine enforces."""

from __future__ import annotations

from typing import Any

from botoflowx.server._faults import ValidationException

__all__ = [
    "DATA_LIMIT",
    "EVENT_LIMIT",
    "HEARTBEAT_DETAILS_LIMIT",
    "MAX_DOMAIN_TAGS",
    "MAX_EXECUTION_SECONDS",
    "MAX_EXECUTION_TAGS",
    "MAX_PAGE_SIZE",
    "MAX_POLLERS_PER_TASK_LIST",
    "MAX_RETENTION_DAYS",
    "OPEN_ACTIVITIES_LIMIT",
    "OPEN_CHILDREN_LIMIT",
    "OPEN_EXECUTIONS_PER_DOMAIN",
    "OPEN_TIMERS_LIMIT",
    "PAGE_TOKEN_LIFETIME",
    "REASON_LIMIT",
    "FieldErrors",
    "page_size",
]

#: Hard cap on events in one run's history; the run is terminated when it is reached.
EVENT_LIMIT = 25_000
OPEN_ACTIVITIES_LIMIT = 1_000
OPEN_TIMERS_LIMIT = 1_000
OPEN_CHILDREN_LIMIT = 1_000
OPEN_EXECUTIONS_PER_DOMAIN = 100_000
MAX_POLLERS_PER_TASK_LIST = 1_000
MAX_EXECUTION_TAGS = 5
MAX_DOMAIN_TAGS = 50
MAX_PAGE_SIZE = 1_000
DATA_LIMIT = 32_768
HEARTBEAT_DETAILS_LIMIT = 2_048
REASON_LIMIT = 256
MAX_RETENTION_DAYS = 90
MAX_EXECUTION_SECONDS = 365 * 24 * 3600
#: SWF documents a 24 hour lifetime for pagination tokens.
PAGE_TOKEN_LIFETIME = 24 * 3600

_INT32_MIN = -(2**31)
_INT32_MAX = 2**31 - 1


def page_size(params: dict[str, Any]) -> int:
    """Return the effective page size: ``maximumPageSize`` or 1000 when absent or 0."""
    size = params.get("maximumPageSize") or MAX_PAGE_SIZE
    return min(int(size), MAX_PAGE_SIZE)


class FieldErrors:
    """Collects field-level validation errors and raises them as one ValidationException.

    SWF reports every broken field of a request at once, as
    ``"N validation error(s) detected: Value 'x' at 'path' failed to satisfy constraint: ..."``.
    """

    def __init__(self) -> None:
        self._errors: list[str] = []

    def add(self, value: Any, path: str, constraint: str) -> None:
        """Record one error: the offending ``value`` at field ``path`` broke ``constraint``."""
        shown = "null" if value is None else f"'{value}'"
        self._errors.append(f"Value {shown} at '{path}' failed to satisfy constraint: {constraint}")

    def __bool__(self) -> bool:
        return bool(self._errors)

    def raise_if_any(self) -> None:
        """Raise the collected errors, if any.

        Raises:
            ValidationException: naming every field at fault.
        """
        if not self._errors:
            return
        n = len(self._errors)
        noun = "error" if n == 1 else "errors"
        raise ValidationException(f"{n} validation {noun} detected: " + "; ".join(self._errors))

    def duration(
        self,
        value: Any,
        path: str,
        *,
        allow_none: bool = True,
        maximum: int | None = None,
    ) -> int | None:
        """Check an SWF duration string and return its seconds (None for ``"NONE"``).

        Args:
            value: the string sent by the client (already known to be a string).
            path: the field's path, used in the error message.
            allow_none: whether ``"NONE"`` (no limit) is accepted for this field.
            maximum: the largest accepted number of seconds, if any.

        Returns:
            The duration in seconds, or None for ``"NONE"`` or after recording an error.
        """
        if value == "NONE" and allow_none:
            return None
        text = str(value)
        if not text.isascii() or not text.isdigit():
            what = "'NONE' or " if allow_none else ""
            self.add(value, path, f"Member must be {what}a non-negative integer number of seconds")
            return None
        seconds = int(text)
        if maximum is not None and seconds > maximum:
            self.add(value, path, f"Member must be less than or equal to {maximum} seconds")
            return None
        return seconds

    def priority(self, value: Any, path: str) -> int:
        """Check a task priority string (a signed 32-bit integer) and return its value."""
        text = str(value).strip()
        body = text[1:] if text[:1] in "+-" else text
        if not body.isascii() or not body.isdigit() or not _INT32_MIN <= int(text) <= _INT32_MAX:
            self.add(value, path, "Member must be an integer between -2147483648 and 2147483647")
            return 0
        return int(text)

    def max_length(self, value: Any, path: str, limit: int) -> None:
        """Check that a string field is at most ``limit`` characters long."""
        if isinstance(value, str) and len(value) > limit:
            self.add(
                value[:64] + "...",
                path,
                f"Member must have length less than or equal to {limit}",
            )
