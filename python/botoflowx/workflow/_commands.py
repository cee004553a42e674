"""Commands (SWF decisions tagged for replay matching) and the source location of workflow code."""

from __future__ import annotations

import os
import sys
from types import CodeType, FrameType
from typing import Any, Protocol

import botoflowx

__all__ = [
    "AttributesSource",
    "Command",
    "DeferredCommand",
    "caller_location",
    "frame_location",
    "function_location",
    "make_command",
]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(botoflowx.__file__)) + os.sep


class Command:
    """One decision the workflow code produced, with what the replay core matches it by.

    Immutable once made. The SWF decision dict is built on first access: a replay
    re-makes every command of the history and the replay core matches and drops all
    but the new ones, so most commands never need it.

    Attributes:
        decision_type: the SWF decision type, e.g. ``"ScheduleActivityTask"``.
        key: activityId, timerId, workflowId, control or markerName; ``""`` for closes.
        name: activity type name, child workflow type name or signal name; else ``""``.
        location: ``"file.py:42 in method"`` of the workflow code that made it.
        replay_tuple: ``(decision_type, key, name, location)``, what
            ``Replayer.complete_activation`` takes.
    """

    # The four matched fields live only in replay_tuple (read through the properties
    # below): a full replay makes a command per decision of the history, and reads them
    # only for the few it sends.
    __slots__ = ("_attributes", "_decision", "replay_tuple")

    def __init__(
        self, decision_type: str, key: str, name: str, location: str, attributes: dict[str, Any]
    ) -> None:
        """Make a command whose decision carries ``attributes`` (None values left out)."""
        self.replay_tuple = (decision_type, key, name, location)
        self._attributes: dict[str, Any] | None = attributes
        self._decision: dict[str, Any] | None = None

    @property
    def decision_type(self) -> str:
        """The SWF decision type."""
        return self.replay_tuple[0]

    @property
    def key(self) -> str:
        """What the replay core matches the command by (see the class docstring)."""
        return self.replay_tuple[1]

    @property
    def name(self) -> str:
        """The activity, child workflow or signal name; else ``""``."""
        return self.replay_tuple[2]

    @property
    def location(self) -> str:
        """Where the workflow code made the command."""
        return self.replay_tuple[3]

    def _make_attributes(self) -> dict[str, Any]:
        """The decision's attributes without None values (made once, by :attr:`decision`)."""
        assert self._attributes is not None
        attributes = {k: v for k, v in self._attributes.items() if v is not None}
        self._attributes = None
        return attributes

    @property
    def decision(self) -> dict[str, Any]:
        """The full SWF decision dict."""
        decision = self._decision
        if decision is None:
            decision_type = self.replay_tuple[0]
            decision = self._decision = {
                "decisionType": decision_type,
                _attributes_key(decision_type): self._make_attributes(),
            }
        return decision

    def as_replay_tuple(self) -> tuple[str, str, str, str]:
        """Return ``(decision_type, key, name, location)`` for ``Replayer.complete_activation``."""
        return self.replay_tuple

    def __eq__(self, other: object) -> bool:
        # As the dataclass this was: the decision does not take part.
        if not isinstance(other, Command):
            return NotImplemented
        return self.replay_tuple == other.replay_tuple

    def __hash__(self) -> int:
        return hash(self.replay_tuple)

    def __repr__(self) -> str:
        return (
            f"Command(decision_type={self.decision_type!r}, key={self.key!r}, "
            f"name={self.name!r}, location={self.location!r})"
        )


class AttributesSource(Protocol):
    """Makes the decision attributes of a :class:`DeferredCommand` from its key and payload."""

    def attributes(self, key: str, payload: str) -> dict[str, Any]:
        """Return the attributes, without None values: the decision holds them as they are."""


class DeferredCommand(Command):
    """A Command whose attributes are made from ``source`` and ``payload`` when first needed.

    For the commands a workflow makes by the thousand (ScheduleActivityTask): the
    per-call part is only the key and the encoded input, and the decision is made only
    if the command is sent.
    """

    __slots__ = ("_payload", "_source")

    def __init__(
        self,
        decision_type: str,
        key: str,
        name: str,
        location: str,
        source: AttributesSource,
        payload: str,
    ) -> None:
        """Make the command; ``source.attributes(key, payload)`` makes its attributes."""
        # Command.__init__ inlined: one call less per command.
        self.replay_tuple = (decision_type, key, name, location)
        self._attributes = None
        self._decision = None
        self._source: AttributesSource | None = source
        self._payload = payload

    def _make_attributes(self) -> dict[str, Any]:
        # The source leaves None values out itself: no filtering pass here.
        assert self._source is not None
        attributes = self._source.attributes(self.replay_tuple[1], self._payload)
        self._source = None
        return attributes


# "ScheduleActivityTask" -> "scheduleActivityTaskDecisionAttributes"; a dozen SWF types.
_ATTRIBUTES_KEYS: dict[str, str] = {}


def _attributes_key(decision_type: str) -> str:
    attr_key = _ATTRIBUTES_KEYS.get(decision_type)
    if attr_key is None:
        attr_key = decision_type[0].lower() + decision_type[1:] + "DecisionAttributes"
        _ATTRIBUTES_KEYS[decision_type] = attr_key
    return attr_key


def make_command(
    decision_type: str, attributes: dict[str, Any], *, key: str = "", name: str = "", location: str
) -> Command:
    """Build a Command whose decision carries ``attributes`` (None values left out)."""
    return Command(decision_type, key, name, location, attributes)


# Per call site, (id of the code object, instruction offset): the code object and its
# "file.py:LINE in function". Workflow code makes its commands from a handful of call
# sites and a full replay re-makes every command of the history, so the string is made
# once per site. The key avoids what costs most here: hashing a code object and
# computing f_lineno both take time that grows with the function. The entry holds the
# code object, so its id cannot be reused while the entry exists. Bounded by the number
# of call sites in loaded workflow code.
_LOCATIONS: dict[tuple[int, int], tuple[CodeType, str]] = {}
# For callers that hold a frame already: a hit in ``call_site_locations`` is that exact
# call site (the entry pins its code object) and lies outside botoflowx.
call_site_locations = _LOCATIONS
# Per source file: whether it belongs to botoflowx (a dict lookup beats str.startswith).
_FRAMEWORK_FILES: dict[str, bool] = {}


def caller_location() -> str:
    """Return ``"file.py:LINE in function"`` of the innermost frame outside botoflowx.

    Walking frames is cheap (no source is read); it runs once per command.
    """
    return frame_location(sys._getframe(1))


def frame_location(frame: FrameType | None) -> str:
    """Return ``"file.py:LINE in function"`` of ``frame`` or its nearest caller outside botoflowx.

    ``""`` when every frame from ``frame`` up belongs to botoflowx.
    """
    framework = _FRAMEWORK_FILES
    while frame is not None:
        code = frame.f_code
        filename = code.co_filename
        inside = framework.get(filename)
        if inside is None:
            inside = framework[filename] = filename.startswith(_PACKAGE_DIR)
        if not inside:
            break
        frame = frame.f_back
    if frame is None:
        return ""
    key = (id(code), frame.f_lasti)
    entry = _LOCATIONS.get(key)
    if entry is None:
        location = f"{os.path.basename(filename)}:{frame.f_lineno} in {code.co_name}"
        entry = _LOCATIONS[key] = (code, location)
    return entry[1]


def function_location(func: Any) -> str:
    """Return ``"file.py:LINE in name"`` of a function's definition (``""`` if unknown)."""
    code = getattr(func, "__code__", None)
    if code is None:
        return ""
    return f"{os.path.basename(code.co_filename)}:{code.co_firstlineno} in {code.co_name}"
