"""Errors raised by the data converter and the stand-in for exceptions it cannot rebuild."""

from __future__ import annotations

from typing import Any, ClassVar, Final

from botoflowx._converter_registry import BUILTIN_EXCEPTIONS

__all__ = ["STAND_INS", "ConversionError", "RemoteException", "render_path", "stand_in"]

# Long keys or reprs in a path would drown the message; the path only has to point.
_MAX_SEGMENT_CHARS = 60
# A circular structure produces a path as long as the depth limit; show its ends only.
_MAX_PATH_SEGMENTS = 12


def render_path(root: str, segments: list[str]) -> str:
    """Join path segments (outermost first) under ``root``, eliding the middle of long paths.

    Args:
        root: The name of the top-level value, e.g. ``"value"`` or ``"args"``.
        segments: Rendered segments such as ``"[3]"``, ``"['items']"`` or ``".field"``.

    Returns:
        A Python-like access path such as ``args[1]['items'][3]``.
    """
    if len(segments) > _MAX_PATH_SEGMENTS:
        half = _MAX_PATH_SEGMENTS // 2
        omitted = len(segments) - 2 * half
        segments = [*segments[:half], f"...<{omitted} levels>...", *segments[-half:]]
    return root + "".join(segments)


def short_repr(value: Any) -> str:
    """Return ``repr(value)`` cut to a readable length; never raises.

    Args:
        value: Any object, including ones whose ``__repr__`` is broken.

    Returns:
        The (possibly shortened) representation.
    """
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__qualname__} object with a failing __repr__>"
    if len(text) > _MAX_SEGMENT_CHARS:
        text = text[: _MAX_SEGMENT_CHARS - 3] + "..."
    return text


class ConversionError(ValueError):
    """A value could not be encoded, or a payload could not be decoded.

    The message says what failed, where (``path``, an access path into the value
    such as ``args[1]['items'][3]``), in which payload (``context``, e.g.
    ``"input of activity 'Acts.process'"``) and what to do about it.

    Attributes:
        path: Where in the value or payload the problem is ("" when it is the whole payload).
        context: The caller's description of the payload ("" when none was given).
        type_name: The qualified name of the offending Python type, for encode errors.
        tag: The offending tag, for decode errors about tagged objects.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str = "",
        context: str = "",
        type_name: str | None = None,
        tag: str | None = None,
    ) -> None:
        self.path = path
        self.context = context
        self.type_name = type_name
        self.tag = tag
        super().__init__(message)


class RemoteException(Exception):
    """Stands in for a remote exception whose type is not available in this process.

    Decoding never imports or constructs a type a payload names unless the application
    registered it (or it is one of a short list of builtin exceptions), so an exception
    of any other type comes back as a ``RemoteException`` that keeps everything the
    payload carried. When the remote type derives from one of those builtins (say a
    ``ValueError`` subclass), the stand-in is also an instance of that builtin, so
    ``except ValueError`` still catches it.

    Attributes:
        type_name: The remote exception's qualified type name, e.g. ``"myapp.errors.Declined"``.
        message: ``str()`` of the remote exception.
        remote_args: The remote exception's ``args`` (decoded where possible, else their repr).
        remote_traceback: The remote traceback text, or None when there was none.
        remote_base: The allow-listed builtin the remote type derives from.
    """

    remote_base: ClassVar[str] = "Exception"

    def __init__(
        self,
        type_name: str,
        message: str,
        remote_args: tuple[Any, ...] = (),
        remote_traceback: str | None = None,
    ) -> None:
        super().__init__(type_name, message)
        self.type_name = type_name
        self.message = message
        self.remote_args = tuple(remote_args)
        self.remote_traceback = remote_traceback

    def __str__(self) -> str:
        return (
            f"{self.type_name}: {self.message} (a RemoteException standing in for "
            f"{self.type_name}, which is not registered in this process; register it with "
            f"botoflowx.converter.register_exception to get the original type back)"
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.type_name!r}, {self.message!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # The stand-in subclasses are not module attributes, and BaseException's
        # default reduce would call cls(*self.args); rebuild through stand_in().
        return (
            stand_in,
            (
                self.remote_base,
                self.type_name,
                self.message,
                self.remote_args,
                self.remote_traceback,
            ),
        )


# Their constructors insist on 4 or 5 specific arguments; their stand-ins are
# UnicodeError's, which still catches them.
_UNICODE_DETAIL_ERRORS: Final = {
    "UnicodeDecodeError",
    "UnicodeEncodeError",
    "UnicodeTranslateError",
}


def _make_stand_ins() -> dict[str, type[RemoteException]]:
    stand_ins: dict[str, type[RemoteException]] = {"Exception": RemoteException}
    for name, builtin in BUILTIN_EXCEPTIONS.items():
        if name == "Exception" or name in _UNICODE_DETAIL_ERRORS:
            continue
        cls = type(f"Remote{name}", (RemoteException, builtin), {"remote_base": name})
        cls.__module__ = __name__
        cls.__doc__ = f"A RemoteException for a remote {name} subclass not registered here."
        stand_ins[name] = cls
    for name in _UNICODE_DETAIL_ERRORS:
        stand_ins[name] = stand_ins["UnicodeError"]
    return stand_ins


STAND_INS: Final[dict[str, type[RemoteException]]] = _make_stand_ins()
"""The stand-in class for each allow-listed builtin base, by the builtin's name."""


def stand_in(
    base: str,
    type_name: str,
    message: str,
    remote_args: tuple[Any, ...] = (),
    remote_traceback: str | None = None,
) -> RemoteException:
    """Build the stand-in for a remote exception whose nearest allow-listed base is ``base``.

    Args:
        base: The name of an allow-listed builtin exception; anything else gives a
            plain :class:`RemoteException`.
        type_name: The remote type's name.
        message: ``str()`` of the remote exception.
        remote_args: Its args.
        remote_traceback: Its traceback text.

    Returns:
        The stand-in exception.
    """
    cls = STAND_INS.get(base, RemoteException)
    return cls(type_name, message, remote_args, remote_traceback)
