"""Exceptions travel as type name, message, args and traceback, and come back safely."""

from __future__ import annotations

import decimal
import pickle
from typing import Any

import orjson
import pytest
from converter_support import Point, make_converter, make_registry

from botoflowx.converter import (
    ConversionError,
    JSONDataConverter,
    RemoteException,
    decode_exception,
    encode_exception,
    exception_type_name,
    remote_traceback,
)


class Declined(Exception):
    """An application exception the tests register."""


class NeedsCode(Exception):
    """Its constructor does not take its own args back: (code, text) -> args == (text,)."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(text)
        self.code = code


class Unregistered(ValueError):
    """Never registered anywhere."""


def raised(exc: BaseException) -> BaseException:
    """Return ``exc`` after raising it, so it carries a real traceback."""
    try:
        raise exc
    except BaseException as caught:
        return caught


@pytest.fixture
def converter() -> JSONDataConverter:
    registry = make_registry()
    registry.register_exception(Declined, "shop.Declined")
    registry.register_exception(NeedsCode)
    return JSONDataConverter(registry)


def wire(converter: JSONDataConverter, exc: BaseException) -> dict[str, Any]:
    data = orjson.loads(converter.dumps(exc))
    assert data["__bfx__"] == "exc"
    assert set(data["v"]) == {"type", "base", "message", "args", "traceback"}
    return data["v"]


def test_registered_exception_comes_back_as_itself(converter: JSONDataConverter) -> None:
    original = raised(Declined("card declined", 42, Point(1, 2)))
    payload = wire(converter, original)
    assert payload["type"] == "shop.Declined"
    assert payload["message"] == str(original)
    assert "raise exc" in payload["traceback"] and "Declined" in payload["traceback"]

    back = converter.loads(converter.dumps(original))
    assert type(back) is Declined
    assert back.args == ("card declined", 42, Point(1, 2))
    assert remote_traceback(back) == payload["traceback"]


@pytest.mark.parametrize(
    "exc",
    [
        ValueError("bad value"),
        KeyError("missing"),
        ZeroDivisionError("division by zero"),
        FileNotFoundError(2, "No such file or directory"),
        TimeoutError(),
        UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
        RuntimeError("with", ("a", "tuple"), {1: decimal.Decimal("2")}),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_allow_listed_builtins_come_back_as_themselves(
    converter: JSONDataConverter, exc: BaseException
) -> None:
    back = converter.loads(converter.dumps(raised(exc)))
    assert type(back) is type(exc)
    assert back.args == exc.args
    assert str(back) == str(exc)
    assert "Traceback (most recent call last)" in (remote_traceback(back) or "")


def test_unregistered_exception_becomes_a_stand_in(converter: JSONDataConverter) -> None:
    original = raised(Unregistered("nope", 7))
    assert wire(converter, original)["base"] == "ValueError"
    back = converter.loads(converter.dumps(original))
    assert isinstance(back, RemoteException)
    # Unregistered derives from ValueError, so the stand-in does too.
    assert isinstance(back, ValueError) and type(back).__name__ == "RemoteValueError"
    assert back.type_name == f"{__name__}.Unregistered"
    assert back.message == "('nope', 7)"
    assert back.remote_args == ("nope", 7)
    assert "raise exc" in (back.remote_traceback or "")
    assert remote_traceback(back) == back.remote_traceback
    text = str(back)
    assert "Unregistered" in text and "RemoteException" in text and "not registered" in text


def test_dangerous_builtins_are_not_rebuilt(converter: JSONDataConverter) -> None:
    for exc in (SystemExit(3), KeyboardInterrupt(), GeneratorExit(), StopIteration(1)):
        back = converter.loads(converter.dumps(exc))
        assert type(back) is RemoteException, exc
        assert back.type_name == type(exc).__name__


def test_stand_in_forwards_unchanged(converter: JSONDataConverter) -> None:
    stand_in = converter.loads(converter.dumps(raised(Unregistered("x"))))
    again = converter.loads(converter.dumps(stand_in))
    assert type(again) is type(stand_in)
    assert (again.type_name, again.message, again.remote_args) == (
        stand_in.type_name,
        stand_in.message,
        stand_in.remote_args,
    )
    assert again.remote_traceback == stand_in.remote_traceback
    assert exception_type_name(stand_in) == f"{__name__}.Unregistered"


def test_re_raised_exception_keeps_both_tracebacks(converter: JSONDataConverter) -> None:
    decoded = converter.loads(converter.dumps(raised(ValueError("deep"))))
    re_raised = raised(decoded)
    text = wire(converter, re_raised)["traceback"]
    assert text.startswith(remote_traceback(decoded) or "<missing>")
    assert "raised again here" in text


def test_unencodable_args_travel_as_their_repr(converter: JSONDataConverter) -> None:
    class Opaque:
        def __repr__(self) -> str:
            return "<Opaque thing>"

    back = converter.loads(converter.dumps(ValueError("bad", Opaque(), 3)))
    assert type(back) is ValueError
    assert back.args == ("bad", "<Opaque thing>", 3)


def test_constructor_mismatch_falls_back_to_stand_in(converter: JSONDataConverter) -> None:
    original = NeedsCode(404, "not found")
    back = converter.loads(converter.dumps(original))
    # NeedsCode("not found") raises TypeError; the information must survive anyway.
    assert type(back) is RemoteException
    assert back.type_name == f"{__name__}.NeedsCode"
    assert back.message == "not found"


def test_args_of_unknown_types_do_not_hide_the_failure(converter: JSONDataConverter) -> None:
    text = converter.dumps(ValueError("bad", Point(1, 2)))
    back = JSONDataConverter().loads(text)  # Point is not registered there
    assert isinstance(back, RemoteException) and isinstance(back, ValueError)
    assert back.type_name == "ValueError" and back.message == str(ValueError("bad", Point(1, 2)))


def test_exceptions_nested_in_values(converter: JSONDataConverter) -> None:
    back = converter.loads(converter.dumps({"errors": [KeyError("k"), Declined("d")]}))
    assert [type(e) for e in back["errors"]] == [KeyError, Declined]


def test_long_tracebacks_are_cut_in_the_middle(converter: JSONDataConverter) -> None:
    # Two alternating frames: Python folds runs of one repeated frame, not these.
    def ping(n: int) -> None:
        if n == 0:
            raise ValueError("bottom")
        pong(n - 1)

    def pong(n: int) -> None:
        ping(n - 1)

    try:
        ping(400)
    except ValueError as exc:
        payload = wire(converter, exc)
    text = payload["traceback"]
    assert len(text) < 16_200
    assert text.startswith("Traceback (most recent call last)")
    assert text.rstrip().endswith("ValueError: bottom")
    assert "characters of traceback omitted" in text


def test_broken_str_does_not_break_encoding(converter: JSONDataConverter) -> None:
    class Broken(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no str for you")

    payload = wire(converter, Broken("x"))
    assert "str() failed" in payload["message"]


def test_encode_and_decode_exception_helpers() -> None:
    registry = make_registry()
    registry.register_exception(Declined, "shop.Declined")
    data = encode_exception(raised(Declined("x")), registry)
    assert data["__bfx__"] == "exc" and data["v"]["type"] == "shop.Declined"
    assert type(decode_exception(data, registry)) is Declined
    with pytest.raises(ConversionError, match="not an encoded exception"):
        decode_exception({"__bfx__": "tuple", "v": []}, registry)


def test_remote_exception_pickles() -> None:
    stand_in = RemoteException("a.B", "msg", (1, "x"), "Traceback ...")
    copy = pickle.loads(pickle.dumps(stand_in))
    assert (copy.type_name, copy.message, copy.remote_args, copy.remote_traceback) == (
        "a.B",
        "msg",
        (1, "x"),
        "Traceback ...",
    )


def test_stand_ins_of_builtin_bases_pickle_and_keep_their_base() -> None:
    converter = make_converter()
    for exc in (Unregistered("v"), type("Gone", (FileNotFoundError,), {})(2, "missing")):
        back = converter.loads(converter.dumps(exc))
        copy = pickle.loads(pickle.dumps(back))
        assert type(copy) is type(back)
        assert copy.remote_args == back.remote_args and copy.type_name == back.type_name
    gone = converter.loads(converter.dumps(type("Gone", (FileNotFoundError,), {})(2, "x")))
    assert isinstance(gone, FileNotFoundError) and isinstance(gone, OSError)
    bad = converter.loads(
        converter.dumps(
            type("Bad", (UnicodeDecodeError,), {})("utf-8", b"\xff", 0, 1, "invalid start byte")
        )
    )
    assert isinstance(bad, UnicodeError) and isinstance(bad, RemoteException)


def test_exception_type_names() -> None:
    converter = make_converter()
    assert exception_type_name(ValueError()) == "ValueError"
    assert exception_type_name(Declined()) == f"{__name__}.Declined"
    registry = converter.registry
    registry.register_exception(Declined, "shop.Declined")
    assert exception_type_name(Declined(), registry) == "shop.Declined"


def test_dumps_exception_is_dumps_when_it_fits(converter: JSONDataConverter) -> None:
    exc = raised(Declined("small", 1))
    assert converter.dumps_exception(exc) == converter.dumps(exc)


@pytest.mark.parametrize("budget", [32_768, 4_000, 600])
def test_dumps_exception_always_fits_the_budget(converter: JSONDataConverter, budget: int) -> None:
    body = 'x\n\t"' * 20_000  # escapes make the JSON longer than the text
    exc = raised(Declined("m" * 50_000, body, [body] * 3))
    text = converter.dumps_exception(exc, max_chars=budget)
    assert len(text) <= budget
    back = converter.loads(text)
    assert type(back) is Declined
    assert all(isinstance(arg, str) and len(arg) <= 200 for arg in back.args)
    assert len(str(back)) < 1_100
    if budget >= 4_000:
        # The innermost frame and the (shortened) exception line survive.
        text = remote_traceback(back) or ""
        assert "raise exc" in text and "Declined: " in text


def test_exceptions_cannot_be_registered_with_custom_callables() -> None:
    with pytest.raises(TypeError, match="without encode= and decode="):
        make_registry().register(Declined, encode=str, decode=Declined)
