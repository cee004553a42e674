"""Errors raised by the data converter and the stand-in for exceptions it cannot rebuild."""

from __future__ import annotations

from typing import Any

__all__ = ["ConversionError", "RemoteException", "render_path"]

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
    payload carried.

    Attributes:
        type_name: The remote exception's qualified type name, e.g. ``"myapp.errors.Declined"``.
        message: ``str()`` of the remote exception.
        remote_args: The remote exception's ``args`` (decoded where possible, else their repr).
        remote_traceback: The remote traceback text, or None when there was none.
    """

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
        return f"RemoteException({self.type_name!r}, {self.message!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # BaseException's default reduce would call cls(*self.args), which does not
        # match this signature; spell the constructor arguments out instead.
        return (
            type(self),
            (self.type_name, self.message, self.remote_args, self.remote_traceback),
        )
