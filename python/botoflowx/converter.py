"""Data converters: turn workflow and activity payloads into SWF strings and back, safely.

The default, :class:`JSONDataConverter`, writes JSON through orjson and round-trips
values exactly (type and value). Decoding is data-only: it never imports a module,
never looks up or calls anything a payload names, and constructs only builtin values,
a fixed list of builtin exceptions, and classes the application registered.

Supported values
----------------
``None``, ``bool``, ``int`` (any size), ``float`` (incl. nan, inf and -0.0), ``str``,
``list``, ``dict`` (any hashable keys), ``tuple``, ``set``, ``frozenset``, ``bytes``,
``bytearray``, ``datetime`` (naive or aware; ``datetime.timezone`` offsets and names and
``zoneinfo.ZoneInfo`` keys are kept, and so is ``fold``), ``date``, ``time`` (with its
tzinfo), ``timedelta``, ``Decimal`` (exact, incl. NaN, sNaN, infinities and exponent),
``UUID``, exceptions, and application types registered with :func:`register_type`
(dataclasses, NamedTuples and enums as they are; other classes with ``encode``/``decode``
callables). Types are matched exactly: a subclass of a supported type (an
``OrderedDict``, a ``str`` subclass) must be registered itself.

A datetime whose tzinfo is neither ``datetime.timezone`` nor a keyed ``ZoneInfo``
(pytz, dateutil) comes back with a ``datetime.timezone`` of the same offset and name:
the instant and wall time are kept, the zone's rules are not.

Wire format
-----------
JSON-native values are written as plain JSON, so ordinary payloads stay readable and
cost little more than ``orjson.dumps``: str, bool, null, finite floats, ints in
[-2**63, 2**64 - 1], lists, and objects whose keys are all strings. Everything else is
a *tagged object*, a JSON object with exactly two keys::

    {"__bfx__": "<tag>", "v": <payload>}

=============  ====================================================================
tag            payload
=============  ====================================================================
``tuple``      array of the encoded items
``set``        array of the encoded items, sorted by their JSON (stable across hash seeds)
``frozenset``  as ``set``
``dict``       array of ``[key, value]`` pairs, in order; used when a key is not a str or
               is ``"__bfx__"`` itself, so dicts of any keys (even ``{1: .., "1": ..}``)
               and dicts that look tagged travel unambiguously
``int``        hex string (``"-1f"``), for ints outside the 64-bit range
``float``      ``"nan"``, ``"inf"`` or ``"-inf"``
``str``        base64 of the UTF-8 bytes with lone surrogates kept (``surrogatepass``); only
               for strings with lone surrogates, which JSON cannot carry
``bytes``      base64 string; ``bytearray`` likewise
``decimal``    ``str(Decimal)``
``uuid``       the canonical hyphenated string
``date``       ISO 8601 ``"2024-05-01"``
``datetime``   ``datetime.isoformat()`` (with the UTC offset when aware), or
               ``[iso, extras]`` where extras holds ``zone`` (a ZoneInfo key), ``name``
               (a named fixed offset), ``offset`` (in microseconds, only for offsets
               with a fraction of a second) and/or ``fold`` (1)
``time``       as ``datetime``, with ``time.isoformat()``
``timedelta``  ``[days, seconds, microseconds]``
``obj``        ``[registration name, data]``: ``{field: value}`` for dataclasses and
               NamedTuples, the member's value for enums, ``encode(obj)`` otherwise
``exc``        ``{"type", "base", "message", "args", "traceback"}``: registration name or
               qualified type name (bare for builtins), the first allow-listed builtin in
               its MRO (e.g. ``"ValueError"``), ``str(exc)``, the encoded args (an arg that
               cannot be encoded travels as its repr), the traceback text or null
=============  ====================================================================

An unknown tag, a tagged object with other keys, or a registration name not
registered in the decoding process is a :class:`ConversionError` naming it.

Exceptions come back as their own type when it is registered
(:func:`register_exception`) or one of a fixed list of builtins (``ValueError``,
``KeyError``, ``ZeroDivisionError``, ``OSError`` and its subclasses, ...), rebuilt with
``cls(*args)``; anything else (or a class whose constructor rejects its args) comes back
as a :class:`RemoteException` that keeps the type name, message, args and traceback
text, and is also an instance of the remote type's nearest allow-listed builtin base (so
``except ValueError`` catches an unregistered ``ValueError`` subclass).
:func:`remote_traceback` returns the traceback text of any decoded exception.

No pickle converter
-------------------
botoflow shipped a ``PickleDataConverter``; botoflowx does not. Unpickling runs code
chosen by whoever wrote the payload, and anyone allowed to start or signal an
execution or complete an activity task can write one. (botoflow's JSON converter had
the same hole through ``__import__`` on payload names.) Register your types instead,
or implement the :class:`DataConverter` protocol yourself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar, overload, runtime_checkable

import orjson

from botoflowx import _converter_codec as _codec
from botoflowx._converter_errors import ConversionError, RemoteException, render_path
from botoflowx._converter_registry import BUILTIN_EXCEPTIONS, TypeRegistry

__all__ = [
    "BUILTIN_EXCEPTIONS",
    "MAX_DETAILS_CHARS",
    "ConversionError",
    "DataConverter",
    "JSONDataConverter",
    "RemoteException",
    "TypeRegistry",
    "decode_exception",
    "decode_input",
    "default_converter",
    "default_registry",
    "encode_exception",
    "encode_input",
    "exception_type_name",
    "register_exception",
    "register_type",
    "remote_traceback",
]

T = TypeVar("T", bound=type)

MAX_DETAILS_CHARS = 32_768
"""SWF's limit for ``details`` (and input, result, control) strings, in characters."""

# The fast path of loads: text that contains neither the quoted reserved key nor a
# \u escape (the only way to spell the key differently) has no tagged objects, so
# orjson's result is already the exact value. False positives only cost a walk.
_TAG_NEEDLE = f'"{_codec.TAG}"'
_ESCAPE_NEEDLE = "\\u"
_TAG_NEEDLE_BYTES = _TAG_NEEDLE.encode()
_ESCAPE_NEEDLE_BYTES = _ESCAPE_NEEDLE.encode()


@runtime_checkable
class DataConverter(Protocol):
    """Turns payload values into SWF strings and back.

    Implementations must be thread-safe: workers call them from many threads.
    """

    def dumps(self, value: Any, *, context: str = "") -> str:
        """Encode ``value``; ``context`` names the payload in error messages."""
        ...

    def loads(self, text: str, *, context: str = "") -> Any:
        """Decode ``text``; ``context`` names the payload in error messages."""
        ...


class JSONDataConverter:
    """The default converter: tagged JSON through orjson (format in the module docstring).

    Thread-safe. A converter holds nothing mutable but its registry.

    Args:
        registry: Where user types are looked up. Defaults to the process-wide registry
            that :func:`register_type` and :func:`register_exception` fill, so types
            registered there work with every ``JSONDataConverter()``. Pass your own
            :class:`TypeRegistry` to isolate a converter.
    """

    __slots__ = ("_registry",)

    def __init__(self, registry: TypeRegistry | None = None) -> None:
        self._registry = _DEFAULT_REGISTRY if registry is None else registry

    @property
    def registry(self) -> TypeRegistry:
        """The registry this converter uses."""
        return self._registry

    def __repr__(self) -> str:
        default = " (default registry)" if self._registry is _DEFAULT_REGISTRY else ""
        return f"JSONDataConverter({self._registry!r}){default}"

    def dumps(self, value: Any, *, context: str = "") -> str:
        """Encode ``value`` as a JSON string.

        Args:
            value: Any supported value (see the module docstring).
            context: What the payload is, for error messages, e.g.
                ``"input of activity 'Acts.process'"``.

        Returns:
            The JSON text.

        Raises:
            ConversionError: Part of ``value`` cannot be encoded; the message names its
                type, its path (e.g. ``value[1]['items'][3]``), the context and the fix.
        """
        if type(value) is list and len(value) == 2 and _codec.is_plain_call(value[0], value[1]):
            # A call's input of JSON scalars: nothing to encode. Anything orjson refuses
            # (lone surrogates) takes the general path, which explains it.
            try:
                return orjson.dumps(value).decode()
            except orjson.JSONEncodeError:
                pass
        try:
            tree = _codec.encode(value, self._registry)
        except _codec.EncodeFailure as failure:
            raise _encode_error(failure, "value", context) from None
        return _serialise(tree, context)

    def loads(self, text: str | bytes, *, context: str = "") -> Any:
        """Decode JSON text written by :meth:`dumps`.

        Args:
            text: The payload (str, or UTF-8 bytes).
            context: What the payload is, for error messages.

        Returns:
            The value, with the exact types it was encoded with.

        Raises:
            ConversionError: The text is not JSON, holds an unknown tag or a malformed
                tagged object, or names a type not registered in this process.
        """
        try:
            tree = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise ConversionError(
                f"payload is not valid JSON{_for(context)}: {exc}", context=context
            ) from None
        if isinstance(text, str):
            if _TAG_NEEDLE not in text and _ESCAPE_NEEDLE not in text:
                return tree
        elif _TAG_NEEDLE_BYTES not in text and _ESCAPE_NEEDLE_BYTES not in text:
            return tree
        try:
            return _codec.decode(tree, self._registry)
        except _codec.DecodeFailure as failure:
            raise _decode_error(failure, "payload", context) from None

    def dumps_exception(
        self, exc: BaseException, *, max_chars: int = MAX_DETAILS_CHARS, context: str = ""
    ) -> str:
        """Encode an exception for a failure's ``details``, guaranteed to fit ``max_chars``.

        Gives exactly ``dumps(exc)`` when that fits. Otherwise the args become short
        reprs, then the message is shortened, then the traceback loses its oldest
        frames, so a failure can always be reported (SWF refuses details over 32,768
        characters, and a refused report leaves the task to time out).

        Args:
            exc: The exception.
            max_chars: The budget; defaults to SWF's limit for ``details``.
            context: What the payload is, for error messages.

        Returns:
            JSON text of at most ``max_chars`` characters (given a budget of at least a
            few hundred characters).
        """
        tree = _codec.encode_exception(exc, self._registry)
        text = _serialise(tree, context)
        if len(text) <= max_chars:
            return text
        return _serialise(_codec.shrink_exception(exc, tree, max_chars), context)

    def dumps_input(
        self, args: Sequence[Any], kwargs: Mapping[str, Any], *, context: str = ""
    ) -> str:
        """Encode call arguments as ``dumps([list(args), dict(kwargs)])`` does.

        The output is identical; only error paths differ: they start at ``args[i]`` or
        ``kwargs['name']`` instead of ``value[0][i]``.

        Args:
            args: Positional arguments.
            kwargs: Keyword arguments (str keys).
            context: What the payload is, e.g. ``"input of activity 'Acts.process'"``.

        Returns:
            The JSON text of ``[args, kwargs]``.

        Raises:
            ConversionError: An argument cannot be encoded.
        """
        arg_list, kwarg_dict = list(args), dict(kwargs)
        try:
            encoded_args = _codec.encode(arg_list, self._registry, 1)
        except _codec.EncodeFailure as failure:
            raise _encode_error(failure, "args", context) from None
        try:
            encoded_kwargs = _codec.encode(kwarg_dict, self._registry, 1)
        except _codec.EncodeFailure as failure:
            raise _encode_error(failure, "kwargs", context) from None
        return _serialise([encoded_args, encoded_kwargs], context)

    def loads_input(
        self, text: str | bytes, *, context: str = ""
    ) -> tuple[list[Any], dict[str, Any]]:
        """Decode call arguments written by :meth:`dumps_input` (or ``dumps([args, kwargs])``).

        Like botoflow, a bare JSON object is taken as keyword arguments and a bare
        array that is not an ``[args, kwargs]`` pair as positional arguments, so
        starters in other languages can pass simple input.

        Args:
            text: The payload.
            context: What the payload is, for error messages.

        Returns:
            ``(args, kwargs)``.

        Raises:
            ConversionError: The payload cannot be decoded or is not call input.
        """
        return _split_input(self.loads(text, context=context), context)


def _split_input(value: Any, context: str) -> tuple[list[Any], dict[str, Any]]:
    if (
        type(value) is list
        and len(value) == 2
        and type(value[0]) is list
        and type(value[1]) is dict
        and all(type(key) is str for key in value[1])
    ):
        return value[0], value[1]
    if type(value) is dict and all(type(key) is str for key in value):
        return [], value
    if type(value) is list:
        return value, {}
    if value is None:
        return [], {}
    raise ConversionError(
        f"call input{_for(context)} must be [args, kwargs], an object of keyword arguments or "
        f"an array of positional arguments, got {type(value).__name__}",
        context=context,
    )


def _for(context: str) -> str:
    return f" in {context}" if context else ""


def _serialise(tree: Any, context: str) -> str:
    try:
        return orjson.dumps(tree).decode()
    except orjson.JSONEncodeError as exc:
        if "surrogates" in str(exc):
            # Lone surrogates (e.g. from surrogateescape-decoded file names) are valid
            # Python text but not UTF-8; only now pay for finding them.
            return orjson.dumps(_codec.escape_surrogates(tree)).decode()
        if "ecursion" in str(exc):
            raise ConversionError(
                f"value{_for(context)} nests too deeply for JSON once encoded (orjson stops at "
                "255 levels; tuples, sets and registered types add levels)",
                context=context,
            ) from None
        raise ConversionError(
            f"cannot serialise value{_for(context)}: {exc}", context=context
        ) from exc


def _encode_error(failure: _codec.EncodeFailure, root: str, context: str) -> ConversionError:
    path = render_path(root, failure.segments[::-1])
    advice = f"; {failure.advice}" if failure.advice else ""
    return ConversionError(
        f"cannot encode {failure.type_name} at {path}{_for(context)}: {failure.problem}{advice}",
        path=path,
        context=context,
        type_name=failure.type_name,
    )


def _decode_error(failure: _codec.DecodeFailure, root: str, context: str) -> ConversionError:
    path = render_path(root, failure.segments[::-1])
    return ConversionError(
        f"cannot decode {path}{_for(context)}: {failure.problem}",
        path=path,
        context=context,
        tag=failure.tag,
    )


_DEFAULT_REGISTRY = TypeRegistry()
_default_converter: JSONDataConverter | None = None
_default_lock = threading.Lock()


def default_registry() -> TypeRegistry:
    """Return the process-wide registry that :func:`register_type` fills."""
    return _DEFAULT_REGISTRY


def default_converter() -> JSONDataConverter:
    """Return the process-wide ``JSONDataConverter`` on the default registry."""
    global _default_converter
    if _default_converter is None:
        with _default_lock:
            if _default_converter is None:
                _default_converter = JSONDataConverter(_DEFAULT_REGISTRY)
    return _default_converter


@overload
def register_type(
    cls: T,
    *,
    name: str | None = None,
    encode: Callable[[Any], Any] | None = None,
    decode: Callable[[Any], Any] | None = None,
) -> T: ...


@overload
def register_type(
    cls: None = None,
    *,
    name: str | None = None,
    encode: Callable[[Any], Any] | None = None,
    decode: Callable[[Any], Any] | None = None,
) -> Callable[[T], T]: ...


def register_type(
    cls: T | None = None,
    *,
    name: str | None = None,
    encode: Callable[[Any], Any] | None = None,
    decode: Callable[[Any], Any] | None = None,
) -> T | Callable[[T], T]:
    """Register an application type on the default registry (call or class decorator).

    Dataclasses, NamedTuples, enums and exceptions need nothing else; other classes
    need ``encode`` (object -> encodable value) and ``decode`` (value -> object). See
    :meth:`TypeRegistry.register`.

    Args:
        cls: The class; omit it to get a decorator (``@register_type(name="x")``).
        name: The name written into payloads; defaults to ``"<module>.<qualname>"``.
        encode: Custom encoder for classes without a built-in constructor path.
        decode: Its inverse.

    Returns:
        ``cls`` (or a decorator).

    Raises:
        TypeError: The class cannot be registered as given.
        ValueError: The name or class is already registered differently.
    """
    return _DEFAULT_REGISTRY.register(cls, name, encode=encode, decode=decode)


def register_exception(exc_cls: T, name: str | None = None) -> T:
    """Register an exception type on the default registry so it decodes as itself.

    Args:
        exc_cls: An ``Exception`` subclass, rebuilt with ``exc_cls(*args)``.
        name: The name written into payloads; defaults to ``"<module>.<qualname>"``.

    Returns:
        ``exc_cls`` (so it also works as a class decorator).

    Raises:
        TypeError: ``exc_cls`` is not an ``Exception`` subclass.
        ValueError: The name is taken.
    """
    return _DEFAULT_REGISTRY.register_exception(exc_cls, name)


def encode_exception(exc: BaseException, registry: TypeRegistry | None = None) -> dict[str, Any]:
    """Return the JSON-native tagged object for ``exc`` (what ``dumps(exc)`` writes).

    Args:
        exc: The exception; its traceback, if any, is formatted into the payload.
        registry: The registry to use (default: the process-wide one).

    Returns:
        ``{"__bfx__": "exc", "v": {"type", "base", "message", "args", "traceback"}}``.
    """
    tree: dict[str, Any] = _codec.encode_exception(exc, registry or _DEFAULT_REGISTRY)
    return tree


def decode_exception(
    data: Mapping[str, Any], registry: TypeRegistry | None = None
) -> BaseException:
    """Rebuild an exception from :func:`encode_exception` output.

    Args:
        data: The tagged object.
        registry: The registry to use (default: the process-wide one).

    Returns:
        The exception: its registered or allow-listed builtin type, else a
        :class:`RemoteException`.

    Raises:
        ConversionError: ``data`` is not an encoded exception.
    """
    if not isinstance(data, Mapping) or data.get(_codec.TAG) != "exc":
        raise ConversionError("not an encoded exception: expected a tagged 'exc' object")
    try:
        value = _codec.decode(dict(data), registry or _DEFAULT_REGISTRY)
    except _codec.DecodeFailure as failure:
        raise _decode_error(failure, "exception", "") from None
    assert isinstance(value, BaseException)
    return value


def exception_type_name(exc: BaseException, registry: TypeRegistry | None = None) -> str:
    """Return the type name ``exc`` travels under (for failure ``reason`` strings).

    Args:
        exc: The exception.
        registry: The registry to use (default: the process-wide one).

    Returns:
        Its registration name, the original name for a :class:`RemoteException`, the
        bare name for builtins, else ``"<module>.<qualname>"``.
    """
    return _codec.exception_type_name(exc, registry or _DEFAULT_REGISTRY)


def remote_traceback(exc: BaseException) -> str | None:
    """Return the traceback text a decoded exception travelled with, or None."""
    return _codec.remote_traceback(exc)


def encode_input(
    converter: DataConverter, args: Sequence[Any], kwargs: Mapping[str, Any], *, context: str = ""
) -> str:
    """Encode call input (``[list(args), dict(kwargs)]``) with any converter.

    Args:
        converter: The converter.
        args: Positional arguments.
        kwargs: Keyword arguments.
        context: What the payload is, for error messages.

    Returns:
        The payload text.
    """
    if isinstance(converter, JSONDataConverter):
        return converter.dumps_input(args, kwargs, context=context)
    return converter.dumps([list(args), dict(kwargs)], context=context)


def decode_input(
    converter: DataConverter, text: str, *, context: str = ""
) -> tuple[list[Any], dict[str, Any]]:
    """Decode call input written by :func:`encode_input` with any converter.

    Args:
        converter: The converter.
        text: The payload.
        context: What the payload is, for error messages.

    Returns:
        ``(args, kwargs)``.

    Raises:
        ConversionError: The payload is not call input.
    """
    return _split_input(converter.loads(text, context=context), context)
