"""ManualActivityCompletionClient: finish a manual activity by its task token, from anywhere."""

from __future__ import annotations

import logging
from typing import Any

from botoflowx.client._swf import SessionLike, SWFClient, make_swf_client
from botoflowx.constants import MAX_DATA_SIZE, MAX_REASON_SIZE
from botoflowx.exceptions import PayloadTooLargeError

__all__ = ["ManualActivityCompletionClient"]

log = logging.getLogger(__name__)

# SWF's limit on heartbeat details (characters); results and failure details get 32,768.
MAX_HEARTBEAT_DETAILS = 2048
# SWF's limit on a task token (characters).
MAX_TOKEN_SIZE = 1024


def _default_converter() -> Any:
    from botoflowx.converter import default_converter

    return default_converter()


class ManualActivityCompletionClient:
    """Completes, fails, cancels or heartbeats activity tasks by their task token.

    A ``@manual_activity`` hands its token (``get_context().task.token``) to some other
    party (a person, a queue, another service) and returns; the task stays open until
    that party calls one of these methods, from this process or any other. The token
    is all it needs: it names the domain, the run and the activity.

    Argument order follows botoflow where botoflow's was sane: ``complete(result,
    task_token)``; the others take the token first (botoflow put it second, after the
    optional details, which made the details mandatory).

    Args:
        swf_client: A boto3 SWF client; built from ``session``/``region``/
            ``endpoint_url`` when None.
        data_converter: Encodes results, failure details and non-string heartbeat
            details (default: botoflowx's JSON converter). Use the one the workflow
            decodes the activity with.
        session: A ``boto3.Session``, a ``botocore.session.Session`` or None.
        region: The AWS region.
        endpoint_url: The SWF endpoint (default ``$BOTOFLOWX_ENDPOINT_URL``, then AWS).

    Every method raises ``botocore.exceptions.ClientError`` when SWF refuses, notably
    ``UnknownResourceFault`` when the task is no longer open (it timed out, was
    canceled, was already completed, or its workflow closed).
    """

    def __init__(
        self,
        swf_client: SWFClient | None = None,
        data_converter: Any = None,
        *,
        session: SessionLike = None,
        region: str | None = None,
        endpoint_url: str | None = None,
    ) -> None:
        if swf_client is not None and (
            session is not None or region is not None or endpoint_url is not None
        ):
            raise TypeError(
                "pass either swf_client or session/region/endpoint_url to build one, not both"
            )
        self.swf_client = (
            swf_client if swf_client is not None else make_swf_client(session, region, endpoint_url)
        )
        self.data_converter = data_converter if data_converter is not None else _default_converter()

    def complete(self, result: Any, task_token: str) -> None:
        """Complete the task with ``result`` (``RespondActivityTaskCompleted``).

        Raises:
            PayloadTooLargeError: the encoded result is over 32,768 characters.
        """
        payload = self.data_converter.dumps(result)
        _check_size("result", payload, MAX_DATA_SIZE)
        self.swf_client.respond_activity_task_completed(
            taskToken=_token(task_token), result=payload
        )

    def fail(self, task_token: str, reason: str | None = None, details: Any = None) -> None:
        """Fail the task (``RespondActivityTaskFailed``).

        Args:
            task_token: The task's token.
            reason: A short reason (cut to 256 characters); defaults to
                ``"Type: message"`` when ``details`` is an exception.
            details: An exception (encoded with the data converter, so the workflow
                gets it back as ``ActivityTaskFailedError.cause``), a string sent as
                is, or None.

        Raises:
            PayloadTooLargeError: the details are over 32,768 characters.
        """
        kwargs: dict[str, Any] = {"taskToken": _token(task_token)}
        if isinstance(details, BaseException):
            if reason is None:
                reason = f"{type(details).__name__}: {details}"
            details = self.data_converter.dumps(details)
        elif details is not None and not isinstance(details, str):
            details = self.data_converter.dumps(details)
        if reason is not None:
            kwargs["reason"] = reason[:MAX_REASON_SIZE]
        if details is not None:
            _check_size("details", details, MAX_DATA_SIZE)
            kwargs["details"] = details
        self.swf_client.respond_activity_task_failed(**kwargs)

    def cancel(self, task_token: str, details: str | None = None) -> None:
        """Report the task canceled (``RespondActivityTaskCanceled``).

        SWF accepts this only after the workflow asked to cancel the task; check with
        :meth:`record_heartbeat` first.

        Raises:
            PayloadTooLargeError: the details are over 32,768 characters.
        """
        kwargs: dict[str, Any] = {"taskToken": _token(task_token)}
        if details is not None:
            _check_size("details", details, MAX_DATA_SIZE)
            kwargs["details"] = details
        self.swf_client.respond_activity_task_canceled(**kwargs)

    def record_heartbeat(self, task_token: str, details: Any = None) -> bool:
        """Report progress (``RecordActivityTaskHeartbeat``); return ``cancelRequested``.

        Each call resets the task's heartbeat timeout, and the details are what a retry
        of the activity sees if this attempt times out.

        Args:
            task_token: The task's token.
            details: A string sent as is, another value encoded with the data
                converter, or None. At most 2,048 characters.

        Returns:
            True when the workflow asked to cancel the task: finish with :meth:`cancel`.

        Raises:
            PayloadTooLargeError: the details are over 2,048 characters.
        """
        kwargs: dict[str, Any] = {"taskToken": _token(task_token)}
        if details is not None:
            if not isinstance(details, str):
                details = self.data_converter.dumps(details)
            _check_size("details", details, MAX_HEARTBEAT_DETAILS)
            kwargs["details"] = details
        response = self.swf_client.record_activity_task_heartbeat(**kwargs)
        return bool(response.get("cancelRequested", False))

    def __repr__(self) -> str:
        endpoint = getattr(getattr(self.swf_client, "meta", None), "endpoint_url", "?")
        return f"ManualActivityCompletionClient(endpoint_url={endpoint!r})"


def _token(task_token: Any) -> str:
    if not isinstance(task_token, str) or not task_token:
        raise TypeError(f"task_token must be a non-empty string, got {task_token!r}")
    if len(task_token) > MAX_TOKEN_SIZE:
        raise ValueError(
            f"task_token is {len(task_token)} characters; SWF tokens have at most "
            f"{MAX_TOKEN_SIZE}: is this the task token?"
        )
    return task_token


def _check_size(field: str, payload: str, limit: int) -> None:
    if len(payload) > limit:
        raise PayloadTooLargeError(field, len(payload), limit, "manual activity completion")
