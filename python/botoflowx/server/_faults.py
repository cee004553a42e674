"""SWF fault types raised by the embedded server and rendered as SWF error responses."""

from __future__ import annotations

# Modeled faults live in this namespace; botocore keeps the part after '#'.
SWF_NAMESPACE = "com.amazonaws.swf.base.model"


class SWFFault(Exception):
    """An error answered to the client as HTTP ``status`` with SWF's error shape.

    ``code`` is the bare fault name (``UnknownResourceFault``); ``type_prefix``
    is the namespace that goes in front of it in the ``__type`` member.
    """

    code = "InternalFailure"
    type_prefix = "com.amazon.coral.service"
    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def wire_type(self) -> str:
        return f"{self.type_prefix}#{self.code}"


class _Modeled(SWFFault):
    type_prefix = SWF_NAMESPACE
    status = 400


class UnknownResourceFault(_Modeled):
    code = "UnknownResourceFault"


class DomainAlreadyExistsFault(_Modeled):
    code = "DomainAlreadyExistsFault"


class DomainDeprecatedFault(_Modeled):
    code = "DomainDeprecatedFault"


class TypeAlreadyExistsFault(_Modeled):
    code = "TypeAlreadyExistsFault"


class TypeDeprecatedFault(_Modeled):
    code = "TypeDeprecatedFault"


class TypeNotDeprecatedFault(_Modeled):
    code = "TypeNotDeprecatedFault"


class WorkflowExecutionAlreadyStartedFault(_Modeled):
    code = "WorkflowExecutionAlreadyStartedFault"


class DefaultUndefinedFault(_Modeled):
    code = "DefaultUndefinedFault"


class LimitExceededFault(_Modeled):
    code = "LimitExceededFault"


class OperationNotPermittedFault(_Modeled):
    code = "OperationNotPermittedFault"


class TooManyTagsFault(_Modeled):
    code = "TooManyTagsFault"


class ValidationException(SWFFault):
    code = "ValidationException"
    type_prefix = "com.amazon.coral.validate"
    status = 400


class UnknownOperationException(SWFFault):
    code = "UnknownOperationException"
    type_prefix = "com.amazon.coral.service"
    status = 400


class SerializationException(SWFFault):
    """The body is not a JSON object (SWF answers malformed JSON this way)."""

    code = "SerializationException"
    type_prefix = "com.amazon.coral.service"
    status = 400


class RequestEntityTooLargeException(SWFFault):
    code = "RequestEntityTooLargeException"
    type_prefix = "com.amazon.coral.service"
    status = 413


class IncompleteSignatureException(SWFFault):
    code = "IncompleteSignatureException"
    type_prefix = "com.amazon.coral.service"
    status = 400


class UnrecognizedClientException(SWFFault):
    code = "UnrecognizedClientException"
    type_prefix = "com.amazon.coral.service"
    status = 400


class InvalidSignatureException(SWFFault):
    code = "InvalidSignatureException"
    type_prefix = "com.amazon.coral.service"
    status = 400


class InternalFailure(SWFFault):
    code = "InternalFailure"
