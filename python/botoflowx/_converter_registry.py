"""The registry of application types the data converter is allowed to encode and rebuild."""

from __future__ import annotations

import dataclasses
import enum
import threading
from collections.abc import Callable
from typing import Any, Final, TypeVar, overload

__all__ = ["BUILTIN_EXCEPTIONS", "Kind", "TypeEntry", "TypeRegistry"]

T = TypeVar("T", bound=type)

EncodeFn = Callable[[Any], Any]
DecodeFn = Callable[[Any], Any]

_MAX_NAME_CHARS: Final = 256


class Kind(enum.Enum):
    """How a registered type is taken apart and rebuilt (its fixed constructor path)."""

    FIELDS = "fields"
    """Dataclass or NamedTuple: encoded as ``{field: value}``, rebuilt with ``cls(**fields)``."""
    ENUM = "enum"
    """Enum member: encoded as its ``value``, rebuilt with ``cls(value)``."""
    CUSTOM = "custom"
    """Any other class: ``encode(obj)`` gives an encodable value, ``decode(value)`` the object."""
    EXCEPTION = "exception"
    """Exception: encoded as type name, message, args and traceback; rebuilt with ``cls(*args)``."""


# Builtin exceptions a payload may name and get back as themselves. The list is
# fixed on purpose: decoding may construct these and registered types, nothing
# else. BaseException-only types (SystemExit, KeyboardInterrupt, GeneratorExit)
# are left out because raising them inside a worker would stop it, and
# StopIteration because it changes meaning inside generators (workflow code).
BUILTIN_EXCEPTIONS: Final[dict[str, type[BaseException]]] = {
    cls.__name__: cls
    for cls in (
        ArithmeticError,
        AssertionError,
        AttributeError,
        BlockingIOError,
        BrokenPipeError,
        BufferError,
        ChildProcessError,
        ConnectionAbortedError,
        ConnectionError,
        ConnectionRefusedError,
        ConnectionResetError,
        EOFError,
        Exception,
        FileExistsError,
        FileNotFoundError,
        FloatingPointError,
        ImportError,
        IndexError,
        InterruptedError,
        IsADirectoryError,
        KeyError,
        LookupError,
        MemoryError,
        ModuleNotFoundError,
        NameError,
        NotADirectoryError,
        NotImplementedError,
        OSError,
        OverflowError,
        PermissionError,
        ProcessLookupError,
        RecursionError,
        ReferenceError,
        RuntimeError,
        TimeoutError,
        TypeError,
        UnboundLocalError,
        UnicodeDecodeError,
        UnicodeEncodeError,
        UnicodeError,
        UnicodeTranslateError,
        ValueError,
        ZeroDivisionError,
    )
}


@dataclasses.dataclass(frozen=True)
class TypeEntry:
    """One registered type.

    Attributes:
        cls: The registered class.
        name: Its registration name, the only thing the wire format carries.
        kind: Which constructor path rebuilds it.
        field_names: For ``Kind.FIELDS``, the constructor's field names in order.
        encode: For ``Kind.CUSTOM``, the application's ``obj -> value`` callable.
        decode: For ``Kind.CUSTOM``, the application's ``value -> obj`` callable.
    """

    cls: type
    name: str
    kind: Kind
    field_names: tuple[str, ...] = ()
    encode: EncodeFn | None = None
    decode: DecodeFn | None = None


def default_name(cls: type) -> str:
    """Return the registration name used when none is given: ``module.QualName``.

    Args:
        cls: The class.

    Returns:
        ``QualName`` alone for builtins, else ``"<module>.<qualname>"``.
    """
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


def _check_name(name: object, cls: type) -> str:
    if not isinstance(name, str) or not name or len(name) > _MAX_NAME_CHARS:
        raise ValueError(
            f"registration name for {cls.__qualname__} must be a non-empty str of at most "
            f"{_MAX_NAME_CHARS} characters, got {name!r}"
        )
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"registration name {name!r} is not valid UTF-8 text") from None
    return name


def _entry_for(cls: type, name: str, encode: EncodeFn | None, decode: DecodeFn | None) -> TypeEntry:
    """Work out the constructor path for ``cls``; raise TypeError when there is none."""
    if (encode is None) != (decode is None):
        raise TypeError(f"register({cls.__qualname__}): give both encode= and decode=, or neither")
    if encode is not None:
        if issubclass(cls, BaseException):
            raise TypeError(
                f"register({cls.__qualname__}): exceptions always travel as type name, "
                "message, args and traceback; register them without encode= and decode="
            )
        if not callable(encode) or not callable(decode):
            raise TypeError(f"register({cls.__qualname__}): encode= and decode= must be callable")
        return TypeEntry(cls, name, Kind.CUSTOM, encode=encode, decode=decode)
    if issubclass(cls, BaseException):
        if not issubclass(cls, Exception):
            raise TypeError(
                f"cannot register {cls.__qualname__}: only Exception subclasses can travel "
                "(BaseException-only types such as SystemExit would stop a worker)"
            )
        return TypeEntry(cls, name, Kind.EXCEPTION)
    if issubclass(cls, enum.Enum):
        return TypeEntry(cls, name, Kind.ENUM)
    if dataclasses.is_dataclass(cls):
        fields = tuple(f.name for f in dataclasses.fields(cls) if f.init)
        return TypeEntry(cls, name, Kind.FIELDS, field_names=fields)
    namedtuple_fields = getattr(cls, "_fields", None) if issubclass(cls, tuple) else None
    if isinstance(namedtuple_fields, tuple):
        return TypeEntry(cls, name, Kind.FIELDS, field_names=namedtuple_fields)
    raise TypeError(
        f"cannot register {cls.__qualname__}: the converter rebuilds dataclasses, NamedTuples, "
        "enums and exceptions by themselves; for any other class pass encode= (object -> "
        "encodable value) and decode= (value -> object)"
    )


class TypeRegistry:
    """The application's user types, by class and by registration name.

    Only types in a registry can be encoded (beyond the builtin ones) and only they
    can be constructed when decoding. Registration is thread-safe; lookups take no
    lock (the maps are replaced, never mutated, so a reader always sees a whole map).

    Constructor paths (fixed per kind, never chosen by a payload):

    * dataclass: fields with ``init=True`` are written as ``{name: value}``; decoding
      calls ``cls(**fields)`` (``init=False`` fields are left to the class to compute,
      and ``InitVar`` pseudo-fields are not carried, so give them defaults);
    * ``NamedTuple`` / ``namedtuple``: the same, with ``cls(**fields)``;
    * ``Enum`` (incl. ``IntEnum``, ``StrEnum``, ``Flag``): the member's ``value``; ``cls(value)``;
    * exception: type name, message, args, traceback; ``cls(*args)``;
    * any other class: the application's ``encode(obj)`` must return an encodable value
      and ``decode(value)`` must return the object. These also override the above.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_type: dict[type, TypeEntry] = {}
        self._by_name: dict[str, TypeEntry] = {}

    @overload
    def register(
        self,
        cls: T,
        name: str | None = None,
        *,
        encode: EncodeFn | None = None,
        decode: DecodeFn | None = None,
    ) -> T: ...

    @overload
    def register(
        self,
        cls: None = None,
        name: str | None = None,
        *,
        encode: EncodeFn | None = None,
        decode: DecodeFn | None = None,
    ) -> Callable[[T], T]: ...

    def register(
        self,
        cls: T | None = None,
        name: str | None = None,
        *,
        encode: EncodeFn | None = None,
        decode: DecodeFn | None = None,
    ) -> T | Callable[[T], T]:
        """Allow ``cls`` to be encoded and rebuilt, under ``name``.

        Usable as ``registry.register(Cls)``, ``@registry.register`` or
        ``@registry.register(name="orders.Order")``. Registering the same class again
        with the same settings is a no-op; re-defining a class (same module and
        qualified name, e.g. a reloaded module) replaces the old registration.

        Args:
            cls: The class; omit it to get a class decorator.
            name: The name written into payloads; defaults to ``"<module>.<qualname>"``.
                Give a stable name if the class may move between modules.
            encode: For classes that are not dataclasses, NamedTuples, enums or
                exceptions: ``obj -> value`` where value is itself encodable.
            decode: The inverse of ``encode``: ``value -> obj``.

        Returns:
            ``cls`` itself (or a decorator when ``cls`` was omitted).

        Raises:
            TypeError: The class has no constructor path (see the class docstring).
            ValueError: The name is taken by another class, or the class is
                registered under another name.
        """
        if cls is None:

            def decorator(klass: T) -> T:
                return self.register(klass, name, encode=encode, decode=decode)

            return decorator
        if not isinstance(cls, type):
            raise TypeError(f"register() takes a class, got {cls!r}")
        entry = _entry_for(
            cls, _check_name(default_name(cls) if name is None else name, cls), encode, decode
        )
        self._add(entry)
        return cls

    def register_exception(self, exc_cls: T, name: str | None = None) -> T:
        """Allow exceptions of ``exc_cls`` to come back as themselves when decoded.

        Unregistered exceptions still travel; they come back as
        :class:`~botoflowx.converter.RemoteException` (or as themselves for a short
        list of builtin exceptions such as ``ValueError``).

        Args:
            exc_cls: An ``Exception`` subclass. It is rebuilt with ``exc_cls(*args)``.
            name: The name written into payloads; defaults to ``"<module>.<qualname>"``.

        Returns:
            ``exc_cls`` itself, so this also works as a class decorator.

        Raises:
            TypeError: ``exc_cls`` is not an ``Exception`` subclass.
            ValueError: The name is taken, or is the name of an allow-listed builtin.
        """
        if not isinstance(exc_cls, type) or not issubclass(exc_cls, Exception):
            raise TypeError(f"register_exception() takes an Exception subclass, got {exc_cls!r}")
        return self.register(exc_cls, name)

    def _add(self, entry: TypeEntry) -> None:
        if entry.kind is Kind.EXCEPTION and entry.name in BUILTIN_EXCEPTIONS:
            raise ValueError(
                f"cannot register {entry.cls.__qualname__} as {entry.name!r}: that name means "
                "the builtin exception; choose another name"
            )
        with self._lock:
            old_by_name = self._by_name.get(entry.name)
            old_by_type = self._by_type.get(entry.cls)
            if old_by_name == entry:
                return
            if old_by_type is not None and old_by_type.name != entry.name:
                raise ValueError(
                    f"{entry.cls.__qualname__} is already registered as {old_by_type.name!r}"
                )
            if old_by_name is not None and not _same_definition(old_by_name.cls, entry.cls):
                raise ValueError(
                    f"registration name {entry.name!r} is already used by "
                    f"{default_name(old_by_name.cls)}; pass name= to choose another"
                )
            by_type = dict(self._by_type)
            by_name = dict(self._by_name)
            if old_by_name is not None:
                by_type.pop(old_by_name.cls, None)
            by_type[entry.cls] = entry
            by_name[entry.name] = entry
            self._by_type, self._by_name = by_type, by_name

    def entry_for_type(self, cls: type) -> TypeEntry | None:
        """Return the entry for exactly ``cls`` (subclasses are not implied), or None."""
        return self._by_type.get(cls)

    def entry_for_name(self, name: str) -> TypeEntry | None:
        """Return the entry registered under ``name``, or None."""
        return self._by_name.get(name)

    def __contains__(self, cls: object) -> bool:
        return cls in self._by_type

    def __len__(self) -> int:
        return len(self._by_name)

    def __repr__(self) -> str:
        return f"<TypeRegistry with {len(self._by_name)} types>"


def _same_definition(old: type, new: type) -> bool:
    """True when ``new`` re-defines ``old`` (a reloaded module or re-run cell)."""
    return old.__module__ == new.__module__ and old.__qualname__ == new.__qualname__
