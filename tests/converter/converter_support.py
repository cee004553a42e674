"""Shared helpers for the converter tests: a type-exact equality check and value strategies."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import math
from typing import Any, NamedTuple

from hypothesis import strategies as st

from botoflowx.converter import JSONDataConverter, TypeRegistry


def assert_same(left: Any, right: Any, path: str = "value") -> None:
    """Assert ``right`` equals ``left`` with the same types all the way down (NaN-aware).

    Args:
        left: The original value.
        right: The value that came back.
        path: Where we are, for the failure message.
    """
    assert type(left) is type(right), f"{path}: {type(left)!r} came back as {type(right)!r}"
    if isinstance(left, float):
        if math.isnan(left):
            assert math.isnan(right), f"{path}: nan came back as {right!r}"
        else:
            assert left == right and math.copysign(1, left) == math.copysign(1, right), (
                f"{path}: {left!r} came back as {right!r}"
            )
    elif isinstance(left, (list, tuple)):
        assert len(left) == len(right), f"{path}: length {len(left)} became {len(right)}"
        for index, (a, b) in enumerate(zip(left, right, strict=True)):
            assert_same(a, b, f"{path}[{index}]")
    elif isinstance(left, dict):
        assert len(left) == len(right), f"{path}: {len(left)} keys became {len(right)}"
        # Order is part of a dict's value for us: it survives the round trip.
        for index, ((ka, va), (kb, vb)) in enumerate(zip(left.items(), right.items(), strict=True)):
            assert_same(ka, kb, f"{path}.keys()[{index}]")
            assert_same(va, vb, f"{path}[{_label(ka)}]")
    elif isinstance(left, (set, frozenset)):
        assert len(left) == len(right), f"{path}: {len(left)} elements became {len(right)}"
        by_value = {item: item for item in right}
        for item in left:
            assert item in by_value, f"{path}: element {_label(item)} is missing"
            assert_same(item, by_value[item], f"{path}.<{_label(item)}>")
    elif isinstance(left, decimal.Decimal):
        assert left.as_tuple() == right.as_tuple(), f"{path}: {left!r} came back as {right!r}"
    elif isinstance(left, (dt.datetime, dt.time)):
        assert left.isoformat() == right.isoformat(), f"{path}: {left!r} became {right!r}"
        assert left.fold == right.fold, f"{path}: fold {left.fold} became {right.fold}"
        assert_same_tz(left.tzinfo, right.tzinfo, path)
        if isinstance(left, dt.datetime):
            assert left.tzname() == right.tzname(), f"{path}: {left!r} became {right!r}"
    elif isinstance(left, BaseException):
        assert_same(left.args, right.args, f"{path}.args")
    elif dataclasses.is_dataclass(left):
        for field in dataclasses.fields(left):
            assert_same(
                getattr(left, field.name), getattr(right, field.name), f"{path}.{field.name}"
            )
    else:
        assert left == right, f"{path}: {left!r} came back as {right!r}"


def _label(value: Any) -> str:
    """A short repr for failure paths (huge ints have no repr past 4,300 digits)."""
    try:
        text = repr(value)
    except ValueError:
        return f"<{type(value).__name__} with a huge int>"
    return text if len(text) <= 40 else text[:37] + "..."


def assert_same_tz(left: dt.tzinfo | None, right: dt.tzinfo | None, path: str) -> None:
    """Assert two tzinfo objects are the same zone: same type, same offsets and names."""
    assert type(left) is type(right), f"{path}: tzinfo {left!r} came back as {right!r}"
    if isinstance(left, dt.timezone):
        assert left == right and left.tzname(None) == right.tzname(None), (
            f"{path}: tzinfo {left!r} came back as {right!r}"
        )
    elif left is not None:
        assert left is right, f"{path}: tzinfo {left!r} came back as {right!r}"


# --------------------------------------------------------------------------- registered types


@dataclasses.dataclass(frozen=True)
class Point:
    """A frozen (so hashable) dataclass."""

    x: int
    y: Any = None


@dataclasses.dataclass
class Order:
    """A mutable dataclass with a non-init field the class computes itself."""

    order_id: str
    items: list[Any]
    total: decimal.Decimal
    note: str = dataclasses.field(default="", init=False)


class Color(enum.Enum):
    RED = "red"
    GREEN = (0, 255, 0)


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Pair(NamedTuple):
    first: Any
    second: Any


class Money:
    """A plain class, registered with encode/decode callables."""

    def __init__(self, amount: decimal.Decimal, currency: str) -> None:
        self.amount = amount
        self.currency = currency

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is Money
            and self.currency == other.currency
            and self.amount.as_tuple() == other.amount.as_tuple()
        )

    def __hash__(self) -> int:
        return hash((self.amount, self.currency))


def make_registry() -> TypeRegistry:
    """A registry with every test type registered (kept off the process-wide one)."""
    registry = TypeRegistry()
    registry.register(Point, "test.Point")
    registry.register(Order, "test.Order")
    registry.register(Color, "test.Color")
    registry.register(Level, "test.Level")
    registry.register(Pair, "test.Pair")
    registry.register(
        Money,
        "test.Money",
        encode=lambda m: [m.amount, m.currency],
        decode=lambda v: Money(v[0], v[1]),
    )
    return registry


def make_converter() -> JSONDataConverter:
    return JSONDataConverter(make_registry())


# --------------------------------------------------------------------------- strategies

_SPECIAL_DECIMALS = [
    "NaN",
    "-NaN",
    "sNaN",
    "NaN123",
    "-sNaN7",
    "Infinity",
    "-Infinity",
    "0",
    "-0",
    "0E-10",
    "1E+2",
    "100",
    "-1.2300E+45",
    "1" * 60 + ".5",
]

fixed_offsets = st.builds(
    lambda minutes, micro, name: (
        dt.timezone(dt.timedelta(minutes=minutes, microseconds=micro), name)
        if name is not None
        else dt.timezone(dt.timedelta(minutes=minutes, microseconds=micro))
    ),
    st.integers(-23 * 60, 23 * 60),
    st.sampled_from([0, 0, 0, 15, 999_999]),
    st.none() | st.sampled_from(["CET", "EST", "", "Zulu+X"]),
)
tzinfos = st.none() | st.just(dt.timezone.utc) | fixed_offsets | st.timezones()

texts = (
    st.text()
    | st.text(alphabet=st.characters(min_codepoint=0xD7F0, max_codepoint=0xE010, categories=None))
    | st.sampled_from(["__bfx__", "v", '"__bfx__"', "\\u005f", "", "\x00"])
)

floats = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([-0.0, 0.0, 5e-324])
ints = (
    st.integers()
    | st.integers(-(2**300), 2**300)
    | st.sampled_from([2**63 - 1, -(2**63), -(2**63) - 1, 2**64 - 1, 2**64])
    # Past the 4,300-digit limit of int <-> str (checked lazily: reprs would trip on it).
    | st.integers(0, 3).map(lambda n: -(7 ** (6000 + n)) if n % 2 else 7 ** (6000 + n))
)
decimals = st.decimals(allow_nan=True, allow_infinity=True) | st.sampled_from(
    _SPECIAL_DECIMALS
).map(decimal.Decimal)

datetimes = st.builds(
    lambda value, fold: value.replace(fold=fold),
    st.datetimes(timezones=tzinfos),
    st.sampled_from([0, 0, 1]),
)
times = st.builds(
    lambda value, fold: value.replace(fold=fold),
    st.times(timezones=st.none() | st.just(dt.timezone.utc) | fixed_offsets),
    st.sampled_from([0, 1]),
)

# Hashable leaves without NaN (NaN is never equal to itself, so it cannot be found
# again in a set or as a dict key by value).
hashable_scalars = st.one_of(
    st.none(),
    st.booleans(),
    ints,
    st.floats(allow_nan=False),
    texts,
    st.binary(max_size=20),
    decimals.filter(lambda d: not d.is_nan()),
    st.uuids(),
    st.dates(),
    datetimes,
    times,
    st.timedeltas(),
    st.sampled_from(list(Color) + list(Level)),
    st.builds(Point, st.integers(), st.text(max_size=5)),
)
hashables = st.recursive(
    hashable_scalars,
    lambda children: (
        st.tuples(children, children)
        | st.lists(children, max_size=3).map(tuple)
        | st.frozensets(children, max_size=3)
    ),
    max_leaves=6,
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    ints,
    floats,
    texts,
    st.binary(max_size=40),
    st.binary(max_size=40).map(bytearray),
    decimals,
    st.uuids(),
    st.dates(),
    datetimes,
    times,
    st.timedeltas(),
    st.sampled_from(list(Color) + list(Level)),
)


def _extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=5),
        st.lists(children, max_size=4).map(tuple),
        st.dictionaries(texts, children, max_size=4),
        st.dictionaries(hashables, children, max_size=4),
        st.sets(hashables, max_size=4),
        st.frozensets(hashables, max_size=4),
        st.builds(Point, children, children),
        st.builds(Order, texts, st.lists(children, max_size=3), decimals),
        st.builds(Pair, children, children),
        st.builds(Money, decimals, st.text(max_size=3)),
    )


values = st.recursive(scalars, _extend, max_leaves=25)
