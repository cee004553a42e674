"""Request validation compiled once from botocore's own SWF service model."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from botocore.loaders import Loader

from botoflowx.server._faults import ValidationException

__all__ = ["RequestValidator", "default_validator"]

# One check: (value, path, errors) -> None. It appends one message per violation
# to ``errors`` and never raises, so every error of a request is reported at once,
# as SWF does ("2 validation errors detected: ...").
Check = Callable[[Any, str, list[str]], None]

_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)

# Values are quoted in messages; a 32 KB payload should not come back verbatim.
_MAX_RENDERED_VALUE = 256

# SWF's rule for identifiers, stated in the member documentation of the service
# model: no ':' '/' '|' and no C0/C1 control characters, and not the literal "arn".
_FORBIDDEN_NAME_CHARS = re.compile("[:/|\u0000-\u001f\u007f-\u009f]")
_NAME_RULE_MARKER = "must not contain a <code>:</code>"
_WHITESPACE_RULE_MARKER = "must not start or end with whitespace"


def _render(value: Any) -> str:
    """Render a value the way Coral quotes it in a validation message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, list):
        text = "[" + ", ".join(_render_item(v) for v in value) + "]"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k}={_render_item(v)}" for k, v in value.items()) + "}"
    else:
        text = str(value)
    if len(text) > _MAX_RENDERED_VALUE:
        text = text[:_MAX_RENDERED_VALUE] + "..."
    return f"'{text}'"


def _render_item(value: Any) -> str:
    return "null" if value is None else str(value)


def _fail(errors: list[str], value: Any, path: str, constraint: str) -> None:
    errors.append(f"Value {_render(value)} at '{path}' failed to satisfy constraint: {constraint}")


def _string_check(shape: Mapping[str, Any], name_rule: bool, whitespace_rule: bool) -> Check:
    min_len: int | None = shape.get("min")
    max_len: int | None = shape.get("max")
    enum: frozenset[str] | None = frozenset(shape["enum"]) if "enum" in shape else None
    enum_text = "[" + ", ".join(shape["enum"]) + "]" if "enum" in shape else ""

    def check(value: Any, path: str, errors: list[str]) -> None:
        if type(value) is not str:
            _fail(errors, value, path, "Member must be a string")
            return
        length = len(value)
        if min_len is not None and length < min_len:
            _fail(
                errors, value, path, f"Member must have length greater than or equal to {min_len}"
            )
        if max_len is not None and length > max_len:
            _fail(errors, value, path, f"Member must have length less than or equal to {max_len}")
        if enum is not None and value not in enum:
            _fail(errors, value, path, f"Member must satisfy enum value set: {enum_text}")
        if name_rule and value:
            if _FORBIDDEN_NAME_CHARS.search(value) is not None:
                _fail(
                    errors,
                    value,
                    path,
                    "Member must not contain ':', '/', '|' or control characters",
                )
            elif value == "arn":
                _fail(errors, value, path, "Member must not be the literal string 'arn'")
        if whitespace_rule and value and value != value.strip():
            _fail(errors, value, path, "Member must not start or end with whitespace")

    return check


def _number_check(shape: Mapping[str, Any], bounds: tuple[int, int]) -> Check:
    low = max(shape.get("min", bounds[0]), bounds[0])
    high = min(shape.get("max", bounds[1]), bounds[1])

    def check(value: Any, path: str, errors: list[str]) -> None:
        if type(value) is not int:
            _fail(errors, value, path, "Member must be an integer")
            return
        if value < low:
            _fail(errors, value, path, f"Member must have value greater than or equal to {low}")
        elif value > high:
            _fail(errors, value, path, f"Member must have value less than or equal to {high}")

    return check


def _boolean_check(value: Any, path: str, errors: list[str]) -> None:
    if type(value) is not bool:
        _fail(errors, value, path, "Member must be a boolean")


def _timestamp_check(value: Any, path: str, errors: list[str]) -> None:
    # botocore sends epoch seconds as an integer; other clients send floats.
    if type(value) is not int and type(value) is not float:
        _fail(errors, value, path, "Member must be a timestamp in epoch seconds")


class _Compiler:
    """Turns the model's shapes into checks, memoized per (shape, rule variant)."""

    def __init__(self, shapes: Mapping[str, Mapping[str, Any]]) -> None:
        self._shapes = shapes
        self._memo: dict[tuple[str, bool, bool], Check] = {}

    def compile(self, shape_name: str, name_rule: bool = False, ws_rule: bool = False) -> Check:
        key = (shape_name, name_rule, ws_rule)
        check = self._memo.get(key)
        if check is not None:
            return check
        shape = self._shapes[shape_name]
        kind = shape["type"]
        if kind == "structure":
            # Register a forwarder first so a recursive shape cannot loop forever.
            slot: list[Check] = []
            self._memo[key] = lambda v, p, e: slot[0](v, p, e)
            check = self._structure(shape, name_rule, ws_rule)
            slot.append(check)
        elif kind == "string":
            check = _string_check(shape, name_rule, ws_rule)
        elif kind == "integer":
            check = _number_check(shape, _INT32)
        elif kind == "long":
            check = _number_check(shape, _INT64)
        elif kind == "boolean":
            check = _boolean_check
        elif kind == "timestamp":
            check = _timestamp_check
        elif kind == "list":
            check = self._list(shape)
        else:  # pragma: no cover - the SWF model has no other shape types
            raise ValueError(f"unsupported shape type {kind!r} for {shape_name}")
        self._memo[key] = check
        return check

    def _structure(self, shape: Mapping[str, Any], name_rule: bool, ws_rule: bool) -> Check:
        required = frozenset(shape.get("required", ()))
        members: list[tuple[str, Check, bool]] = []
        for member_name, member in shape.get("members", {}).items():
            doc = member.get("documentation", "")
            member_name_rule = _NAME_RULE_MARKER in doc
            member_ws_rule = _WHITESPACE_RULE_MARKER in doc
            # On a TaskList member the documented rule is passed down to its "name".
            member_check = self.compile(member["shape"], member_name_rule, member_ws_rule)
            members.append((member_name, member_check, member_name in required))
        # A structure-level rule (propagated from the referencing member) lands on "name".
        if name_rule or ws_rule:
            members = [
                (n, self.compile(shape["members"][n]["shape"], name_rule, ws_rule), r)
                if n == "name"
                else (n, c, r)
                for n, c, r in members
            ]
        table = {n: c for n, c, _ in members}
        required_names = tuple(n for n, _, r in members if r)

        # Walk the keys that are present rather than every member of the shape: a
        # Decision has 14 members of which a request sets two.
        def check(value: Any, path: str, errors: list[str]) -> None:
            if type(value) is not dict:
                _fail(errors, value, path, "Member must be a structure")
                return
            prefix = f"{path}." if path else ""
            for member_name in required_names:
                if value.get(member_name) is None:
                    _fail(errors, None, prefix + member_name, "Member must not be null")
            for member_name, member_value in value.items():
                member_check = table.get(member_name)
                # Unknown members are ignored and an explicit null means "absent".
                if member_check is not None and member_value is not None:
                    member_check(member_value, prefix + member_name, errors)

        return check

    def _list(self, shape: Mapping[str, Any]) -> Check:
        item_check = self.compile(shape["member"]["shape"])
        min_len: int | None = shape.get("min")
        max_len: int | None = shape.get("max")

        def check(value: Any, path: str, errors: list[str]) -> None:
            if type(value) is not list:
                _fail(errors, value, path, "Member must be a list")
                return
            length = len(value)
            if min_len is not None and length < min_len:
                _fail(
                    errors,
                    value,
                    path,
                    f"Member must have length greater than or equal to {min_len}",
                )
            if max_len is not None and length > max_len:
                _fail(
                    errors, value, path, f"Member must have length less than or equal to {max_len}"
                )
            for index, item in enumerate(value, 1):
                item_path = f"{path}.{index}.member"
                if item is None:
                    _fail(errors, None, item_path, "Member must not be null")
                else:
                    item_check(item, item_path, errors)

        return check


class RequestValidator:
    """Validates SWF request bodies against the service model.

    Every operation's input shape is compiled once into a tree of closures; a
    call then costs one dict lookup per present or required member. Unknown
    members are ignored, as SWF ignores them.
    """

    def __init__(self, model: Mapping[str, Any]) -> None:
        """Compile the validators.

        Args:
            model: the raw ``service-2`` JSON of SWF, as botocore's loader returns it.
        """
        compiler = _Compiler(model["shapes"])
        self._checks: dict[str, Check] = {}
        self._has_output: dict[str, bool] = {}
        for op_name, op in model["operations"].items():
            self._has_output[op_name] = "output" in op
            if "input" in op:
                self._checks[op_name] = compiler.compile(op["input"]["shape"])
            else:  # every SWF operation has an input today; stay correct if one does not
                self._checks[op_name] = _accept_any
        self.operations: frozenset[str] = frozenset(self._checks)

    def has_output(self, operation: str) -> bool:
        """Return whether ``operation`` has an output shape (else its response body is empty)."""
        return self._has_output[operation]

    def errors(self, operation: str, params: Mapping[str, Any]) -> list[str]:
        """Return the list of violation messages for ``params`` (empty when valid).

        Raises:
            KeyError: ``operation`` is not an SWF operation.
        """
        errors: list[str] = []
        self._checks[operation](params, "", errors)
        return errors

    def validate(self, operation: str, params: Mapping[str, Any]) -> None:
        """Check ``params`` for ``operation``.

        Raises:
            ValidationException: with SWF's message listing every violation.
            KeyError: ``operation`` is not an SWF operation.
        """
        errors: list[str] = []
        self._checks[operation](params, "", errors)
        if errors:
            raise ValidationException(format_errors(errors))


def _accept_any(value: Any, path: str, errors: list[str]) -> None:
    return None


def format_errors(errors: list[str]) -> str:
    """Join violation messages in SWF's format ("N validation errors detected: a; b")."""
    count = len(errors)
    noun = "validation error" if count == 1 else "validation errors"
    return f"{count} {noun} detected: " + "; ".join(errors)


# Built at import: the server validates from its first request, and a model that
# cannot be compiled should fail loudly at start-up rather than on a live call.
_DEFAULT = RequestValidator(Loader().load_service_model("swf", "service-2"))


def default_validator() -> RequestValidator:
    """Return the process-wide validator built from the installed botocore's SWF model."""
    return _DEFAULT
