"""Commands (SWF decisions tagged for replay matching) and the source location of workflow code."""

from __future__ import annotations

import dataclasses
import os
import sys
from typing import Any

import botoflowx

__all__ = ["Command", "caller_location", "function_location", "make_command"]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(botoflowx.__file__)) + os.sep


@dataclasses.dataclass(frozen=True, slots=True)
class Command:
    """One decision the workflow code produced, with what the replay core matches it by.

    Attributes:
        decision_type: the SWF decision type, e.g. ``"ScheduleActivityTask"``.
        key: activityId, timerId, workflowId, control or markerName; ``""`` for closes.
        name: activity type name, child workflow type name or signal name; else ``""``.
        location: ``"file.py:42 in method"`` of the workflow code that made it.
        decision: the full SWF decision dict.
    """

    decision_type: str
    key: str
    name: str
    location: str
    decision: dict[str, Any] = dataclasses.field(compare=False)

    def as_replay_tuple(self) -> tuple[str, str, str, str]:
        """Return ``(decision_type, key, name, location)`` for ``Replayer.complete_activation``."""
        return (self.decision_type, self.key, self.name, self.location)


def make_command(
    decision_type: str, attributes: dict[str, Any], *, key: str = "", name: str = "", location: str
) -> Command:
    """Build a Command whose decision carries ``attributes`` (None values left out)."""
    attr_key = decision_type[0].lower() + decision_type[1:] + "DecisionAttributes"
    decision = {
        "decisionType": decision_type,
        attr_key: {k: v for k, v in attributes.items() if v is not None},
    }
    return Command(decision_type, key, name, location, decision)


def caller_location() -> str:
    """Return ``"file.py:LINE in function"`` of the innermost frame outside botoflowx.

    Walking frames is cheap (no source is read); it runs once per command.
    """
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return ""
    code = frame.f_code
    return f"{os.path.basename(code.co_filename)}:{frame.f_lineno} in {code.co_name}"


def function_location(func: Any) -> str:
    """Return ``"file.py:LINE in name"`` of a function's definition (``""`` if unknown)."""
    code = getattr(func, "__code__", None)
    if code is None:
        return ""
    return f"{os.path.basename(code.co_filename)}:{code.co_firstlineno} in {code.co_name}"
