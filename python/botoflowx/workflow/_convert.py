"""The data-converter protocol as the engine uses it, and lazy access to the default one."""

from __future__ import annotations

import inspect
import threading
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "DataConverter",
    "default_converter",
    "dumps",
    "loads",
    "remote_traceback",
    "resolve_converter",
]


@runtime_checkable
class DataConverter(Protocol):
    """Turns values into SWF payload strings and back."""

    def dumps(self, value: Any) -> str:
        """Encode ``value`` as a payload string."""

    def loads(self, text: str) -> Any:
        """Decode a payload string."""


_lock = threading.Lock()
_default: DataConverter | None = None


def default_converter() -> DataConverter:
    """Return the process-wide default converter (``botoflowx.converter``'s), created once."""
    global _default
    if _default is None:
        with _lock:
            if _default is None:
                # Imported lazily: the converter module imports the workflow package's
                # siblings, and definitions must be importable before it is.
                from botoflowx import converter

                _default = converter.default_converter()
    return _default


def resolve_converter(converter: DataConverter | None) -> DataConverter:
    """Return ``converter``, or the default one when it is None."""
    return converter if converter is not None else default_converter()


_context_support: dict[type, bool] = {}


def takes_context(converter: DataConverter) -> bool:
    """Whether ``converter``'s dumps and loads take ``context`` (known per converter type)."""
    kind = type(converter)
    known = _context_support.get(kind)
    if known is None:
        try:
            params = inspect.signature(converter.dumps).parameters
            known = (
                "context" in params and "context" in inspect.signature(converter.loads).parameters
            )
        except (TypeError, ValueError):
            known = False
        _context_support[kind] = known
    return known


def dumps(converter: DataConverter, value: Any, context: str) -> str:
    """Encode ``value``; ``context`` names it in errors when the converter supports that."""
    with_context = _context_support.get(type(converter))  # takes_context's cache
    if with_context is None:
        with_context = takes_context(converter)
    if with_context:
        return converter.dumps(value, context=context)  # type: ignore[call-arg]
    return converter.dumps(value)


def loads(converter: DataConverter, text: str, context: str) -> Any:
    """Decode ``text``; ``context`` names it in errors when the converter supports that."""
    with_context = _context_support.get(type(converter))  # takes_context's cache
    if with_context is None:
        with_context = takes_context(converter)
    if with_context:
        return converter.loads(text, context=context)  # type: ignore[call-arg]
    return converter.loads(text)


def remote_traceback(exc: BaseException) -> str | None:
    """Return the traceback text a decoded exception travelled with, or None."""
    try:
        from botoflowx.converter import remote_traceback as converter_remote_traceback
    except ImportError:  # pragma: no cover - the converter ships with the package
        text = getattr(exc, "remote_traceback", None)
        return text if isinstance(text, str) else None
    return converter_remote_traceback(exc)
