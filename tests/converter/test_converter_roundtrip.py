"""Property-based round trips: every supported value comes back with the same types and values."""

from __future__ import annotations

import datetime as dt
import decimal
import os
import subprocess
import sys
import uuid
import zoneinfo
from typing import Any

import orjson
import pytest
from converter_support import (
    Color,
    Level,
    Money,
    Order,
    Pair,
    Point,
    assert_same,
    hashables,
    make_converter,
    scalars,
    texts,
    values,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from botoflowx.converter import (
    ConversionError,
    DataConverter,
    JSONDataConverter,
    decode_input,
    default_converter,
    encode_input,
)

CONVERTER = make_converter()
# No example database: the checkout is shared, and failures print their example anyway.
PROPERTY = settings(
    max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def round_trip(value: Any, converter: JSONDataConverter = CONVERTER) -> Any:
    text = converter.dumps(value)
    assert isinstance(text, str)
    return converter.loads(text)


@PROPERTY
@given(values)
def test_any_supported_value_round_trips_exactly(value: Any) -> None:
    assert_same(value, round_trip(value))


@PROPERTY
@given(st.dictionaries(hashables, scalars | st.lists(scalars, max_size=3), max_size=6))
def test_dicts_with_any_hashable_keys_round_trip(value: dict[Any, Any]) -> None:
    assert_same(value, round_trip(value))


@settings(PROPERTY, max_examples=100)
@given(st.lists(values, max_size=4), st.dictionaries(st.text(), values, max_size=3))
def test_call_input_envelope_round_trips(args: list[Any], kwargs: dict[str, Any]) -> None:
    text = CONVERTER.dumps_input(args, kwargs)
    assert text == CONVERTER.dumps([args, kwargs])
    got_args, got_kwargs = CONVERTER.loads_input(text)
    assert_same(args, got_args)
    assert_same(kwargs, got_kwargs)


@PROPERTY
@given(st.lists(scalars, max_size=4), st.dictionaries(texts, scalars, max_size=3))
def test_call_input_of_scalars_encodes_as_the_general_walk_does(
    args: list[Any], kwargs: dict[str, Any]
) -> None:
    # dumps() skips the walk for [args, kwargs] of JSON scalars; dumps_input() always walks.
    assert CONVERTER.dumps([args, kwargs]) == CONVERTER.dumps_input(args, kwargs)
    got_args, got_kwargs = CONVERTER.loads_input(CONVERTER.dumps([args, kwargs]))
    assert_same(args, got_args)
    assert_same(kwargs, got_kwargs)


@PROPERTY
@given(values)
def test_encoding_is_valid_json_and_deterministic(value: Any) -> None:
    text = CONVERTER.dumps(value)
    orjson.loads(text)  # plain JSON any other tool can read
    assert CONVERTER.dumps(CONVERTER.loads(text)) == text


@PROPERTY
@given(st.sets(hashables, max_size=8))
def test_sets_encode_the_same_whatever_the_insertion_order(value: set[Any]) -> None:
    reordered = set(reversed(list(value)))
    assert CONVERTER.dumps(value) == CONVERTER.dumps(reordered)


def test_json_native_values_stay_plain_json() -> None:
    value = {
        "name": "World",
        "count": 3,
        "ratio": 0.5,
        "tags": ["a", "b"],
        "none": None,
        "ok": True,
    }
    assert CONVERTER.dumps(value) == orjson.dumps(value).decode()
    assert CONVERTER.dumps([["World"], {}]) == '[["World"],{}]'


@pytest.mark.parametrize(
    "value",
    [
        2**63 - 1,
        -(2**63),
        2**64 - 1,
        2**64,
        -(2**63) - 1,
        10**100,
        -(2**30000),
        float("nan"),
        float("inf"),
        float("-inf"),
        -0.0,
        5e-324,
        1e16,
        True,
        1,
        1.0,
    ],
    ids=lambda value: type(value).__name__,
)
def test_number_edges(value: Any) -> None:
    assert_same(value, round_trip(value))


def test_dict_keys_that_collide_once_stringified() -> None:
    value = {1: "int", "1": "str", 1.5: "float", "1.5": "str", None: "none", "None": "str"}
    value.update({(1, "1"): "tuple", "[1, '1']": "str", b"1": "bytes", frozenset({1}): "set"})
    assert_same(value, round_trip(value))
    assert_same({True: "bool", "true": "str"}, round_trip({True: "bool", "true": "str"}))


def test_dicts_that_look_like_tagged_objects_are_kept_as_data() -> None:
    for value in (
        {"__bfx__": "tuple", "v": [1, 2]},
        {"__bfx__": "exc", "v": {"type": "os.system"}},
        {"__bfx__": 1},
        [{"a": {"__bfx__": "obj", "v": ["test.Point", {"x": 1}]}}],
    ):
        assert_same(value, round_trip(value))


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(2024, 5, 1, 12, 30, 15, 123456),
        dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc),
        dt.datetime(2024, 5, 1, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))),
        dt.datetime(2024, 5, 1, tzinfo=dt.timezone(dt.timedelta(hours=-3), "BRT")),
        dt.datetime(2024, 5, 1, tzinfo=dt.timezone(dt.timedelta(seconds=1, microseconds=7))),
        # fromisoformat reads this offset as UTC (CPython bug); the encoding must not.
        dt.datetime(2000, 1, 1, tzinfo=dt.timezone(dt.timedelta(microseconds=15))),
        dt.datetime(2000, 1, 1, tzinfo=dt.timezone(-dt.timedelta(microseconds=15), "tiny")),
        dt.time(1, tzinfo=dt.timezone(dt.timedelta(microseconds=-999_999))),
        dt.datetime(2024, 7, 1, 9, tzinfo=zoneinfo.ZoneInfo("Europe/Paris")),
        # The repeated hour when New York leaves summer time: fold picks the offset.
        dt.datetime(2024, 11, 3, 1, 30, fold=0, tzinfo=zoneinfo.ZoneInfo("America/New_York")),
        dt.datetime(2024, 11, 3, 1, 30, fold=1, tzinfo=zoneinfo.ZoneInfo("America/New_York")),
        dt.datetime(2024, 11, 3, 1, 30, fold=1),
        dt.datetime.min,
        dt.datetime.max,
        dt.date(1, 1, 1),
        dt.date(9999, 12, 31),
        dt.time(23, 59, 59, 999999),
        dt.time(8, 0, tzinfo=dt.timezone(dt.timedelta(hours=-8))),
        dt.time(8, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Tokyo")),
        dt.time(8, 0, fold=1),
        dt.timedelta(days=-1, microseconds=1),
        dt.timedelta.max,
        dt.timedelta.min,
    ],
    ids=repr,
)
def test_dates_and_times(value: Any) -> None:
    back = round_trip(value)
    assert_same(value, back)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        assert back.utcoffset() == value.utcoffset()


def test_fold_changes_the_instant_and_survives() -> None:
    zone = zoneinfo.ZoneInfo("America/New_York")
    first = dt.datetime(2024, 11, 3, 1, 30, tzinfo=zone)
    second = first.replace(fold=1)
    assert round_trip(first).timestamp() == first.timestamp()
    assert round_trip(second).timestamp() == second.timestamp() == first.timestamp() + 3600


def test_third_party_tzinfo_keeps_offset_and_name() -> None:
    class Fixed(dt.tzinfo):
        def utcoffset(self, when: Any) -> dt.timedelta:
            return dt.timedelta(hours=2)

        def tzname(self, when: Any) -> str:
            return "XYZ"

        def dst(self, when: Any) -> dt.timedelta:
            return dt.timedelta(0)

    value = dt.datetime(2024, 1, 1, 12, tzinfo=Fixed())
    back = round_trip(value)
    assert type(back.tzinfo) is dt.timezone
    assert back == value and back.tzname() == "XYZ" and back.utcoffset() == value.utcoffset()


@pytest.mark.parametrize(
    "text",
    [
        "NaN",
        "-NaN",
        "sNaN",
        "NaN42",
        "Infinity",
        "-Infinity",
        "-0",
        "0E-7",
        "1E+2",
        "100",
        "1.000",
        "-1.2300E+45",
        "0.1",
        "3.14159265358979323846264338327950288419716939937510",
    ],
)
def test_decimals_keep_sign_digits_and_exponent(text: str) -> None:
    value = decimal.Decimal(text)
    assert_same(value, round_trip(value))


def test_decimal_decoding_ignores_the_thread_context() -> None:
    text = CONVERTER.dumps(decimal.Decimal("3.14159265358979323846264338327950288"))
    with decimal.localcontext() as ctx:
        ctx.prec = 3
        assert str(CONVERTER.loads(text)) == "3.14159265358979323846264338327950288"


def test_strings_with_lone_surrogates() -> None:
    value = {"\udcff": ["a\ud800b", ("\udfff",)], "plain": "é"}
    assert_same(value, round_trip(value))


def test_bytes_uuid_and_collections() -> None:
    value = [
        b"",
        b"\x00\xff" * 10,
        bytearray(b"abc"),
        uuid.UUID(int=0),
        uuid.uuid4(),
        (),
        (1,),
        set(),
        frozenset(),
        {frozenset({1, 2}): (3, 4)},
        [(), [()], {(): set()}],
    ]
    assert_same(value, round_trip(value))


def test_registered_types_round_trip() -> None:
    order = Order("o-1", [Point(1, 2), Pair("a", (1, 2)), Color.GREEN], decimal.Decimal("9.99"))
    value = {
        "order": order,
        "levels": {Level.LOW: Level.HIGH},
        "money": Money(decimal.Decimal("1.50"), "EUR"),
        Point(3, "k"): {Color.RED},
    }
    assert_same(value, round_trip(value))


def test_default_converter_is_a_shared_json_converter() -> None:
    converter = default_converter()
    assert converter is default_converter()
    assert isinstance(converter, JSONDataConverter)
    assert isinstance(converter, DataConverter)
    assert converter.loads(converter.dumps((1, {2}))) == (1, {2})


def test_loads_accepts_bytes() -> None:
    assert round_trip((1, 2)) == CONVERTER.loads(CONVERTER.dumps((1, 2)).encode())


def test_loads_input_accepts_foreign_shapes() -> None:
    assert CONVERTER.loads_input('{"name": "x"}') == ([], {"name": "x"})
    assert CONVERTER.loads_input("[1, 2, 3]") == ([1, 2, 3], {})
    assert CONVERTER.loads_input('[[1], {"a": 2}]') == ([1], {"a": 2})


def test_set_encoding_does_not_depend_on_the_hash_seed() -> None:
    # Workflow code is replayed in other processes: the same set must give the same text.
    script = (
        "from botoflowx.converter import JSONDataConverter; "
        "print(JSONDataConverter().dumps({'alpha', 'beta', 'gamma', 'delta', ('x', 1), b'z'}))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outputs) == 1


class UpperConverter:
    """A foreign DataConverter: plain JSON with every string upper-cased."""

    def dumps(self, value: Any, *, context: str = "") -> str:
        return orjson.dumps(value, default=list).decode().upper()

    def loads(self, text: str, *, context: str = "") -> Any:
        return orjson.loads(text)


def test_input_helpers_work_with_any_data_converter() -> None:
    foreign = UpperConverter()
    assert isinstance(foreign, DataConverter)
    text = encode_input(foreign, ("a",), {"k": "v"})
    assert text == '[["A"],{"K":"V"}]'
    assert decode_input(foreign, text) == (["A"], {"K": "V"})
    ours = encode_input(CONVERTER, (1, (2,)), {"k": {3}})
    assert ours == CONVERTER.dumps([[1, (2,)], {"k": {3}}])
    assert decode_input(CONVERTER, ours) == ([1, (2,)], {"k": {3}})


def test_loads_input_rejects_other_shapes() -> None:
    with pytest.raises(ConversionError, match="call input in input of workflow 'W'"):
        CONVERTER.loads_input('"just a string"', context="input of workflow 'W'")
