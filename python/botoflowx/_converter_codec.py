"""The tagged encoding behind JSONDataConverter: Python values <-> JSON-native trees.

``encode`` turns a value into a tree orjson serialises as plain JSON (str, int in
64-bit range, finite float, bool, None, list, dict with str keys); ``decode`` turns
such a tree back. Both walks are copy-on-write: a JSON-native subtree comes back as
the very same object, so plain payloads cost one type check per node and no copies.
The format itself is documented in ``botoflowx.converter``.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import decimal
import enum
import functools
import re
import traceback
import types
import uuid
import zoneinfo
from collections.abc import Callable
from typing import Any, Final

import orjson

from botoflowx._converter_errors import RemoteException, short_repr, stand_in
from botoflowx._converter_registry import (
    BUILTIN_EXCEPTIONS,
    Kind,
    TypeEntry,
    TypeRegistry,
    default_name,
)

__all__ = [
    "MAX_DEPTH",
    "MAX_TRACEBACK_CHARS",
    "TAG",
    "DecodeFailure",
    "EncodeFailure",
    "decode",
    "encode",
    "encode_exception",
    "escape_surrogates",
    "exception_type_name",
    "is_plain_call",
    "remote_traceback",
    "shrink_exception",
]

TAG: Final = "__bfx__"
"""The reserved key that marks a tagged object: ``{"__bfx__": "<tag>", "v": <payload>}``."""

MAX_DEPTH: Final = 250
"""Deepest nesting the walks follow; orjson itself stops at 255 levels of JSON."""

MAX_TRACEBACK_CHARS: Final = 16_000
"""Traceback text longer than this is cut in the middle (SWF details hold 32,768 chars)."""

_TRACEBACK_HEAD_CHARS: Final = 3_000

_INT64_MIN: Final = -(1 << 63)
_UINT64_MAX: Final = (1 << 64) - 1

# Where a decoded exception keeps the traceback text it travelled with.
_REMOTE_TB_ATTR: Final = "__botoflowx_remote_traceback__"

# Zone keys are checked before ZoneInfo sees them: no dots means no path
# traversal, and ZoneInfo's tzdata fallback only ever looks inside tzdata.zoneinfo.
_ZONE_KEY_RE: Final = re.compile(r"[A-Za-z0-9_+\-]{1,64}(?:/[A-Za-z0-9_+\-]{1,64}){0,3}")
_HEX_INT_RE: Final = re.compile(r"-?[0-9a-f]+")
# Decimal(str) accepts more (underscores, spaces, other digits) and, with a
# context that does not trap ConversionSyntax, turns garbage into NaN; accept
# exactly what str(Decimal) produces.
_DECIMAL_RE: Final = re.compile(
    r"[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:E[+-]?\d+)?|Infinity|s?NaN\d*)", re.IGNORECASE | re.ASCII
)
_SPECIAL_FLOATS: Final = {"nan": float("nan"), "inf": float("inf"), "-inf": float("-inf")}


class EncodeFailure(Exception):
    """Internal: unwinds the encode walk, collecting the path to the offending value."""

    def __init__(self, value: Any, problem: str, advice: str) -> None:
        super().__init__(problem)
        self.type_name = default_name(type(value))
        self.problem = problem
        self.advice = advice
        self.segments: list[str] = []  # innermost first; reversed when rendered


class DecodeFailure(Exception):
    """Internal: unwinds the decode walk, collecting the path to the offending node."""

    def __init__(self, problem: str, *, tag: str | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.tag = tag
        self.segments: list[str] = []


def _tagged(tag: str, payload: Any) -> dict[str, Any]:
    return {TAG: tag, "v": payload}


def _too_deep(value: Any) -> EncodeFailure:
    return EncodeFailure(
        value,
        f"value nests deeper than {MAX_DEPTH} levels (is there a circular reference?)",
        "flatten the structure or break the cycle",
    )


# --------------------------------------------------------------------------- encode


def encode(value: Any, registry: TypeRegistry, depth: int = 0) -> Any:
    """Return the JSON-native tree for ``value``.

    Args:
        value: Any supported value.
        registry: Where user types are looked up (exact type match).
        depth: Current nesting depth (callers start at 0).

    Returns:
        ``value`` itself when it is already JSON-native, else a new tree.

    Raises:
        EncodeFailure: Some part of ``value`` cannot be encoded.
    """
    # The common JSON-native types come first and are matched by exact type:
    # subclasses (IntEnum, str enums, OrderedDict...) would lose their type.
    cls = type(value)
    if cls is str:
        return value
    if cls is int:
        if _INT64_MIN <= value <= _UINT64_MAX:
            return value
        return _tagged("int", _int_to_hex(value))
    if cls is float:
        if value - value == 0.0:  # finite; nan and inf give nan
            return value
        return _tagged("float", "nan" if value != value else ("inf" if value > 0 else "-inf"))
    if cls is list:
        return _encode_list(value, registry, depth)
    if cls is dict:
        return _encode_dict(value, registry, depth)
    if value is None or cls is bool:
        return value
    handler = _ENCODERS.get(cls)
    if handler is not None:
        return handler(value, registry, depth)
    entry = registry.entry_for_type(cls)
    if entry is not None:
        if entry.kind is Kind.EXCEPTION:
            return encode_exception(value, registry, depth)
        return _encode_registered(value, entry, registry, depth)
    if isinstance(value, BaseException):
        return encode_exception(value, registry, depth)
    raise _unencodable(value)


def _unencodable(value: Any) -> EncodeFailure:
    cls = type(value)
    name = cls.__qualname__
    if isinstance(
        value,
        (type, types.FunctionType, types.BuiltinFunctionType, types.MethodType, types.ModuleType),
    ):
        return EncodeFailure(
            value,
            "classes, functions and modules cannot travel (payloads are data, never code)",
            "pass data and look the code up by name on the receiving side",
        )
    if isinstance(value, (str, int, float, list, dict, tuple, set, frozenset, bytes)) and not (
        isinstance(value, enum.Enum) or (isinstance(value, tuple) and hasattr(cls, "_fields"))
    ):
        advice = (
            f"{name} subclasses a builtin type but would come back as the plain builtin; "
            f"convert it (e.g. dict(value)) or register_type({name}, encode=..., decode=...)"
        )
    elif (
        dataclasses.is_dataclass(cls)
        or isinstance(value, enum.Enum)
        or (isinstance(value, tuple) and hasattr(cls, "_fields"))
    ):
        advice = (
            f"register it: botoflowx.converter.register_type({name}) "
            "(dataclasses, NamedTuples and enums need nothing else)"
        )
    else:
        advice = (
            f"register it: botoflowx.converter.register_type({name}, encode=..., "
            "decode=...), with encode returning an encodable value and decode rebuilding "
            "the object from it"
        )
    return EncodeFailure(value, "its type is not registered with the data converter", advice)


def is_plain_call(args: Any, kwargs: Any) -> bool:
    """Whether a call's input ``[args, kwargs]`` holds JSON-native scalars only.

    ``encode`` returns such an input unchanged; this says so in one call instead of a
    walk, for the usual activity, child and signal input.
    """
    if type(args) is not list or type(kwargs) is not dict:
        return False
    for key in kwargs:
        if type(key) is not str or key == TAG:
            return False
    # Not itertools.chain: most calls have no keyword arguments, and a chain costs
    # more than a short list.
    for item in [*args, *kwargs.values()] if kwargs else args:
        cls = type(item)
        if cls is str or cls is bool or item is None:
            continue
        if cls is int:
            if _INT64_MIN <= item <= _UINT64_MAX:
                continue
        elif cls is float and item - item == 0.0:
            continue
        return False
    return True


def _int_to_hex(value: int) -> str:
    # Hex, not decimal: str(int) refuses more than 4,300 digits (CVE-2020-10735 guard).
    return format(value, "x")


def _encode_list(value: list[Any], registry: TypeRegistry, depth: int) -> list[Any]:
    if depth >= MAX_DEPTH:
        raise _too_deep(value)
    out: list[Any] | None = None
    index = 0
    try:
        for index, item in enumerate(value):
            # Inline the JSON-native scalar checks: most items are scalars, and a
            # call per scalar would double the cost of a plain payload.
            cls = type(item)
            if cls is str or cls is bool or item is None:
                continue
            if cls is int:
                if _INT64_MIN <= item <= _UINT64_MAX:
                    continue
            elif cls is float and item - item == 0.0:
                continue
            if cls is dict:
                encoded = _encode_dict(item, registry, depth + 1)
            elif cls is list:
                encoded = _encode_list(item, registry, depth + 1)
            else:
                encoded = encode(item, registry, depth + 1)
            if encoded is not item:
                if out is None:
                    out = list(value)
                out[index] = encoded
    except EncodeFailure as failure:
        failure.segments.append(f"[{index}]")
        raise
    return value if out is None else out


def _encode_items(
    items: Any, registry: TypeRegistry, depth: int, describe: Callable[[int], str]
) -> list[Any]:
    """Encode an iterable into a new list; ``describe(i)`` names element i in error paths."""
    if depth >= MAX_DEPTH:
        raise _too_deep(items)
    out = []
    index = 0
    try:
        for index, item in enumerate(items):  # noqa: B007 - index is read by the handler
            out.append(encode(item, registry, depth + 1))
    except EncodeFailure as failure:
        failure.segments.append(describe(index))
        raise
    return out


def _encode_dict(value: dict[Any, Any], registry: TypeRegistry, depth: int) -> Any:
    if depth >= MAX_DEPTH:
        raise _too_deep(value)
    out: dict[str, Any] | None = None
    key: Any = None
    try:
        for key, item in value.items():
            if type(key) is not str or key == TAG:
                break
            cls = type(item)  # the scalar fast path, as in _encode_list
            if cls is str or cls is bool or item is None:
                continue
            if cls is int:
                if _INT64_MIN <= item <= _UINT64_MAX:
                    continue
            elif cls is float and item - item == 0.0:
                continue
            if cls is dict:
                encoded = _encode_dict(item, registry, depth + 1)
            elif cls is list:
                encoded = _encode_list(item, registry, depth + 1)
            else:
                encoded = encode(item, registry, depth + 1)
            if encoded is not item:
                if out is None:
                    out = dict(value)
                out[key] = encoded
        else:
            return value if out is None else out
    except EncodeFailure as failure:
        failure.segments.append(f"[{short_repr(key)}]")
        raise
    # Found a key plain JSON cannot carry: start over in the pairs form.
    return _encode_dict_pairs(value, registry, depth)


def _encode_dict_pairs(value: dict[Any, Any], registry: TypeRegistry, depth: int) -> Any:
    """Dicts with a non-str key (or the reserved key) travel as a list of [key, value]."""
    pairs = []
    index = 0
    key: Any = None
    for index, (key, item) in enumerate(value.items()):
        try:
            encoded_key = encode(key, registry, depth + 2)
        except EncodeFailure as failure:
            failure.segments.append(f".keys()[{index}]")
            raise
        try:
            encoded_item = encode(item, registry, depth + 2)
        except EncodeFailure as failure:
            failure.segments.append(f"[{short_repr(key)}]")
            raise
        pairs.append([encoded_key, encoded_item])
    return _tagged("dict", pairs)


def _encode_tuple(value: tuple[Any, ...], registry: TypeRegistry, depth: int) -> Any:
    return _tagged("tuple", _encode_items(value, registry, depth, lambda i: f"[{i}]"))


def _canonical(encoded: Any) -> bytes:
    try:
        return orjson.dumps(encoded, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        # Lone surrogates: sort by the form they will be written in.
        return orjson.dumps(escape_surrogates(encoded), option=orjson.OPT_SORT_KEYS)


def _encode_set_like(tag: str) -> Callable[[Any, TypeRegistry, int], Any]:
    def encode_set(value: Any, registry: TypeRegistry, depth: int) -> Any:
        items = _encode_items(value, registry, depth, lambda i: f".<element {i}>")
        # Set iteration order depends on the hash seed; sort by the encoded JSON so
        # the same set always gives the same text (workflow code must be replayable).
        items.sort(key=_canonical)
        return _tagged(tag, items)

    return encode_set


def _encode_bytes(value: bytes | bytearray, registry: TypeRegistry, depth: int) -> Any:
    tag = "bytes" if type(value) is bytes else "bytearray"
    return _tagged(tag, base64.b64encode(value).decode("ascii"))


def _encode_decimal(value: decimal.Decimal, registry: TypeRegistry, depth: int) -> Any:
    return _tagged("decimal", str(value))


def _encode_uuid(value: uuid.UUID, registry: TypeRegistry, depth: int) -> Any:
    return _tagged("uuid", str(value))


def _encode_timedelta(value: dt.timedelta, registry: TypeRegistry, depth: int) -> Any:
    return _tagged("timedelta", [value.days, value.seconds, value.microseconds])


def _encode_date(value: dt.date, registry: TypeRegistry, depth: int) -> Any:
    return _tagged("date", value.isoformat())


def _tz_extras(value: dt.datetime | dt.time, offset: dt.timedelta | None) -> dict[str, Any]:
    """What the ISO text cannot say about ``value``'s tzinfo and fold."""
    extras: dict[str, Any] = {}
    tz = value.tzinfo
    if tz is not None:
        if isinstance(tz, zoneinfo.ZoneInfo) and tz.key is not None:
            extras["zone"] = tz.key
        else:
            if offset is None:
                raise EncodeFailure(
                    value,
                    f"its tzinfo {short_repr(tz)} gives no UTC offset",
                    "use a datetime.timezone or zoneinfo.ZoneInfo tzinfo",
                )
            name = value.tzname()
            # datetime.timezone's default name is derived from the offset; any other
            # name (a named timezone, or a third-party tzinfo's abbreviation) is kept.
            if name != dt.timezone(offset).tzname(None):
                if name is None:
                    name = ""
                try:
                    name.encode("utf-8")
                except UnicodeEncodeError:
                    raise EncodeFailure(
                        value, f"its time zone name {name!r} is not valid UTF-8", ""
                    ) from None
                extras["name"] = name
            if offset.microseconds:
                # fromisoformat reads "+00:00:00.000015" as UTC (a CPython bug), so
                # offsets with microseconds are spelled out.
                extras["offset"] = offset // dt.timedelta(microseconds=1)
    if value.fold:
        extras["fold"] = 1
    return extras


def _encode_datetime(value: dt.datetime, registry: TypeRegistry, depth: int) -> Any:
    extras = _tz_extras(value, value.utcoffset())
    iso = value.isoformat()
    return _tagged("datetime", [iso, extras] if extras else iso)


def _encode_time(value: dt.time, registry: TypeRegistry, depth: int) -> Any:
    extras = _tz_extras(value, value.utcoffset())
    iso = value.isoformat()
    return _tagged("time", [iso, extras] if extras else iso)


def _encode_registered(value: Any, entry: TypeEntry, registry: TypeRegistry, depth: int) -> Any:
    if depth >= MAX_DEPTH:
        raise _too_deep(value)
    if entry.kind is Kind.FIELDS:
        fields: dict[str, Any] = {}
        for name in entry.field_names:
            try:
                fields[name] = encode(getattr(value, name), registry, depth + 2)
            except EncodeFailure as failure:
                failure.segments.append(f".{name}")
                raise
        return _tagged("obj", [entry.name, fields])
    if entry.kind is Kind.ENUM:
        try:
            payload = encode(value.value, registry, depth + 2)
        except EncodeFailure as failure:
            failure.segments.append(".value")
            raise
        return _tagged("obj", [entry.name, payload])
    assert entry.encode is not None  # Kind.CUSTOM always has both callables
    try:
        raw = entry.encode(value)
    except Exception as exc:
        raise EncodeFailure(
            value,
            f"the encode callable registered for {entry.name!r} raised {type(exc).__name__}: {exc}",
            "fix the encode callable",
        ) from exc
    try:
        payload = encode(raw, registry, depth + 2)
    except EncodeFailure as failure:
        failure.segments.append(".<encoded>")
        raise
    return _tagged("obj", [entry.name, payload])


_ENCODERS: Final[dict[type, Callable[[Any, TypeRegistry, int], Any]]] = {
    tuple: _encode_tuple,
    set: _encode_set_like("set"),
    frozenset: _encode_set_like("frozenset"),
    bytes: _encode_bytes,
    bytearray: _encode_bytes,
    decimal.Decimal: _encode_decimal,
    uuid.UUID: _encode_uuid,
    dt.datetime: _encode_datetime,
    dt.date: _encode_date,
    dt.time: _encode_time,
    dt.timedelta: _encode_timedelta,
}


def escape_surrogates(tree: Any) -> Any:
    """Replace strings orjson cannot write (lone surrogates) in an encoded tree.

    Runs only after orjson refused a tree, so ordinary payloads never pay for the
    check. A dict whose key needs escaping switches to the ``dict`` pairs form.

    Args:
        tree: A JSON-native tree produced by :func:`encode`.

    Returns:
        An equivalent tree orjson can serialise.
    """
    cls = type(tree)
    if cls is str:
        try:
            tree.encode("utf-8")
        except UnicodeEncodeError:
            return _tagged("str", base64.b64encode(tree.encode("utf-8", "surrogatepass")).decode())
        return tree
    if cls is list:
        return [escape_surrogates(item) for item in tree]
    if cls is dict:
        escaped = {key: escape_surrogates(item) for key, item in tree.items()}
        if all(escape_surrogates(key) is key for key in tree):
            return escaped
        return _tagged("dict", [[escape_surrogates(k), v] for k, v in escaped.items()])
    return tree


# --------------------------------------------------------------------------- exceptions


def exception_type_name(exc: BaseException, registry: TypeRegistry) -> str:
    """Return the type name an exception travels under.

    Args:
        exc: The exception.
        registry: The registry that may hold its type.

    Returns:
        The registration name if its type is registered; the original type's name for a
        :class:`RemoteException`; the bare name for builtins; else ``module.QualName``.
    """
    entry = registry.entry_for_type(type(exc))
    if entry is not None and entry.kind is Kind.EXCEPTION:
        return entry.name
    if isinstance(exc, RemoteException):
        return exc.type_name
    return default_name(type(exc))


def remote_traceback(exc: BaseException) -> str | None:
    """Return the traceback text a decoded exception travelled with, if any.

    Args:
        exc: An exception produced by decoding (or any exception).

    Returns:
        The remote traceback text, or None.
    """
    if isinstance(exc, RemoteException):
        return exc.remote_traceback
    text = getattr(exc, _REMOTE_TB_ATTR, None)
    return text if isinstance(text, str) else None


def _safe_text(produce: Callable[[], str], fallback: str) -> str:
    try:
        text = produce()
    except Exception:
        return fallback
    if not isinstance(text, str):
        return fallback
    # These fields are informational; keep them writable rather than exact.
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _traceback_text(exc: BaseException) -> str | None:
    remote = remote_traceback(exc)
    local = None
    if exc.__traceback__ is not None:
        local = _safe_text(
            lambda: "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)), ""
        )
    text: str | None
    if remote and local:
        text = f"{remote}\nThe exception above was raised again here:\n\n{local}"
    else:
        text = remote or local
    if text is not None and len(text) > MAX_TRACEBACK_CHARS:
        tail = MAX_TRACEBACK_CHARS - _TRACEBACK_HEAD_CHARS
        omitted = len(text) - MAX_TRACEBACK_CHARS
        text = (
            f"{text[:_TRACEBACK_HEAD_CHARS]}\n... [{omitted} characters of traceback omitted]"
            f" ...\n{text[-tail:]}"
        )
    return text


def encode_exception(exc: BaseException, registry: TypeRegistry, depth: int = 0) -> Any:
    """Return the tagged tree for an exception: type name, message, args, traceback.

    Args that cannot be encoded travel as their ``repr`` (a str) instead, so an
    exception can always be reported.

    Args:
        exc: The exception.
        registry: Where registered exception types (and arg types) are looked up.
        depth: Current nesting depth.

    Returns:
        ``{"__bfx__": "exc", "v": {"type", "base", "message", "args", "traceback"}}``.
    """
    if isinstance(exc, RemoteException):
        message = exc.message
        args: tuple[Any, ...] = exc.remote_args
    else:
        message = _safe_text(lambda: str(exc), f"<{type(exc).__qualname__}: str() failed>")
        args = exc.args
    encoded_args = []
    for arg in args:
        try:
            encoded_args.append(encode(arg, registry, depth + 3))
        except EncodeFailure:
            encoded_args.append(_safe_text(functools.partial(repr, arg), short_repr(arg)))
    return _tagged(
        "exc",
        {
            "type": _safe_text(lambda: exception_type_name(exc, registry), "Exception"),
            "base": _builtin_base(exc),
            "message": message,
            "args": encoded_args,
            "traceback": _traceback_text(exc),
        },
    )


def _builtin_base(exc: BaseException) -> str:
    """Name the first allow-listed builtin in the exception's MRO (for its stand-in)."""
    for cls in type(exc).__mro__:
        if BUILTIN_EXCEPTIONS.get(cls.__name__) is cls:
            return cls.__name__
    return "Exception"  # BaseException-only types (SystemExit...) get a plain stand-in


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 3, 0)] + "..."


def _json_chars(tree: Any) -> int:
    return len(orjson.dumps(escape_surrogates(tree)).decode())


def shrink_exception(exc: BaseException, tree: Any, max_chars: int) -> Any:
    """Cut an encoded exception (from :func:`encode_exception`) until its JSON fits.

    Drops precision in order of least value: args become short reprs, then the
    message is shortened, then traceback lines are shortened and the oldest frames
    dropped, keeping the innermost ones and the exception line.

    Args:
        exc: The exception ``tree`` was encoded from.
        tree: The tagged exception tree.
        max_chars: The budget in characters of JSON text.

    Returns:
        A tagged exception tree whose JSON text has at most ``max_chars`` characters
        (when even the bare type name does not fit, the smallest possible one).
    """
    payload = dict(tree["v"])
    shrunk = _tagged("exc", payload)
    if _json_chars(shrunk) <= max_chars:
        return shrunk
    args = exc.remote_args if isinstance(exc, RemoteException) else exc.args
    payload["args"] = [
        _cut(_safe_text(functools.partial(repr, arg), short_repr(arg)), 200) for arg in args[:20]
    ]
    if _json_chars(shrunk) > max_chars:
        payload["message"] = _cut(payload["message"], 1_000)
    text = payload["traceback"]
    if text and _json_chars(shrunk) > max_chars:
        # The last line repeats str(exc), which may be huge; frames are short.
        text = "\n".join(_cut(line, 300) for line in text.split("\n"))
        payload["traceback"] = text
    while text and _json_chars(shrunk) > max_chars:
        # Escapes make JSON longer than the text; overshoot so this ends in a few rounds.
        keep = len(text) - 2 * (_json_chars(shrunk) - max_chars) - 64
        if keep <= 200:
            text = None
        else:
            text = "[older frames omitted]\n..." + text[-keep:]
        payload["traceback"] = text
    if _json_chars(shrunk) > max_chars:
        payload["args"] = []
        payload["message"] = _cut(payload["message"], 100)
    return shrunk


_EXCEPTION_KEYS: Final = frozenset({"type", "base", "message", "args", "traceback"})


def _decode_exception(payload: Any, registry: TypeRegistry, depth: int) -> BaseException:
    if not isinstance(payload, dict) or set(payload) != _EXCEPTION_KEYS:
        raise DecodeFailure("malformed exception: expected type, base, message, args and traceback")
    type_name, base, message, raw_args, text = (
        payload["type"],
        payload["base"],
        payload["message"],
        payload["args"],
        payload["traceback"],
    )
    if not all(isinstance(field, str) for field in (type_name, base, message)):
        raise DecodeFailure("malformed exception: type, base and message must be strings")
    if text is not None and not isinstance(text, str):
        raise DecodeFailure("malformed exception: traceback must be a string or null")
    if not isinstance(raw_args, list):
        raise DecodeFailure("malformed exception: args must be a list")
    try:
        args = tuple(_decode_list(raw_args, registry, depth + 1))
    except DecodeFailure:
        # An arg of a type unknown here must not hide the failure itself.
        return stand_in(base, type_name, message, tuple(raw_args), text)
    cls: type[BaseException] | None = None
    entry = registry.entry_for_name(type_name)
    if entry is not None and entry.kind is Kind.EXCEPTION:
        cls = entry.cls
    elif entry is None:
        cls = BUILTIN_EXCEPTIONS.get(type_name)
    if cls is None:
        return stand_in(base, type_name, message, args, text)
    try:
        exc = cls(*args)
    except Exception:
        # The class's constructor does not take its own args (a custom __init__);
        # keep the information rather than fail the decode.
        return stand_in(base, type_name, message, args, text)
    if text is not None:
        try:
            setattr(exc, _REMOTE_TB_ATTR, text)
        except (AttributeError, TypeError):
            pass  # __slots__ without __dict__: the traceback text is lost, the type is not
    return exc


# --------------------------------------------------------------------------- decode


def decode(tree: Any, registry: TypeRegistry, depth: int = 0) -> Any:
    """Rebuild the value a JSON-native tree encodes.

    Constructs nothing but builtin values, the allow-listed builtin exceptions and
    types found in ``registry`` by registration name. Never imports or looks up a
    name anywhere else.

    Args:
        tree: What ``orjson.loads`` returned.
        registry: Where registration names are looked up.
        depth: Current nesting depth (callers start at 0).

    Returns:
        The decoded value (``tree`` itself when it holds no tagged objects).

    Raises:
        DecodeFailure: The tree holds an unknown tag or a malformed tagged object.
    """
    cls = type(tree)
    if cls is list:
        return _decode_list(tree, registry, depth)
    if cls is dict:
        if TAG in tree:
            return _decode_tagged(tree, registry, depth)
        return _decode_dict(tree, registry, depth)
    return tree


def _decode_list(tree: list[Any], registry: TypeRegistry, depth: int) -> list[Any]:
    if depth >= MAX_DEPTH:
        raise DecodeFailure(f"payload nests deeper than {MAX_DEPTH} levels")
    out: list[Any] | None = None
    index = 0
    try:
        for index, item in enumerate(tree):
            if type(item) is list or type(item) is dict:
                decoded = decode(item, registry, depth + 1)
                if decoded is not item:
                    if out is None:
                        out = list(tree)
                    out[index] = decoded
    except DecodeFailure as failure:
        failure.segments.append(f"[{index}]")
        raise
    return tree if out is None else out


def _decode_dict(tree: dict[str, Any], registry: TypeRegistry, depth: int) -> dict[Any, Any]:
    if depth >= MAX_DEPTH:
        raise DecodeFailure(f"payload nests deeper than {MAX_DEPTH} levels")
    out: dict[Any, Any] | None = None
    key = ""
    try:
        for key, item in tree.items():
            if type(item) is list or type(item) is dict:
                decoded = decode(item, registry, depth + 1)
                if decoded is not item:
                    if out is None:
                        out = dict(tree)
                    out[key] = decoded
    except DecodeFailure as failure:
        failure.segments.append(f"[{short_repr(key)}]")
        raise
    return tree if out is None else out


def _decode_tagged(tree: dict[str, Any], registry: TypeRegistry, depth: int) -> Any:
    tag = tree[TAG]
    if type(tag) is not str:
        raise DecodeFailure(f"malformed tagged object: the {TAG!r} tag must be a string")
    if len(tree) != 2 or "v" not in tree:
        raise DecodeFailure(
            f"malformed tagged object {tag!r}: expected exactly the keys {TAG!r} and 'v'",
            tag=tag,
        )
    handler = _DECODERS.get(tag)
    if handler is None:
        raise DecodeFailure(
            f"unknown tag {tag!r} (this payload was written by a newer or different "
            "converter, or was crafted)",
            tag=tag,
        )
    if depth >= MAX_DEPTH:
        raise DecodeFailure(f"payload nests deeper than {MAX_DEPTH} levels")
    try:
        return handler(tree["v"], registry, depth)
    except DecodeFailure as failure:
        if failure.tag is None:
            failure.tag = tag
        raise
    except (ValueError, TypeError, OverflowError, binascii.Error, decimal.InvalidOperation) as exc:
        raise DecodeFailure(f"malformed {tag!r} object: {exc}", tag=tag) from exc


def _want(payload: Any, cls: type, tag: str) -> Any:
    if type(payload) is not cls:
        raise DecodeFailure(
            f"malformed {tag!r} object: expected a JSON {_JSON_NAMES[cls]}, "
            f"got {_JSON_NAMES.get(type(payload), type(payload).__name__)}",
            tag=tag,
        )
    return payload


_JSON_NAMES: Final[dict[type, str]] = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    list: "array",
    dict: "object",
    type(None): "null",
}


def _decode_int(payload: Any, registry: TypeRegistry, depth: int) -> int:
    text = _want(payload, str, "int")
    if not _HEX_INT_RE.fullmatch(text):
        raise DecodeFailure(f"malformed 'int' object: {short_repr(text)} is not hex", tag="int")
    return int(text, 16)


def _decode_float(payload: Any, registry: TypeRegistry, depth: int) -> float:
    value = _SPECIAL_FLOATS.get(_want(payload, str, "float"))
    if value is None:
        raise DecodeFailure(
            f"malformed 'float' object: {short_repr(payload)} is not nan, inf or -inf",
            tag="float",
        )
    return value


def _decode_str(payload: Any, registry: TypeRegistry, depth: int) -> str:
    data = base64.b64decode(_want(payload, str, "str"), validate=True)
    try:
        return data.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError as exc:
        raise DecodeFailure(f"malformed 'str' object: {exc}", tag="str") from None


def _decode_tuple(payload: Any, registry: TypeRegistry, depth: int) -> tuple[Any, ...]:
    return tuple(_decode_list(_want(payload, list, "tuple"), registry, depth + 1))


def _hashable_items(tag: str, items: list[Any]) -> list[Any]:
    for index, item in enumerate(items):
        try:
            hash(item)
        except Exception:  # TypeError normally; a registered type's __hash__ may raise anything
            failure = DecodeFailure(
                f"malformed {tag!r} object: element of unhashable type {type(item).__name__}",
                tag=tag,
            )
            failure.segments.append(f".<element {index}>")
            raise failure from None
    return items


def _decode_set(payload: Any, registry: TypeRegistry, depth: int) -> set[Any]:
    items = _decode_list(_want(payload, list, "set"), registry, depth + 1)
    return set(_hashable_items("set", items))


def _decode_frozenset(payload: Any, registry: TypeRegistry, depth: int) -> frozenset[Any]:
    items = _decode_list(_want(payload, list, "frozenset"), registry, depth + 1)
    return frozenset(_hashable_items("frozenset", items))


def _decode_pairs(payload: Any, registry: TypeRegistry, depth: int) -> dict[Any, Any]:
    pairs = _decode_list(_want(payload, list, "dict"), registry, depth + 1)
    out: dict[Any, Any] = {}
    for index, pair in enumerate(pairs):
        if type(pair) is not list or len(pair) != 2:
            failure = DecodeFailure("malformed 'dict' object: expected [key, value] pairs")
            failure.segments.append(f"[{index}]")
            raise failure
        try:
            out[pair[0]] = pair[1]
        except Exception:  # unhashable (TypeError), or a registered type's __hash__ failing
            failure = DecodeFailure(
                f"malformed 'dict' object: key of unhashable type {type(pair[0]).__name__}"
            )
            failure.segments.append(f".keys()[{index}]")
            raise failure from None
    return out


def _decode_bytes(payload: Any, registry: TypeRegistry, depth: int) -> bytes:
    return base64.b64decode(_want(payload, str, "bytes"), validate=True)


def _decode_bytearray(payload: Any, registry: TypeRegistry, depth: int) -> bytearray:
    return bytearray(base64.b64decode(_want(payload, str, "bytearray"), validate=True))


def _decode_decimal(payload: Any, registry: TypeRegistry, depth: int) -> decimal.Decimal:
    text = _want(payload, str, "decimal")
    if not _DECIMAL_RE.fullmatch(text):
        raise DecodeFailure(
            f"malformed 'decimal' object: {short_repr(text)} is not a decimal", tag="decimal"
        )
    return decimal.Decimal(text)


def _decode_uuid(payload: Any, registry: TypeRegistry, depth: int) -> uuid.UUID:
    return uuid.UUID(_want(payload, str, "uuid"))


def _decode_timedelta(payload: Any, registry: TypeRegistry, depth: int) -> dt.timedelta:
    parts = _want(payload, list, "timedelta")
    if len(parts) != 3 or any(type(part) is not int for part in parts):
        raise DecodeFailure(
            "malformed 'timedelta' object: expected [days, seconds, microseconds]",
            tag="timedelta",
        )
    return dt.timedelta(days=parts[0], seconds=parts[1], microseconds=parts[2])


def _decode_date(payload: Any, registry: TypeRegistry, depth: int) -> dt.date:
    return dt.date.fromisoformat(_want(payload, str, "date"))


def _zone(key: Any, tag: str) -> zoneinfo.ZoneInfo:
    if type(key) is not str or not _ZONE_KEY_RE.fullmatch(key):
        raise DecodeFailure(f"malformed {tag!r} object: bad zone key {short_repr(key)}", tag=tag)
    try:
        return zoneinfo.ZoneInfo(key)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise DecodeFailure(
            f"{tag!r} object names time zone {key!r}, which this machine's time zone database "
            "does not have (install or update the tzdata package)",
            tag=tag,
        ) from None


def _apply_extras(value: Any, extras: Any, tag: str) -> Any:
    if (
        type(extras) is not dict
        or not extras
        or not set(extras) <= {"zone", "name", "offset", "fold"}
    ):
        raise DecodeFailure(
            f"malformed {tag!r} object: expected an object with zone, name, offset or fold",
            tag=tag,
        )
    fold = extras.get("fold", 0)
    if fold not in (0, 1) or type(fold) is not int:
        raise DecodeFailure(f"malformed {tag!r} object: fold must be 0 or 1", tag=tag)
    changes: dict[str, Any] = {"fold": fold}
    if "zone" in extras:
        if "name" in extras or "offset" in extras:
            raise DecodeFailure(f"malformed {tag!r} object: zone with name or offset", tag=tag)
        changes["tzinfo"] = _zone(extras["zone"], tag)
    elif "name" in extras or "offset" in extras:
        if "offset" in extras:
            micros = extras["offset"]
            if type(micros) is not int:
                raise DecodeFailure(f"malformed {tag!r} object: offset must be an int", tag=tag)
            offset = dt.timedelta(microseconds=micros)
        else:
            offset = value.utcoffset()
        name = extras.get("name")
        if offset is None or (name is not None and type(name) is not str):
            raise DecodeFailure(
                f"malformed {tag!r} object: a zone name needs a str and a UTC offset", tag=tag
            )
        changes["tzinfo"] = dt.timezone(offset) if name is None else dt.timezone(offset, name)
    return value.replace(**changes)


def _decode_datetime(payload: Any, registry: TypeRegistry, depth: int) -> dt.datetime:
    if type(payload) is str:
        return dt.datetime.fromisoformat(payload)
    parts = _want(payload, list, "datetime")
    if len(parts) != 2 or type(parts[0]) is not str:
        raise DecodeFailure("malformed 'datetime' object: expected [iso, extras]", tag="datetime")
    return _apply_extras(dt.datetime.fromisoformat(parts[0]), parts[1], "datetime")


def _decode_time(payload: Any, registry: TypeRegistry, depth: int) -> dt.time:
    if type(payload) is str:
        return dt.time.fromisoformat(payload)
    parts = _want(payload, list, "time")
    if len(parts) != 2 or type(parts[0]) is not str:
        raise DecodeFailure("malformed 'time' object: expected [iso, extras]", tag="time")
    return _apply_extras(dt.time.fromisoformat(parts[0]), parts[1], "time")


def _decode_registered(payload: Any, registry: TypeRegistry, depth: int) -> Any:
    parts = _want(payload, list, "obj")
    if len(parts) != 2 or type(parts[0]) is not str:
        raise DecodeFailure("malformed 'obj' object: expected [name, payload]", tag="obj")
    name, raw = parts
    entry = registry.entry_for_name(name)
    if entry is None or entry.kind is Kind.EXCEPTION:
        raise DecodeFailure(
            f"the payload holds an object of type {name!r}, which is not registered in this "
            f"process; register the class (botoflowx.converter.register_type(cls, "
            f"name={name!r})) in the code that decodes it",
            tag="obj",
        )
    if entry.kind is Kind.FIELDS:
        fields = _want(raw, dict, "obj")
        unknown = set(fields) - set(entry.field_names)
        if unknown:
            raise DecodeFailure(
                f"object of type {name!r} has fields {sorted(unknown)!r} that "
                f"{entry.cls.__qualname__} does not declare",
                tag="obj",
            )
        fields = _decode_dict(fields, registry, depth + 2)
        return _construct(entry, lambda: entry.cls(**fields))
    value = decode(raw, registry, depth + 2)
    if entry.kind is Kind.ENUM:
        return _construct(entry, lambda: entry.cls(value))
    assert entry.decode is not None  # Kind.CUSTOM always has both callables
    decode_fn = entry.decode
    return _construct(entry, lambda: decode_fn(value))


def _construct(entry: TypeEntry, build: Callable[[], Any]) -> Any:
    try:
        return build()
    except Exception as exc:
        raise DecodeFailure(
            f"could not rebuild {entry.name!r} ({entry.cls.__qualname__}): "
            f"{type(exc).__name__}: {exc}",
            tag="obj",
        ) from exc


_DECODERS: Final[dict[str, Callable[[Any, TypeRegistry, int], Any]]] = {
    "int": _decode_int,
    "float": _decode_float,
    "str": _decode_str,
    "tuple": _decode_tuple,
    "set": _decode_set,
    "frozenset": _decode_frozenset,
    "dict": _decode_pairs,
    "bytes": _decode_bytes,
    "bytearray": _decode_bytearray,
    "decimal": _decode_decimal,
    "uuid": _decode_uuid,
    "datetime": _decode_datetime,
    "date": _decode_date,
    "time": _decode_time,
    "timedelta": _decode_timedelta,
    "obj": _decode_registered,
    "exc": _decode_exception,
}
