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


# "ScheduleActivityTask" -> "scheduleActivityTaskDecisionAttributes"; a dozen SWF types.
_ATTRIBUTES_KEYS: dict[str, str] = {}


def make_command(
    decision_type: str, attributes: dict[str, Any], *, key: str = "", name: str = "", location: str
) -> Command:
    """Build a Command whose decision carries ``attributes`` (None values left out)."""
    attr_key = _ATTRIBUTES_KEYS.get(decision_type)
    if attr_key is None:
        attr_key = decision_type[0].lower() + decision_type[1:] + "DecisionAttributes"
        _ATTRIBUTES_KEYS[decision_type] = attr_key
    decision = {
        "decisionType": decision_type,
        attr_key: {k: v for k, v in attributes.items() if v is not None},
    }
    return Command(decision_type, key, name, location, decision)


# "file.py:LINE in function" per (code object, line): workflow code makes its commands
# from a handful of call sites, and a full replay re-makes every command of the history,
# so formatting the string once per site keeps the per-command cost to the frame walk.
# Bounded by the number of distinct call sites in loaded workflow code.
_LOCATIONS: dict[tuple[Any, int], str] = {}
# Per code object: whether it belongs to botoflowx (a dict lookup beats str.startswith).
_FRAMEWORK_CODE: dict[Any, bool] = {}


def caller_location() -> str:
    """Return ``"file.py:LINE in function"`` of the innermost frame outside botoflowx.

    Walking frames is cheap (no source is read); it runs once per command.
    """
    frame = sys._getframe(1)
    framework = _FRAMEWORK_CODE
    while frame is not None:
        code = frame.f_code
        inside = framework.get(code)
        if inside is None:
            inside = framework[code] = code.co_filename.startswith(_PACKAGE_DIR)
        if not inside:
            break
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return ""
    key = (code, frame.f_lineno)
    location = _LOCATIONS.get(key)
    if location is None:
        location = _LOCATIONS[key] = (
            f"{os.path.basename(code.co_filename)}:{key[1]} in {code.co_name}"
        )
    return location


def function_location(func: Any) -> str:
    """Return ``"file.py:LINE in name"`` of a function's definition (``""`` if unknown)."""
    code = getattr(func, "__code__", None)
    if code is None:
        return ""
    return f"{os.path.basename(code.co_filename)}:{code.co_firstlineno} in {code.co_name}"
