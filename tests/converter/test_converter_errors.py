"""Errors for values that cannot be encoded name the type, the path, the payload and the fix."""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import enum
import threading
from typing import Any

import pytest
from converter_support import Point, make_converter

from botoflowx.converter import ConversionError, JSONDataConverter, TypeRegistry


class Widget:
    """Never registered."""


@dataclasses.dataclass
class Unregistered:
    value: Any


class Mood(enum.Enum):
    HAPPY = 1


def encode_error(value: Any, context: str = "") -> ConversionError:
    with pytest.raises(ConversionError) as info:
        make_converter().dumps(value, context=context)
    return info.value


def test_message_names_type_path_context_and_fix() -> None:
    error = make_converter().dumps_input
    with pytest.raises(ConversionError) as info:
        error(["a", {"items": [1, 2, 3, Widget()]}], {}, context="input of activity 'Acts.process'")
    exc = info.value
    assert exc.path == "args[1]['items'][3]"
    assert exc.context == "input of activity 'Acts.process'"
    assert exc.type_name == f"{__name__}.Widget"
    message = str(exc)
    assert f"{__name__}.Widget" in message
    assert "args[1]['items'][3]" in message
    assert "input of activity 'Acts.process'" in message
    assert "register_type(Widget, encode=..., decode=...)" in message


def test_kwargs_paths() -> None:
    with pytest.raises(ConversionError) as info:
        make_converter().dumps_input([], {"when": [Widget()]})
    assert info.value.path == "kwargs['when'][0]"


@pytest.mark.parametrize(
    ("value", "path"),
    [
        (Widget(), "value"),
        ([1, (2, Widget())], "value[1][1]"),
        ({"a": {1: Widget()}}, "value['a'][1]"),
        ({Widget(): 1}, "value.keys()[0]"),
        ({1, frozenset({Widget()})}, None),  # set order is not defined; the type is
        (Point(1, [Widget()]), "value.y[0]"),
        ([ValueError("x")] * 2 + [Widget()], "value[2]"),
    ],
)
def test_paths(value: Any, path: str | None) -> None:
    exc = encode_error(value)
    assert exc.type_name == f"{__name__}.Widget"
    if path is not None:
        assert exc.path == path, str(exc)
        assert f" at {path}" in str(exc)


def test_unregistered_dataclass_and_enum_get_the_short_advice() -> None:
    for value in (Unregistered(1), Mood.HAPPY):
        message = str(encode_error(value))
        assert f"register_type({type(value).__qualname__})" in message
        assert "need nothing else" in message


def test_builtin_subclasses_are_not_silently_flattened() -> None:
    for value in (
        collections.OrderedDict(a=1),
        collections.defaultdict(list),
        collections.Counter(),
    ):
        message = str(encode_error(value))
        assert "subclasses a builtin type" in message, message


def test_code_objects_are_refused() -> None:
    for value in (len, Widget, threading, lambda: 1, make_converter().dumps):
        assert "payloads are data, never code" in str(encode_error(value))


def test_circular_references_are_reported_not_crashing() -> None:
    loop: list[Any] = []
    loop.append(loop)
    message = str(encode_error({"loop": loop}, context="result of activity 'A.b'"))
    assert "circular reference" in message and "result of activity 'A.b'" in message
    assert "levels>..." in message  # the path is elided, not 250 segments long


def test_too_deep_for_json_is_reported() -> None:
    deep: Any = 1
    for _ in range(200):
        deep = (deep,)
    assert "nests too deeply" in str(encode_error(deep))


def test_tzinfo_without_offset_is_refused() -> None:
    class NoOffset(dt.tzinfo):
        def utcoffset(self, when: Any) -> None:
            return None

    message = str(encode_error(dt.time(1, tzinfo=NoOffset())))
    assert "gives no UTC offset" in message


def test_failing_encode_callable_is_reported() -> None:
    registry = TypeRegistry()

    def broken(obj: Widget) -> Any:
        raise RuntimeError("boom")

    registry.register(Widget, "w", encode=broken, decode=lambda v: Widget())
    with pytest.raises(ConversionError, match="encode callable registered for 'w' raised"):
        JSONDataConverter(registry).dumps([Widget()])


def test_decode_errors_name_the_path_and_context() -> None:
    converter = make_converter()
    text = '[1, {"when": {"__bfx__": "date", "v": "yesterday"}}]'
    with pytest.raises(ConversionError) as info:
        converter.loads(text, context="signal 'go' input")
    assert info.value.path == "payload[1]['when']"
    assert "malformed 'date' object" in str(info.value)
    assert "signal 'go' input" in str(info.value)


@pytest.mark.parametrize(
    "tagged",
    [
        '{"__bfx__": "tuple", "v": [1], "extra": 2}',
        '{"__bfx__": 5, "v": 1}',
        '{"__bfx__": "int", "v": "12g"}',
        '{"__bfx__": "float", "v": "NaN"}',
        '{"__bfx__": "bytes", "v": "***"}',
        '{"__bfx__": "decimal", "v": "1_000"}',
        '{"__bfx__": "decimal", "v": " 1"}',
        '{"__bfx__": "set", "v": [[1]]}',
        '{"__bfx__": "dict", "v": [[1]]}',
        '{"__bfx__": "dict", "v": [[[1], 2]]}',
        '{"__bfx__": "timedelta", "v": [1, 2]}',
        '{"__bfx__": "timedelta", "v": [1e999999, 0, 0]}',
        '{"__bfx__": "timedelta", "v": [1000000000, 0, 0]}',
        '{"__bfx__": "datetime", "v": ["2024-01-01T00:00:00", {"fold": 2}]}',
        '{"__bfx__": "datetime", "v": ["2024-01-01T00:00:00", {"name": "X"}]}',
        '{"__bfx__": "datetime", "v": ["2024-01-01T00:00:00", {"offset": 1.5}]}',
        '{"__bfx__": "datetime", "v": ["2024-01-01T00:00:00", {"offset": 86400000000}]}',
        '{"__bfx__": "datetime", "v": ["2024-01-01T00:00:00", {"zone": "UTC", "offset": 1}]}',
        '{"__bfx__": "exc", "v": {"type": "ValueError"}}',
        '{"__bfx__": "obj", "v": ["test.Color", "purple"]}',
        '{"__bfx__": "obj", "v": ["test.Point", {}]}',
    ],
)
def test_malformed_tagged_objects_are_conversion_errors(tagged: str) -> None:
    with pytest.raises(ConversionError):
        make_converter().loads(tagged)
