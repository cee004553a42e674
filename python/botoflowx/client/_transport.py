"""A raw-bytes SWF transport: SigV4-signed JSON 1.0 calls whose response bodies stay bytes.

The decider hands ``PollForDecisionTask`` pages straight to the Rust replay
core, so they must not go through botocore's parser (one dict per event). The
hot calls also skip botocore's request machinery: they are signed with
botocore's credentials by the Rust core's ``RequestSigner``, which writes the
whole request head with botocore's exact signature at a fraction of the cost,
and sent over a lean keep-alive HTTP/1.1 pool (``_http.py``). Endpoint, region, credentials and CA
bundle are those a boto3 client of the same session would use, and so is the
proxy (``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY``), if it is an ``http://`` one.
"""

from __future__ import annotations

import logging
import ssl
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypedDict
from urllib.parse import urlsplit

import orjson
from botocore.credentials import ReadOnlyCredentials

from botoflowx._replay import RequestSigner
from botoflowx._version import __version__
from botoflowx.client._backoff import Backoff
from botoflowx.client._errors import SWFError
from botoflowx.client._http import (
    ConnectFailed,
    ConnectionPool,
    Proxy,
    ProxyRefused,
    RequestFailed,
)

__all__ = [
    "ActivityTaskResponse",
    "CredentialsProvider",
    "RawActivityClient",
    "RawSWFTransport",
    "SWFError",
    "poll_for_activity_task",
    "record_activity_task_heartbeat",
    "respond_activity_task_canceled",
    "respond_activity_task_completed",
    "respond_activity_task_failed",
]

log = logging.getLogger(__name__)

TARGET_PREFIX = "SimpleWorkflowService"
SIGNING_NAME = "swf"
USER_AGENT = f"botoflowx/{__version__} (raw transport)"
_DEFAULT_PORTS = {"http": 80, "https": 443}

# A provider returns botocore Credentials (refreshable or static) or frozen ones.
CredentialsProvider = Callable[[], Any]


class RawSWFTransport:
    """Calls SWF operations over pooled HTTP connections and returns the raw body.

    Thread-safe: one instance is shared by all pollers of a worker.

    Args:
        endpoint_url: The SWF endpoint, e.g. ``https://swf.us-east-1.amazonaws.com``.
        region: The signing region.
        credentials: Returns the credentials to sign each request with.
        read_timeout: Socket read timeout; at least 70 s for long polls.
        connect_timeout: Socket connect timeout.
        max_attempts: Attempts per call, the first included.
        backoff_base: Ceiling of the first retry delay, in seconds.
        backoff_cap: Largest retry delay ceiling, in seconds.
        max_connections: Connections kept per endpoint.
        verify: For ``https``: True to verify the server's certificate against
            botocore's CA bundle, a path to use another bundle, False not to
            verify (as botocore's ``verify``).
        proxy: The URL of an ``http://`` proxy to go through (user and password
            in the URL are sent as Basic proxy authorization), or None.

    Raises:
        ValueError: The endpoint URL is not an absolute ``http``/``https`` URL,
            or the proxy URL is not an ``http://`` one.
    """

    def __init__(
        self,
        *,
        endpoint_url: str,
        region: str,
        credentials: CredentialsProvider,
        read_timeout: float = 70.0,
        connect_timeout: float = 10.0,
        max_attempts: int = 5,
        backoff_base: float = 0.1,
        backoff_cap: float = 10.0,
        max_connections: int = 50,
        verify: bool | str = True,
        proxy: str | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {max_attempts}")
        parts = urlsplit(endpoint_url)
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
            raise ValueError(
                f"endpoint_url must be an absolute http:// or https:// URL, got {endpoint_url!r}"
            )
        self.endpoint_url = endpoint_url.rstrip("/") + "/"
        self.region = region
        self.read_timeout = read_timeout
        self.max_attempts = max_attempts
        self._credentials = credentials
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        port = parts.port or _DEFAULT_PORTS[parts.scheme]
        host = parts.hostname
        if ":" in host:
            host = f"[{host}]"
        # botocore signs (and sends) the port only when it is not the default.
        host_header = host if port == _DEFAULT_PORTS[parts.scheme] else f"{host}:{port}"
        path = parts.path or "/"
        via = Proxy.from_url(proxy) if proxy else None
        opening = f"POST {path} HTTP/1.1\r\nHost: {host_header}\r\n"
        if via is not None and parts.scheme == "http":
            # Plain HTTP through a proxy: absolute-form target, credentials per request.
            # (An https endpoint is reached through a tunnel the pool opens.)
            opening = f"POST http://{host_header}{path} HTTP/1.1\r\nHost: {host_header}\r\n"
            if via.authorization:
                opening += f"Proxy-Authorization: {via.authorization}\r\n"
        self._signer = RequestSigner(
            host=host_header,
            path=path,
            region=region,
            service=SIGNING_NAME,
            target_prefix=TARGET_PREFIX,
            opening=opening.encode(),
            user_agent=USER_AGENT,
        )
        self._pool = ConnectionPool(
            parts.hostname,
            port,
            tls=_tls_context(verify) if parts.scheme == "https" else None,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_connections=max_connections,
            proxy=via,
        )
        self._closed = threading.Event()

    def call(
        self,
        operation: str,
        params: Mapping[str, Any],
        *,
        idempotent: bool = True,
    ) -> bytes:
        """Call ``operation`` with ``params`` and return the response body bytes.

        Throttling, HTTP 5xx and connection errors are retried with capped
        exponential backoff and jitter. For non-idempotent operations
        (``Respond*``) only failures that prove the request was not processed
        (throttling, refused connections) are retried.

        Args:
            operation: The SWF operation name, e.g. ``"PollForDecisionTask"``.
            params: The request members (model names, e.g. ``taskList``).
            idempotent: Whether repeating an applied request is harmless.

        Returns:
            The raw response body (``b""`` for operations without output).

        Raises:
            SWFError: The service answered with an error, or the last attempt
                failed on the connection (code ``"ConnectionError"``), or the
                proxy refused the tunnel with 403 or 407 (code ``"ProxyRefused"``,
                not retried: the same credentials would be refused again).
        """
        return self.call_json(
            operation,
            orjson.dumps(params if type(params) is dict else dict(params)),
            idempotent=idempotent,
        )

    def call_json(self, operation: str, body: bytes, *, idempotent: bool = True) -> bytes:
        """:meth:`call` with the request members already encoded as a JSON object.

        Raises:
            SWFError: as :meth:`call`.
        """
        backoff: Backoff | None = None  # made on the first failure: most calls succeed
        attempt = 1
        while True:
            try:
                return self._send_once(operation, body)
            except SWFError as exc:
                retry = exc.retryable and (idempotent or exc.status in (0, 400, 429))
                if not retry or attempt >= self.max_attempts:
                    raise
                error: SWFError = exc
            if backoff is None:
                backoff = Backoff(self._backoff_base, self._backoff_cap)
            delay = backoff.next_delay()
            log.warning(
                "SWF %s failed (%s: %s), retrying in %.2fs (attempt %d of %d)",
                operation,
                error.code,
                error.message,
                delay,
                attempt + 1,
                self.max_attempts,
            )
            if self._closed.wait(delay):
                raise error
            attempt += 1

    def close(self) -> None:
        """Drop pooled connections; calls in flight finish, retries stop."""
        self._closed.set()
        self._pool.close()

    def _credentials_now(self) -> ReadOnlyCredentials:
        credentials = self._credentials()
        # Refreshable credentials must be frozen per request so key, secret and
        # token come from the same refresh.
        frozen = getattr(credentials, "get_frozen_credentials", None)
        if frozen is not None:
            return frozen()
        return credentials

    def _head(self, operation: str, body: bytes) -> bytes:
        """The request line and headers of one call, signed now."""
        credentials = self._credentials_now()
        return self._signer.head(
            operation, body, credentials.access_key, credentials.secret_key, credentials.token
        )

    def _send_once(self, operation: str, body: bytes) -> bytes:
        head = self._head(operation, body)
        try:
            response = self._pool.request(head, body)
        except ProxyRefused as exc:
            # Not transient (its code is no fault SWFError.retryable retries): say so now.
            raise SWFError("ProxyRefused", str(exc), status=0, operation=operation) from exc
        except ConnectFailed as exc:
            # The request never left: safe to retry even for Respond* calls.
            raise SWFError("ConnectionError", str(exc), status=0, operation=operation) from exc
        except RequestFailed as exc:
            # Read timeouts and dropped connections: the server may have acted.
            raise SWFError("ConnectionError", str(exc), status=599, operation=operation) from exc
        if response.status == 200:
            return response.body
        raise _error_from_response(operation, response.status, response.headers, response.body)


def _tls_context(verify: bool | str) -> ssl.SSLContext:
    """The TLS context botocore would use for ``verify``."""
    if verify is False:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    from botocore.httpsession import get_cert_path

    return ssl.create_default_context(cafile=get_cert_path(verify))


def _error_from_response(
    operation: str, status: int, headers: Mapping[str, str], data: bytes
) -> SWFError:
    """Map an error answer to :class:`SWFError` the way botocore reads JSON 1.0 errors."""
    code = ""
    message = ""
    try:
        parsed = orjson.loads(data) if data else {}
    except orjson.JSONDecodeError:
        parsed = {}
    if isinstance(parsed, dict):
        raw_type = parsed.get("__type") or parsed.get("code") or ""
        code = str(raw_type).rsplit("#", 1)[-1].split(":", 1)[0]
        message = str(parsed.get("message") or parsed.get("Message") or "")
    if not code:
        header = headers.get("x-amzn-errortype") or headers.get("X-Amzn-ErrorType") or ""
        code = header.split(":", 1)[0]
    if not code:
        code = "InternalFailure" if status >= 500 else f"HTTP{status}"
    if not message:
        message = data[:200].decode("utf-8", "replace") if data else f"HTTP {status}"
    return SWFError(code, message, status=status, operation=operation)


# -- the activity hot path ------------------------------------------------------------------
#
# An activity worker's every task is a poll, an answer and perhaps heartbeats.
# Through botocore each costs its request serialization, model validation and
# response parsing; these go straight through the transport instead (still
# signed by botocore's SigV4 with the session's credentials). The answers are
# one small JSON object each, read with orjson.


class ActivityTaskResponse(TypedDict, total=False):
    """The members of a ``PollForActivityTask`` answer (all absent on an empty poll)."""

    taskToken: str
    activityId: str
    startedEventId: int
    workflowExecution: dict[str, str]
    activityType: dict[str, str]
    input: str


def poll_for_activity_task(
    transport: RawSWFTransport, *, domain: str, task_list: str, identity: str | None = None
) -> ActivityTaskResponse | None:
    """Long-poll ``task_list`` for one activity task.

    Returns:
        The task's members, or None when the poll came back empty (no token,
        or an empty one).

    Raises:
        SWFError: SWF refused the poll, or the connection failed on every attempt.
    """
    params: dict[str, Any] = {"domain": domain, "taskList": {"name": task_list}}
    if identity is not None:
        params["identity"] = identity
    raw = transport.call("PollForActivityTask", params)
    if raw.find(b'"taskToken"') < 0:
        return None
    response: ActivityTaskResponse = orjson.loads(raw)
    if not response.get("taskToken"):
        return None
    return response


def _task_params(task_token: str, **members: str | None) -> dict[str, Any]:
    """A task call's request: the token and the members that are set (SWF omits None)."""
    params: dict[str, Any] = {"taskToken": task_token}
    params.update((name, value) for name, value in members.items() if value is not None)
    return params


def respond_activity_task_completed(
    transport: RawSWFTransport, task_token: str, result: str | None = None
) -> None:
    """RespondActivityTaskCompleted (retried only when it surely was not applied).

    Raises:
        SWFError: e.g. ``UnknownResourceFault`` when the task is gone.
    """
    params = _task_params(task_token, result=result)
    transport.call("RespondActivityTaskCompleted", params, idempotent=False)


def respond_activity_task_failed(
    transport: RawSWFTransport,
    task_token: str,
    reason: str | None = None,
    details: str | None = None,
) -> None:
    """RespondActivityTaskFailed (retried only when it surely was not applied).

    Raises:
        SWFError: e.g. ``UnknownResourceFault`` when the task is gone.
    """
    params = _task_params(task_token, reason=reason, details=details)
    transport.call("RespondActivityTaskFailed", params, idempotent=False)


def respond_activity_task_canceled(
    transport: RawSWFTransport, task_token: str, details: str | None = None
) -> None:
    """RespondActivityTaskCanceled (retried only when it surely was not applied).

    Raises:
        SWFError: e.g. ``UnknownResourceFault`` when the task is gone.
    """
    params = _task_params(task_token, details=details)
    transport.call("RespondActivityTaskCanceled", params, idempotent=False)


def record_activity_task_heartbeat(
    transport: RawSWFTransport, task_token: str, details: str | None = None
) -> bool:
    """RecordActivityTaskHeartbeat.

    A heartbeat only moves the task's deadline forward, so repeating one is
    harmless and transient failures are retried.

    Returns:
        SWF's ``cancelRequested``: True when the activity should stop.

    Raises:
        SWFError: e.g. ``UnknownResourceFault`` when the task is gone.
    """
    raw = transport.call("RecordActivityTaskHeartbeat", _task_params(task_token, details=details))
    if raw.find(b"cancelRequested") < 0:
        return False
    return bool(orjson.loads(raw).get("cancelRequested"))


class RawActivityClient:
    """The activity calls of a boto3 SWF client, served by a :class:`RawSWFTransport`.

    Same method names, keyword arguments and results as boto3's for the five
    calls an activity worker makes per task, so the worker and the activity
    context can use either; errors are :class:`SWFError` (which
    ``botoflowx.client._errors.error_code`` reads like botocore's ``ClientError``).
    Thread-safe, as the transport is.

    Args:
        transport: The transport to call through (shared; not closed here).
    """

    def __init__(self, transport: RawSWFTransport) -> None:
        self.transport = transport

    def poll_for_activity_task(
        self, *, domain: str, taskList: dict[str, str], identity: str | None = None
    ) -> ActivityTaskResponse:
        """PollForActivityTask; an empty poll returns ``{}`` (no ``taskToken``)."""
        task = poll_for_activity_task(
            self.transport, domain=domain, task_list=taskList["name"], identity=identity
        )
        return task if task is not None else {}

    def respond_activity_task_completed(
        self, *, taskToken: str, result: str | None = None
    ) -> dict[str, Any]:
        """RespondActivityTaskCompleted."""
        respond_activity_task_completed(self.transport, taskToken, result)
        return {}

    def respond_activity_task_failed(
        self, *, taskToken: str, reason: str | None = None, details: str | None = None
    ) -> dict[str, Any]:
        """RespondActivityTaskFailed."""
        respond_activity_task_failed(self.transport, taskToken, reason, details)
        return {}

    def respond_activity_task_canceled(
        self, *, taskToken: str, details: str | None = None
    ) -> dict[str, Any]:
        """RespondActivityTaskCanceled."""
        respond_activity_task_canceled(self.transport, taskToken, details)
        return {}

    def record_activity_task_heartbeat(
        self, *, taskToken: str, details: str | None = None
    ) -> dict[str, bool]:
        """RecordActivityTaskHeartbeat; returns ``{"cancelRequested": bool}``."""
        return {
            "cancelRequested": record_activity_task_heartbeat(self.transport, taskToken, details)
        }
