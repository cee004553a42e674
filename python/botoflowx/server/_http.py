"""The embedded server's HTTP/1.1 front: SWF's JSON 1.0 protocol in, engine calls out."""

from __future__ import annotations

import io
import itertools
import logging
import math
import socket
import sys
import threading
import time
import uuid
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

import orjson

from botoflowx.server._faults import (
    InternalFailure,
    RequestEntityTooLargeException,
    SerializationException,
    SWFFault,
    UnknownOperationException,
    ValidationException,
)
from botoflowx.server._sigv4 import SigV4Verifier, region_of
from botoflowx.server._validation import RequestValidator, default_validator

__all__ = [
    "ADMIN_TARGET_PREFIX",
    "MAX_REQUEST_BYTES",
    "SWF_TARGET_PREFIX",
    "EngineLike",
    "SWFHTTPServer",
]

logger = logging.getLogger("botoflowx.server")

SWF_TARGET_PREFIX = "SimpleWorkflowService"
ADMIN_TARGET_PREFIX = "BotoflowxAdmin"
CONTENT_TYPE = "application/x-amz-json-1.0"
# SWF's documented maximum request size.
MAX_REQUEST_BYTES = 1024 * 1024
# An idle keep-alive connection is closed after this long; a long poll never reads
# from the socket, so it is not affected.
IDLE_CONNECTION_SECONDS = 120.0
# Bounds of the "lingering close" after refusing an oversize body (see _linger).
_LINGER_MAX_BYTES = 16 * 1024 * 1024
_LINGER_SECONDS = 10.0
_LINGER_IDLE_SECONDS = 1.0
# Request-head limits, as http.client applies them.
_MAX_HEADER_LINE = 65536
_MAX_HEADERS = 100
# What bytes.strip() strips; str.strip() would also strip latin-1's NEL and NBSP.
_ASCII_WHITESPACE = " \t\n\r\x0b\x0c"
# Upper bound for one chunk-size line of a chunked body (hex size plus extensions).
_MAX_CHUNK_LINE = 4096

_SERVER_NAME = "botoflowx"
_REASONS = {status.value: status.phrase for status in HTTPStatus}
# Long polls: they may wait for a minute, so shutdown wakes them rather than waiting.
_POLL_OPERATIONS = frozenset({"PollForDecisionTask", "PollForActivityTask"})


class EngineLike(Protocol):
    """What the front needs from the engine (see docs/internals.md)."""

    def handle(self, operation: str, params: dict[str, Any], region: str) -> dict[str, Any] | None:
        """Run one SWF operation; may block (polls); raises SWFFault subclasses."""
        ...

    def advance_clock(self, seconds: float) -> float:
        """Move a test clock forward, fire what became due, return the new epoch time."""
        ...

    def close(self) -> None:
        """Stop background work and wake every waiting poll."""
        ...


class _ClientHTTPError(SWFFault):
    """A protocol-level refusal (wrong path or method, bad framing) with its own status."""

    type_prefix = "com.amazon.coral.service"

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class RequestHeaders:
    """A request's header fields: case-insensitive lookups over the fields as received.

    http.server parses headers with the email package, which costs more than
    the rest of the request pipeline together; SWF requests need none of its
    generality (no folding, no MIME), so the front parses the head itself.
    """

    __slots__ = ("_fields", "_items")

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._items = items
        fields: dict[str, list[str]] = {}
        for name, value in items:
            key = name.lower()
            values = fields.get(key)
            if values is None:
                fields[key] = [value]
            else:
                values.append(value)
        self._fields = fields

    def get(self, name: str, default: str | None = None) -> str | None:
        """Return the first value of ``name`` (any case), or ``default``."""
        values = self._fields.get(name.lower())
        return default if values is None else values[0]

    def get_all(self, name: str) -> list[str] | None:
        """Return every value of ``name`` (any case) in order, or None if absent."""
        values = self._fields.get(name.lower())
        return None if values is None else list(values)

    def items(self) -> list[tuple[str, str]]:
        """Return every (name, value) field in the order received."""
        return list(self._items)


class _RequestIds:
    """Request ids shaped like UUIDs: a random per-process prefix and a counter.

    ``uuid4()`` costs a system call per request; ids only need to be unique.
    """

    __slots__ = ("_counter", "_prefix")

    def __init__(self) -> None:
        self._prefix = str(uuid.uuid4())[:24]  # "xxxxxxxx-xxxx-4xxx-xxxx-"
        self._counter = itertools.count(int.from_bytes(uuid.uuid4().bytes[:5], "big"))

    def new(self) -> str:
        # next() on a count is atomic under the GIL, so threads never share an id.
        return f"{self._prefix}{next(self._counter) & 0xFFFFFFFFFFFF:012x}"


_request_ids = _RequestIds()


class _DateCache:
    """The HTTP ``Date`` header value, formatted at most once per second."""

    __slots__ = ("_second", "_value")

    def __init__(self) -> None:
        self._second = -1
        self._value = ""

    def get(self) -> str:
        now = time.time()
        second = int(now)
        if second != self._second:
            # Benign race: two threads may both format the same second.
            self._value = formatdate(now, usegmt=True)
            self._second = second
        return self._value


class SWFHTTPServer(ThreadingHTTPServer):
    """A threading HTTP/1.1 server that answers SWF's JSON protocol from an engine.

    Each connection gets a daemon thread, so a long poll blocks only its own
    connection. :meth:`drain` implements the orderly part of shutdown: once the
    accept loop has stopped, it waits for in-flight requests and then closes idle
    keep-alive connections.
    """

    daemon_threads = True
    # SO_REUSEADDR lets a restart bind through TIME_WAIT on POSIX; on Windows it would
    # let a second server steal the port, so it stays off there.
    allow_reuse_address = sys.platform != "win32"
    # Many pollers connect at once when a worker pool starts.
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        engine: EngineLike | None,
        *,
        validator: RequestValidator | None = None,
        verifier: SigV4Verifier | None = None,
        admin_enabled: bool = False,
        max_request_bytes: int = MAX_REQUEST_BYTES,
    ) -> None:
        """Bind and listen (the accept loop starts with ``serve_forever``).

        Args:
            address: (host, port); port 0 picks a free port.
            engine: the SWF engine requests are dispatched to. It may be attached
                later (before ``serve_forever``) so the port is bound before the
                database is opened.
            validator: the model validator (default: botocore's SWF model).
            verifier: verify SigV4 signatures with it; None accepts any signature.
            admin_enabled: answer ``BotoflowxAdmin.AdvanceClock`` (test clock only).
            max_request_bytes: the largest request body accepted.

        Raises:
            OSError: the address cannot be bound (for example, the port is in use).
        """
        host = address[0]
        if ":" in host:  # an IPv6 literal
            self.address_family = socket.AF_INET6
        self.engine: EngineLike | None = engine
        self.validator = validator if validator is not None else default_validator()
        self.verifier = verifier
        self.admin_enabled = admin_enabled
        self.max_request_bytes = max_request_bytes
        self.date_cache = _DateCache()
        self.closing = False
        self._lock = threading.Lock()
        self._idle_or_done = threading.Condition(self._lock)
        self._connections: set[socket.socket] = set()
        self._in_flight = 0
        self._calls_in_flight = 0
        # Threads in wait_for_calls or drain: only they need the condition notified,
        # which spares every request two notify_all calls.
        self._waiting = 0
        super().__init__(address, _SWFRequestHandler)

    # -- connection bookkeeping, used by the handler -------------------------------------

    def track(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.add(conn)

    def untrack(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.discard(conn)
            self._idle_or_done.notify_all()

    def request_started(self) -> None:
        with self._lock:
            self._in_flight += 1

    def request_finished(self) -> None:
        with self._lock:
            self._in_flight -= 1
            if self._waiting:
                self._idle_or_done.notify_all()

    def call_started(self) -> None:
        with self._lock:
            self._calls_in_flight += 1

    def call_finished(self) -> None:
        with self._lock:
            self._calls_in_flight -= 1
            if self._waiting:
                self._idle_or_done.notify_all()

    def wait_for_calls(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for engine calls other than polls to return.

        Shutdown calls it before closing the engine, so a RespondDecisionTaskCompleted
        that is being applied finishes instead of failing on a closed database.
        Polls are not waited for: closing the engine is what wakes them.

        Returns:
            True if no such call is left.
        """
        deadline = time.monotonic() + timeout
        with self._lock:
            self._waiting += 1
            try:
                while self._calls_in_flight:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return False
                    self._idle_or_done.wait(remaining)
                return True
            finally:
                self._waiting -= 1

    def drain(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for in-flight requests, then drop every connection.

        Call it after ``shutdown()`` (no new connections) and after the engine
        has been told to wake its polls, so waiting requests can answer first.
        """
        self.closing = True
        deadline = time.monotonic() + timeout
        with self._lock:
            self._waiting += 1
            try:
                while self._in_flight:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._idle_or_done.wait(remaining)
            finally:
                self._waiting -= 1
            connections = list(self._connections)
        for conn in connections:
            # Wakes handler threads blocked reading the next request of a keep-alive
            # connection, so they exit instead of lingering until the idle timeout.
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Log an exception that escaped a connection's handler (instead of printing it).

        A client that disconnects mid-request is routine; anything else is a bug
        in the front and is logged with its traceback.
        """
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            logger.debug("connection from %s ended: %r", client_address, exc)
        else:
            logger.exception("unhandled error on the connection from %s", client_address)

    @property
    def port(self) -> int:
        """The bound port."""
        return int(self.server_address[1])


class _SWFRequestHandler(BaseHTTPRequestHandler):
    """One connection: parses requests and writes whole responses in one send."""

    server: SWFHTTPServer
    protocol_version = "HTTP/1.1"
    server_version = _SERVER_NAME
    # Headers and body go out in one write; without this a small response could
    # wait on Nagle plus the peer's delayed ACK (tens of milliseconds).
    disable_nagle_algorithm = True
    timeout = IDLE_CONNECTION_SECONDS

    request_headers: RequestHeaders
    raw_requestline: bytes
    rfile: io.BufferedReader  # makefile("rb") with the default buffering
    # The header field lines of a head read at once, each ending in CRLF (see
    # handle_one_request), or None when parse_request reads them line by line.
    _field_block: str | None = None

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection)

    def handle_one_request(self) -> None:
        """Read one request's head and dispatch it, like ``BaseHTTPRequestHandler``.

        A request normally arrives whole in one segment, so the head is usually in
        the read buffer already: it is then split at once instead of line by line.
        Otherwise (a head in pieces, or LF-only line ends, where a CRLF pair may be
        the body's) the base class reads it line by line.
        """
        try:
            buffered = self.rfile.peek(1)
        except TimeoutError as exc:
            self.log_error("Request timed out: %r", exc)
            self.close_connection = True
            return
        end = buffered.find(b"\r\n\r\n")
        if end <= 0 or buffered.count(b"\n", 0, end) != buffered.count(b"\r\n", 0, end):
            self._field_block = None
            super().handle_one_request()
            return
        head = self.rfile.read(end + 4)
        line_end = head.find(b"\r\n")
        self.raw_requestline = head[:line_end]
        self._field_block = head[line_end + 2 : -2].decode("latin-1")
        try:
            if not self.parse_request():
                return
            method = getattr(self, "do_" + self.command, None)
            if method is None:
                self.send_error(
                    HTTPStatus.NOT_IMPLEMENTED, f"Unsupported method ({self.command!r})"
                )
                return
            method()
        except TimeoutError as exc:
            self.log_error("Request timed out: %r", exc)
            self.close_connection = True

    def parse_request(self) -> bool:
        """Parse the request line and header fields of one request.

        Same contract as ``BaseHTTPRequestHandler.parse_request`` (which it
        replaces for speed; see RequestHeaders): on failure an error has been
        sent and False is returned. HTTP/1.0 and HTTP/1.1 only.
        """
        self.command = ""
        self.request_version = self.default_request_version
        self.close_connection = True
        requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        self.requestline = requestline
        words = requestline.split()
        if not words:
            return False
        if len(words) != 3:
            self.send_error(HTTPStatus.BAD_REQUEST, f"Bad request syntax ({requestline!r})")
            return False
        command, path, version = words
        if version not in ("HTTP/1.1", "HTTP/1.0"):
            self.send_error(
                HTTPStatus.HTTP_VERSION_NOT_SUPPORTED, f"Unsupported HTTP version ({version!r})"
            )
            return False
        self.command, self.path, self.request_version = command, path, version
        block = self._field_block
        plain = None if block is None else split_fields(block)
        items: list[tuple[str, str]] = [] if plain is None else plain
        if block is not None and plain is None:
            # A malformed line or too many lines: the exact checks below find which
            # and answer as if the head had been read line by line.
            lines = (part + b"\r\n" for part in block.encode("latin-1").split(b"\r\n")[:-1])
        while plain is None:
            if block is None:
                line = self.rfile.readline(_MAX_HEADER_LINE + 1)
                if len(line) > _MAX_HEADER_LINE:
                    self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Line too long")
                    return False
            else:
                line = next(lines, b"")
            if line in (b"\r\n", b"\n", b""):
                break
            if len(items) >= _MAX_HEADERS:
                self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Too many headers")
                return False
            name, colon, value = line.partition(b":")
            # Folded lines and whitespace around a field name are obsolete syntax
            # that proxies read differently: refuse them rather than guess.
            if not colon or not name or name != name.strip() or line[:1] in (b" ", b"\t"):
                self.send_error(HTTPStatus.BAD_REQUEST, f"Malformed header line {line[:80]!r}")
                return False
            items.append((name.decode("latin-1"), value.strip().decode("latin-1")))
        headers = RequestHeaders(items)
        self.request_headers = headers
        connection = (headers.get("Connection") or "").lower()
        self.close_connection = version == "HTTP/1.0"
        if connection == "close":
            self.close_connection = True
        elif connection == "keep-alive":
            self.close_connection = False
        if (
            version == "HTTP/1.1"
            and (headers.get("Expect") or "").lower() == "100-continue"
            and not self.handle_expect_100()
        ):
            return False
        return True

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    # -- methods ---------------------------------------------------------------------------

    def do_POST(self) -> None:
        self._linger_bytes = 0
        self.server.request_started()
        try:
            self._handle_post()
        finally:
            self.server.request_finished()
        if self._linger_bytes:
            self._linger(self._linger_bytes)

    def handle_expect_100(self) -> bool:
        """Refuse an oversize body before the client sends it, instead of inviting it."""
        length = (self.request_headers.get("Content-Length") or "").strip()
        limit = self.server.max_request_bytes
        if length.isdigit() and int(length) > limit:
            self.close_connection = True
            self._send_fault(
                RequestEntityTooLargeException(
                    f"Request of {length} bytes exceeds the maximum request size of {limit} bytes."
                ),
                _request_ids.new(),
            )
            return False
        return super().handle_expect_100()

    def _linger(self, announced: int) -> None:
        """Discard the unread body of a refused request, within bounds, before closing.

        Closing a socket with unread input makes the kernel send a reset, and a
        client still writing its body would then lose the answer it was sent.
        Like a web server's "lingering close", read and drop what the client keeps
        sending, up to a byte and time budget, so the refusal reaches it.
        """
        budget = min(announced, _LINGER_MAX_BYTES)
        deadline = time.monotonic() + _LINGER_SECONDS
        try:
            self.connection.settimeout(_LINGER_IDLE_SECONDS)
            while budget > 0 and time.monotonic() < deadline:
                data = self.rfile.read1(min(budget, 65536))
                if not data:
                    break
                budget -= len(data)
        except OSError:
            pass

    def _refuse_method(self) -> None:
        self._drain_small_body()
        self._send_fault(
            _ClientHTTPError(
                HTTPStatus.METHOD_NOT_ALLOWED,
                "UnknownOperationException",
                f"{self.command} is not supported: SWF requests are POST / with X-Amz-Target.",
            ),
            _request_ids.new(),
            extra=(("Allow", "POST"),),
        )

    do_GET = do_HEAD = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse_method

    # -- the request pipeline -------------------------------------------------------------

    def _handle_post(self) -> None:
        request_id = _request_ids.new()
        started = time.perf_counter()
        operation = "-"
        try:
            path, _, query = self.path.partition("?")
            if path != "/":
                # Still consume the body so the connection stays in sync.
                self._read_body()
                raise _ClientHTTPError(
                    HTTPStatus.NOT_FOUND,
                    "UnknownOperationException",
                    f"No SWF resource at {path!r}: send requests to POST /.",
                )
            body = self._read_body()
            server = self.server
            headers = self.request_headers
            if server.verifier is not None:
                region = server.verifier.verify("POST", path, query, headers.items(), body)
            else:
                region = region_of(headers.get("Authorization"))
            target = headers.get("X-Amz-Target") or ""
            prefix, _, operation = target.partition(".")
            if prefix == SWF_TARGET_PREFIX and operation in server.validator.operations:
                params = _parse_body(body)
                server.validator.validate(operation, params)
                if operation in _POLL_OPERATIONS:
                    result = _engine(server).handle(operation, params, region)
                else:
                    server.call_started()
                    try:
                        result = _engine(server).handle(operation, params, region)
                    finally:
                        server.call_finished()
            elif (
                prefix == ADMIN_TARGET_PREFIX
                and operation == "AdvanceClock"
                and server.admin_enabled
            ):
                seconds = _admin_seconds(_parse_body(body))
                result = {"now": _engine(server).advance_clock(seconds)}
            else:
                raise _unknown_operation(target)
            payload = b"" if result is None else orjson.dumps(result)
            self._send(HTTPStatus.OK, payload, request_id)
        except SWFFault as fault:
            self._send_fault(fault, request_id)
        except Exception:
            # The engine failed in a way it did not model: answer like SWF's own
            # InternalFailure and keep the server (and this connection) serving.
            logger.exception("internal failure in %s (request %s)", operation, request_id)
            self._send_fault(InternalFailure("Internal failure; see the server log."), request_id)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s %.2f ms", request_id, operation, (time.perf_counter() - started) * 1e3
            )

    def _read_body(self) -> bytes:
        """Read the request body, refusing anything above the size cap before reading it."""
        limit = self.server.max_request_bytes
        transfer_encoding = self.request_headers.get("Transfer-Encoding")
        lengths = self.request_headers.get_all("Content-Length") or []
        if transfer_encoding is not None:
            if lengths:
                # Both framings at once is the classic request-smuggling shape.
                self.close_connection = True
                raise _ClientHTTPError(
                    HTTPStatus.BAD_REQUEST,
                    "SerializationException",
                    "Content-Length and Transfer-Encoding must not both be set.",
                )
            if transfer_encoding.strip().lower() != "chunked":
                self.close_connection = True
                raise _ClientHTTPError(
                    HTTPStatus.NOT_IMPLEMENTED,
                    "SerializationException",
                    f"Unsupported Transfer-Encoding: {transfer_encoding!r}.",
                )
            return self._read_chunked(limit)
        if not lengths:
            # HTTP/1.1: no Content-Length and no chunking means no body.
            return b""
        if len(set(lengths)) != 1 or not lengths[0].strip().isdigit():
            self.close_connection = True
            raise _ClientHTTPError(
                HTTPStatus.BAD_REQUEST,
                "SerializationException",
                f"Invalid Content-Length: {', '.join(lengths)!r}.",
            )
        length = int(lengths[0])
        if length > limit:
            # The body stays unread, so the connection cannot be reused; it is
            # discarded after the answer (see _linger) so the client can read it.
            self.close_connection = True
            self._linger_bytes = length
            raise RequestEntityTooLargeException(
                f"Request of {length} bytes exceeds the maximum request size of {limit} bytes."
            )
        body = self.rfile.read(length)
        if len(body) != length:
            self.close_connection = True
            raise _ClientHTTPError(
                HTTPStatus.BAD_REQUEST,
                "SerializationException",
                "The connection closed before the whole body arrived.",
            )
        return body

    def _read_chunked(self, limit: int) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(_MAX_CHUNK_LINE)
            size_text = line.split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                self.close_connection = True
                raise _ClientHTTPError(
                    HTTPStatus.BAD_REQUEST,
                    "SerializationException",
                    "Malformed chunked request body.",
                ) from None
            if size < 0:
                self.close_connection = True
                raise _ClientHTTPError(
                    HTTPStatus.BAD_REQUEST, "SerializationException", "Negative chunk size."
                )
            if size == 0:
                break
            total += size
            if total > limit:
                self.close_connection = True
                self._linger_bytes = _LINGER_MAX_BYTES
                raise RequestEntityTooLargeException(
                    f"Request exceeds the maximum request size of {limit} bytes."
                )
            chunk = self.rfile.read(size)
            if len(chunk) != size or self.rfile.readline(_MAX_CHUNK_LINE) not in (b"\r\n", b"\n"):
                self.close_connection = True
                raise _ClientHTTPError(
                    HTTPStatus.BAD_REQUEST,
                    "SerializationException",
                    "Malformed chunked request body.",
                )
            parts.append(chunk)
        # Trailer section: header lines up to an empty line; ignored.
        for _ in range(100):
            line = self.rfile.readline(_MAX_CHUNK_LINE)
            if line in (b"\r\n", b"\n", b""):
                return b"".join(parts)
        self.close_connection = True
        raise _ClientHTTPError(
            HTTPStatus.BAD_REQUEST, "SerializationException", "Too many trailer lines."
        )

    def _drain_small_body(self) -> None:
        """Consume a refused request's body if it is small, else drop the connection."""
        lengths = self.request_headers.get_all("Content-Length") or []
        if self.request_headers.get("Transfer-Encoding") is not None:
            self.close_connection = True
            return
        if not lengths:
            return
        text = lengths[0].strip()
        if len(set(lengths)) == 1 and text.isdigit() and int(text) <= 64 * 1024:
            self.rfile.read(int(text))
        else:
            self.close_connection = True

    # -- responses ------------------------------------------------------------------------

    def _send_fault(
        self,
        fault: SWFFault,
        request_id: str,
        extra: tuple[tuple[str, str], ...] = (),
    ) -> None:
        payload = orjson.dumps({"__type": fault.wire_type, "message": fault.message})
        self._send(fault.status, payload, request_id, (("X-Amzn-ErrorType", fault.code), *extra))

    def _send(
        self,
        status: int,
        payload: bytes,
        request_id: str,
        extra: tuple[tuple[str, str], ...] = (),
    ) -> None:
        if self.server.closing:
            self.close_connection = True
        head = (
            f"HTTP/1.1 {status} {_REASONS.get(status, '')}\r\n"
            f"Server: {_SERVER_NAME}\r\n"
            f"Date: {self.server.date_cache.get()}\r\n"
            f"Content-Type: {CONTENT_TYPE}\r\n"
            f"x-amzn-RequestId: {request_id}\r\n"
            f"Content-Length: {len(payload)}\r\n"
        )
        for name, value in extra:
            head += f"{name}: {value}\r\n"
        if self.close_connection:
            head += "Connection: close\r\n"
        data = (head + "\r\n").encode("latin-1")
        if self.command != "HEAD":
            data += payload
        try:
            # One send per response: the head and body never go out as two segments.
            self.connection.sendall(data)
        except OSError:
            # The client went away (for example, it gave up on a long poll).
            self.close_connection = True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Answer protocol errors found by http.server itself with SWF's error shape."""
        self.close_connection = True
        error_code = (
            "UnknownOperationException"
            if code in (HTTPStatus.NOT_FOUND, HTTPStatus.NOT_IMPLEMENTED)
            else "SerializationException"
        )
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "Bad request"
        fault = _ClientHTTPError(code, error_code, explain or message or phrase)
        # http.server may call this before the request line was parsed.
        if not hasattr(self, "command"):
            self.command = ""
        self._send_fault(fault, _request_ids.new())

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s - " + format, self.address_string(), *args)


def split_fields(block: str) -> list[tuple[str, str]] | None:
    """Split header field lines (latin-1, each ending in CRLF) into names and values.

    The fast path for a head read at once. Returns None when the exact line-by-line
    checks must decide instead: a malformed line (no colon, an empty name, or
    whitespace around the name: folded lines are obsolete syntax that proxies read
    differently) or more than _MAX_HEADERS lines. Values lose the whitespace around
    them, as with bytes.strip().
    """
    fields: list[tuple[str, str]] = []
    for line in block.split("\r\n")[:-1]:
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip(_ASCII_WHITESPACE):
            return None
        fields.append((name, value.strip(_ASCII_WHITESPACE)))
    return fields if len(fields) <= _MAX_HEADERS else None


def _engine(server: SWFHTTPServer) -> EngineLike:
    engine = server.engine
    if engine is None:  # only if serve_forever was started before an engine was attached
        raise InternalFailure("The server is starting; retry the request.")
    return engine


def _unknown_operation(target: str) -> UnknownOperationException:
    if not target:
        return UnknownOperationException("Missing X-Amz-Target header.")
    return UnknownOperationException(f"Unknown operation: {target!r}.")


def _parse_body(body: bytes) -> dict[str, Any]:
    """Decode a JSON object body.

    Raises:
        SerializationException: the body is not valid JSON or not a JSON object.
    """
    try:
        params = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise SerializationException(f"The request body is not valid JSON: {exc}") from None
    if type(params) is not dict:
        raise SerializationException("The request body must be a JSON object.")
    return params


def _admin_seconds(params: dict[str, Any]) -> float:
    seconds = params.get("seconds")
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, (int, float))
        or not math.isfinite(seconds)
        or seconds < 0
    ):
        raise ValidationException(
            "1 validation error detected: Value "
            f"{seconds!r} at 'seconds' failed to satisfy constraint: "
            "Member must be a finite number greater than or equal to 0"
        )
    return float(seconds)
