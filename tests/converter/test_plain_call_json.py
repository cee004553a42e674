"""The call-input fast path: ``plain_call_json`` writes what the default converter writes."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botoflowx._converter_codec import TAG
from botoflowx._replay import plain_call_json
from botoflowx.converter import JSONDataConverter

CONVERTER = JSONDataConverter()

# The scalars the fast path writes itself: no floats (the converter's path spells them).
plain_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(1 << 63), max_value=(1 << 64) - 1),
    st.text(),
)


def converter_text(args: Any, kwargs: dict[str, Any]) -> str:
    return CONVERTER.dumps([[*args], {**kwargs}])


@settings(max_examples=400, deadline=None)
@given(
    st.lists(plain_scalars, max_size=6),
    st.dictionaries(st.text().filter(lambda key: key != TAG), plain_scalars, max_size=4),
)
def test_a_scalar_input_is_written_as_the_converter_writes_it(
    args: list[Any], kwargs: dict[str, Any]
) -> None:
    expected = converter_text(args, kwargs)
    assert plain_call_json(tuple(args), kwargs) == expected
    assert plain_call_json(args, kwargs) == expected


@pytest.mark.parametrize(
    "text",
    ["", "plain", 'quote " and \\ backslash', "\x00\x01\x1f\x7f", "\n\r\t\b\f", "é ß 😀 \u2028"],
)
def test_escapes_and_non_ascii_text_match_the_converter(text: str) -> None:
    assert plain_call_json((text,), {text: text}) == converter_text((text,), {text: text})


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((1.5,), {}),  # floats: the converter's own spelling
        ((1 << 64,), {}),  # wider than 64 bits: tagged
        ((-(1 << 63) - 1,), {}),
        (("\ud800",), {}),  # a lone surrogate: the converter explains it
        (([1, 2],), {}),  # containers
        (((1, 2),), {}),
        ((object(),), {}),
        ((True,), {TAG: 1}),  # the reserved key
        ((), {1: "key is not a str"}),
        ((), {"\udc00": 1}),
    ],
)
def test_anything_but_plain_scalars_is_left_to_the_converter(
    args: tuple[Any, ...], kwargs: dict[Any, Any]
) -> None:
    assert plain_call_json(args, kwargs) is None


class Text(str):
    """A str subclass: the converter may tag it, so the fast path must not write it."""


class Number(int):
    pass


@pytest.mark.parametrize("value", [Text("x"), Number(3)])
def test_subclasses_of_scalars_are_left_to_the_converter(value: Any) -> None:
    assert plain_call_json((value,), {}) is None
    assert plain_call_json((), {"k": value}) is None


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [("not a tuple", {}), ((1,), [("k", 1)]), ((1,), None), ({1}, {})],
)
def test_other_containers_of_arguments_are_left_to_the_converter(args: Any, kwargs: Any) -> None:
    assert plain_call_json(args, kwargs) is None
