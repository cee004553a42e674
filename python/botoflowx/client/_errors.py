"""SWF service errors as one exception type, whichever transport raised them."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

# Fault codes after which repeating the same request can succeed.
THROTTLING_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "SlowDown",
    }
)
TRANSIENT_CODES = frozenset(
    {"InternalFailure", "InternalError", "ServiceUnavailable", "ConnectionError"}
)


class SWFError(Exception):
    """An error answer from the SWF service (or a compatible server).

    Attributes:
        code: The bare fault name, e.g. ``"UnknownResourceFault"`` (the part of
            ``__type`` after ``#``).
        message: The service's message.
        status: The HTTP status of the answer (0 when unknown).
        operation: The SWF operation that failed, e.g. ``"PollForDecisionTask"``.
    """

    def __init__(self, code: str, message: str, *, status: int = 0, operation: str = "") -> None:
        super().__init__(f"{operation or 'SWF'}: {code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.operation = operation

    @property
    def retryable(self) -> bool:
        """Whether repeating the request may succeed (throttling or a server fault)."""
        return self.code in THROTTLING_CODES or self.code in TRANSIENT_CODES or self.status >= 500


def error_code(exc: BaseException) -> str | None:
    """The SWF fault code carried by ``exc``, or None when it is not a service error.

    Works for :class:`SWFError` and for botocore's ``ClientError`` so callers can
    treat both transports alike.
    """
    if isinstance(exc, SWFError):
        return exc.code
    if isinstance(exc, ClientError):
        error: Any = exc.response.get("Error", {})
        code = error.get("Code")
        return str(code) if code else None
    return None


def is_unknown_resource(exc: BaseException) -> bool:
    """True when ``exc`` says the task, execution, domain or type does not exist (any more)."""
    return error_code(exc) == "UnknownResourceFault"
