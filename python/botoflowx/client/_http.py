"""A small HTTP/1.1 client for the hot SWF calls: keep-alive connections, one write per request.

urllib3 and ``http.client`` spend most of a cached decision's CPU on generic
machinery (URL parsing, header objects, ``email`` parsing of the response
head). The hot calls need much less: ``POST`` to one endpoint with a handful of
headers, a JSON response with ``Content-Length`` (chunked and read-to-close
bodies are understood too). Response heads are found and read by the Rust
core (``head_end``, ``parse_response_head``); this module does the I/O.
Connections are pooled per endpoint, reused last in first out, and checked
for a peer close before reuse when they sat idle (urllib3 checks always). On
Linux the kernel enforces the read and write timeouts, which saves Python's
poll before every send and receive.

Failures are reported so the caller can decide whether a retry is safe:
:class:`ConnectFailed` means the request never left this process (no
connection could be made), :class:`RequestFailed` means it may have reached the
server (a reset, a timeout, a malformed or truncated answer).

Through an ``http://`` proxy, ``https`` endpoints are reached by a ``CONNECT``
tunnel; ``http`` endpoints get the proxy's connection and absolute-form request
lines, which the caller writes (the pool only connects).
"""

from __future__ import annotations

import base64
import re
import select
import socket
import ssl
import struct
import sys
import time
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

from botoflowx._replay import check_trailer, head_end, parse_response_head, response_status
from botoflowx._slots import Slots

__all__ = [
    "ConnectFailed",
    "ConnectionPool",
    "HTTPResponse",
    "Proxy",
    "ProxyRefused",
    "RequestFailed",
]

# Bytes asked of the kernel per receive: a typical answer arrives in one.
_RECV_SIZE = 65536
# An idle connection younger than this is reused without checking for a peer close.
_TRUST_IDLE_SECONDS = 1.0
# Bounds on a response head and a chunk-size line; an endpoint past them is broken.
# (The core bounds the number of fields.)
_MAX_LINE = 65536
_MAX_HEAD = 65536
# SWF's largest answers (a 1,000-event page of 32 KB payloads) are tens of MB;
# a claim beyond this is a broken endpoint, not a body to allocate.
_MAX_BODY = 256 * 1024 * 1024
# parse_response_head's framing of a chunked body (a length is >= 0; -2 is
# a body that runs to the end of the stream).
_CHUNKED = -1
# A URL that names its scheme ("http://", "socks5://"); botocore reads any other
# proxy setting as "http://" + the setting.
_URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


class ConnectFailed(OSError):
    """No connection could be made: the request was not sent."""


class ProxyRefused(ConnectFailed):
    """The proxy refused the tunnel for who is asking (403, 407): retrying will not help."""


class RequestFailed(OSError):
    """The exchange failed after the request may have been sent."""


class Proxy(NamedTuple):
    """An ``http://`` proxy to connect through.

    Attributes:
        host: The proxy's host name or address.
        port: Its TCP port.
        authorization: The ``Proxy-Authorization`` value (Basic, from the
            URL's user and password), or None.
    """

    host: str
    port: int
    authorization: str | None

    @classmethod
    def from_url(cls, url: str) -> Proxy:
        """Read a proxy URL the way botocore does (``host:port`` alone means ``http://``).

        Raises:
            ValueError: The URL is not an ``http://`` proxy URL with a host and a
                valid port. The message never shows the URL's credentials.
        """
        if not _URL_SCHEME.match(url):
            url = "http:" + url if url.startswith("//") else "http://" + url
        parts = urlsplit(url)
        shown = f"{parts.scheme}://{parts.hostname or ''}"
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(
                f"proxy {shown}: only http:// proxies are supported on the raw transport "
                "(not TLS or SOCKS to the proxy itself); point HTTPS_PROXY/HTTP_PROXY (or "
                "the client Config's proxies) at the proxy's http:// URL"
            )
        try:
            port = parts.port or 80
        except ValueError as exc:
            raise ValueError(f"proxy {shown}: {exc}") from None
        authorization = None
        # As botocore: credentials only when both are given.
        if parts.username and parts.password:
            pair = f"{unquote(parts.username)}:{unquote(parts.password)}".encode()
            authorization = "Basic " + base64.b64encode(pair).decode()
        return cls(parts.hostname, port, authorization)

    def __repr__(self) -> str:
        # The authorization is a password in base64: never part of a repr.
        hidden = ", authorization=<hidden>" if self.authorization else ""
        return f"Proxy(host={self.host!r}, port={self.port}{hidden})"


class HTTPResponse:
    """A complete response: status code, headers and body.

    The headers stay as read (bytes) until asked for: a successful SWF call
    needs only the body.
    """

    __slots__ = ("_head", "_headers", "body", "status")

    def __init__(self, status: int, head: bytes, body: bytes) -> None:
        self.status = status
        self.body = body
        self._head = head
        self._headers: dict[str, str] | None = None

    @property
    def headers(self) -> dict[str, str]:
        """The headers, lower-case names; repeated fields joined with ``", "``."""
        if self._headers is None:
            self._headers = _parse_fields(self._head.split(b"\n")[1:])
        return self._headers


class _SocketReader:
    """Buffered reads from a socket whose receive timeout the kernel enforces.

    ``socket.makefile`` cannot serve here: its raw layer turns the EAGAIN of
    an expired SO_RCVTIMEO into "no data yet", which a buffered reader then
    reports as the end of the stream. Here it raises (BlockingIOError).
    """

    __slots__ = ("_buffer", "_ended", "_pos", "_sock")

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        # Always bytes: the Rust head functions take bytes, not other buffers.
        self._buffer = b""
        self._pos = 0
        # The stream ended: later reads report it without asking the socket again.
        self._ended = False

    def _fill(self) -> bool:
        """Receive more; False at the end of the stream."""
        if self._ended:
            return False
        chunk = self._sock.recv(_RECV_SIZE)
        if not chunk:
            self._ended = True
            return False
        rest = self._buffer[self._pos :] if self._pos < len(self._buffer) else b""
        self._buffer = rest + chunk if rest else chunk
        self._pos = 0
        return True

    def readline(self, limit: int) -> bytes:
        """Up to and including the next newline, at most ``limit`` bytes; b"" at the end."""
        while True:
            start = self._pos
            end = self._buffer.find(b"\n", start, start + limit)
            if end >= 0:
                self._pos = end + 1
                return self._buffer[start : end + 1]
            if len(self._buffer) - start >= limit or not self._fill():
                line = self._buffer[self._pos : self._pos + limit]
                self._pos += len(line)
                return line

    def pending(self) -> bool:
        """Whether bytes were received beyond what was read."""
        return self._pos < len(self._buffer)

    def read_head(self, limit: int) -> bytes:
        """Lines up to and including the blank line that ends them; b"" at the end of the stream.

        One search over the buffer instead of a call per line: a response head
        usually arrives whole in the first receive. Lines end in CRLF or, as
        HTTP readers tolerate, a bare LF.

        Raises:
            RequestFailed: No blank line within ``limit`` bytes, or the stream
                ended inside the head.
        """
        while True:
            buffer, start = self._buffer, self._pos
            # Between exchanges nothing is buffered: receive before searching.
            end = head_end(buffer, start, start + limit) if start < len(buffer) else None
            if end is not None:
                self._pos = end
                return buffer[start:end]
            if len(buffer) - start >= limit:
                raise RequestFailed(f"response head longer than {limit} bytes")
            if not self._fill():
                if start == len(buffer):
                    return b""
                raise RequestFailed("the response head was cut off")

    def read_whole_response(self, max_head: int, max_body: int) -> tuple[HTTPResponse, bool] | None:
        """The usual answer in one step: head and ``Content-Length`` body in the next receive.

        Between exchanges nothing is buffered, and a hot call's answer arrives
        whole in one receive. Returns ``(response, keep_alive)`` then; otherwise
        None, with what was received kept buffered for :func:`_read_response`'s
        general reading (which also reports what is wrong with a bad head).
        """
        if self._pos < len(self._buffer) or not self._fill():
            return None
        buffer = self._buffer
        end = head_end(buffer, 0, max_head)
        if end is None:
            return None
        head = buffer[:end]
        try:
            status, keep_alive, framing = parse_response_head(head, max_body)
        except ValueError:
            return None
        stop = end + framing
        # Interim (1xx) answers, chunked and unframed bodies, and bodies still
        # arriving take the general path.
        if status < 200 or framing < 0 or stop > len(buffer):
            return None
        self._pos = stop
        return HTTPResponse(status, head, buffer[end:stop]), keep_alive

    def read(self, size: int) -> bytes:
        """Exactly ``size`` bytes, fewer only at the end of the stream."""
        start = self._pos
        have = len(self._buffer) - start
        if have >= size:
            self._pos = start + size
            return self._buffer[start : start + size]
        body = bytearray(size)
        body[:have] = self._buffer[start:]
        self._buffer, self._pos = b"", 0
        view = memoryview(body)
        while have < size:
            received = self._sock.recv_into(view[have:])
            if not received:
                return bytes(body[:have])
            have += received
        return bytes(body)

    def read_to_end(self) -> bytes:
        """Everything up to the end of the stream."""
        parts = [self._buffer[self._pos :]]
        total = len(parts[0])
        self._buffer, self._pos = b"", 0
        while chunk := self._sock.recv(_RECV_SIZE):
            parts.append(chunk)
            total += len(chunk)
            if total > _MAX_BODY:
                raise RequestFailed(f"response body larger than {_MAX_BODY} bytes")
        return b"".join(parts)


class _Connection:
    __slots__ = ("last_used", "reader", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.reader = _SocketReader(sock)
        self.last_used = time.monotonic()

    def dropped(self) -> bool:
        """Whether the peer closed (or wrote unasked): readable while idle means unusable.

        A connection used within the last second is taken as alive without a
        system call: a server closes idle connections after tens of seconds,
        and a close at any other moment races with any check anyway (the
        failed exchange then reports RequestFailed).
        """
        if time.monotonic() - self.last_used < _TRUST_IDLE_SECONDS:
            return False
        try:
            readable, _, _ = select.select([self.sock], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(readable)

    def close(self) -> None:
        self.sock.close()


class ConnectionPool:
    """Keep-alive connections to one ``host:port``, shared by threads.

    At most ``max_connections`` exchanges run at once; further callers wait for
    a connection to come back instead of opening throwaway ones.

    Args:
        host: The host to connect to.
        port: The TCP port.
        tls: The TLS context for ``https`` endpoints, None for plain HTTP.
        connect_timeout: Seconds to wait for the TCP (and TLS) handshake.
        read_timeout: Seconds a read may block; long polls need more than 60.
        max_connections: Connections kept and used at once.
        proxy: Connect through this proxy (a ``CONNECT`` tunnel for TLS).
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        tls: ssl.SSLContext | None,
        connect_timeout: float,
        read_timeout: float,
        max_connections: int,
        proxy: Proxy | None = None,
    ) -> None:
        if max_connections < 1:
            raise ValueError(f"max_connections must be >= 1, got {max_connections}")
        self.host = host
        self.port = port
        self._tls = tls
        self._proxy = proxy
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        # list.append/pop are atomic, so the idle stack needs no lock of its own.
        self._idle: list[_Connection] = []
        self._closed = False
        # The right to run an exchange.
        self._slots = Slots(max_connections)

    def request(self, head: bytes, body: bytes) -> HTTPResponse:
        """Send ``head`` (request line and headers, ending in a blank line) and ``body``.

        Raises:
            ConnectFailed: No connection could be made; nothing was sent.
            RequestFailed: The request may have been sent, but no complete
                response was read.
        """
        self._slots.acquire()
        try:
            connection = self._checkout()
            try:
                connection.sock.sendall(head + body)
                response, keep_alive = _read_response(connection.reader)
            except (OSError, ValueError) as exc:
                connection.close()
                if isinstance(exc, RequestFailed):
                    raise
                if isinstance(exc, (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError)):
                    # The kernel's send/receive timeout expired (see _set_io_timeout).
                    raise RequestFailed(
                        f"timed out after {self._read_timeout:g} s waiting for the server"
                    ) from exc
                raise RequestFailed(f"{type(exc).__name__}: {exc}") from exc
            except BaseException:
                connection.close()
                raise
            if keep_alive and not self._closed:
                connection.last_used = time.monotonic()
                self._idle.append(connection)
            else:
                connection.close()
            return response
        finally:
            self._slots.release()

    def close(self) -> None:
        """Close the idle connections, and those in use when their exchange ends.

        Requests made after closing still work, on connections closed after use.
        """
        self._closed = True
        while True:
            try:
                connection = self._idle.pop()
            except IndexError:
                return
            connection.close()

    def _checkout(self) -> _Connection:
        while True:
            try:
                connection = self._idle.pop()
            except IndexError:
                return self._connect()
            if not connection.dropped():
                return connection
            connection.close()

    def _connect(self) -> _Connection:
        proxy = self._proxy
        address = (self.host, self.port) if proxy is None else (proxy.host, proxy.port)
        try:
            sock = socket.create_connection(address, self._connect_timeout)
        except OSError as exc:
            raise ConnectFailed(f"cannot connect to {self._via()}: {exc}") from exc
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._tls is not None:
                if proxy is not None:
                    self._open_tunnel(sock, proxy)
                sock = self._tls.wrap_socket(sock, server_hostname=self.host)
            _set_io_timeout(sock, self._read_timeout)
        except OSError as exc:
            sock.close()
            # A failed tunnel or TLS handshake sent no request either.
            failed = ProxyRefused if isinstance(exc, ProxyRefused) else ConnectFailed
            raise failed(f"cannot connect to {self._via()}: {exc}") from exc
        return _Connection(sock)

    def _via(self) -> str:
        endpoint = _authority(self.host, self.port)
        if self._proxy is None:
            return endpoint
        return f"{endpoint} through proxy {_authority(self._proxy.host, self._proxy.port)}"

    def _open_tunnel(self, sock: socket.socket, proxy: Proxy) -> None:
        """Ask the proxy for a tunnel to the endpoint (the socket still has the connect timeout)."""
        authority = _authority(self.host, self.port)
        auth = f"Proxy-Authorization: {proxy.authorization}\r\n" if proxy.authorization else ""
        sock.sendall(f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n{auth}\r\n".encode())
        reader = _SocketReader(sock)
        head = reader.read_head(_MAX_HEAD)
        # Only the status matters: a tunnel's answer has no body to frame.
        try:
            status = response_status(head)
        except ValueError as exc:
            raise ConnectFailed(f"the proxy answered CONNECT with {exc}") from None
        if not 200 <= status < 300:
            line = head[: head.find(b"\n")].rstrip().decode("latin-1")
            hint = ""
            if status == 407:
                hint = (
                    " (it rejected the user and password of the proxy URL)"
                    if proxy.authorization
                    else " (put the user and password in the proxy URL: "
                    "http://user:password@host:port)"
                )
            # A 5xx (the proxy cannot reach the endpoint) may pass; a refusal of
            # the client's credentials or of the destination does not.
            refused = ProxyRefused if status in (403, 407) else ConnectFailed
            raise refused(f"the proxy refused the tunnel: {line}{hint}")
        if reader.pending():
            raise ConnectFailed("the proxy sent data before the TLS handshake")


def _authority(host: str, port: int) -> str:
    """``host:port``, with an IPv6 address in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _set_io_timeout(sock: socket.socket, seconds: float) -> None:
    """Bound every send and receive on ``sock`` by ``seconds``.

    On Linux the kernel enforces it (SO_RCVTIMEO/SO_SNDTIMEO on a blocking
    socket): Python's own timeout polls the socket before every send and
    receive, two extra system calls per exchange. Elsewhere, Python's timeout.
    """
    if sys.platform.startswith("linux"):
        whole = int(seconds)
        value = struct.pack("ll", whole, int((seconds - whole) * 1_000_000))
        try:
            sock.settimeout(None)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, value)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, value)
            return
        except OSError:
            pass
    sock.settimeout(seconds)


def _read_response(reader: _SocketReader) -> tuple[HTTPResponse, bool]:
    """Read one response; returns it and whether the connection may be reused."""
    whole = reader.read_whole_response(_MAX_HEAD, _MAX_BODY)
    if whole is not None:
        return whole
    while True:
        head = reader.read_head(_MAX_HEAD)
        try:
            status, keep_alive, framing = parse_response_head(head, _MAX_BODY)
        except ValueError as exc:
            raise RequestFailed(str(exc)) from None
        # Interim answers (100 Continue) precede the real one.
        if not 100 <= status < 200:
            break
    if framing >= 0:
        body = reader.read(framing) if framing else b""
        if len(body) != framing:
            raise RequestFailed(f"response ended after {len(body)} of {framing} bytes")
    elif framing == _CHUNKED:
        body = _read_chunked(reader)
    elif status in (204, 304):
        body = b""
    else:
        body = reader.read_to_end()
        keep_alive = False
    return HTTPResponse(status, head, body), keep_alive


def _parse_fields(lines: list[bytes]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in lines:
        name, colon, value = line.partition(b":")
        if not colon:
            continue
        key = name.strip().lower().decode("latin-1")
        text = value.strip().decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return headers


def _read_chunked(reader: _SocketReader) -> bytes:
    parts: list[bytes] = []
    total = 0
    while True:
        line = reader.readline(_MAX_LINE)
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise RequestFailed(f"malformed chunk size line {line[:100]!r}") from None
        if size < 0:
            raise RequestFailed(f"negative chunk size in {line[:100]!r}")
        total += size
        if total > _MAX_BODY:
            raise RequestFailed(f"response body larger than {_MAX_BODY} bytes")
        if size == 0:
            # Trailer fields, up to the blank line.
            trailer = reader.read_head(_MAX_HEAD)
            if not trailer:
                raise RequestFailed("malformed or truncated chunked response")
            try:
                check_trailer(trailer)
            except ValueError as exc:
                raise RequestFailed(str(exc)) from None
            return b"".join(parts)
        chunk = reader.read(size)
        if len(chunk) != size or reader.readline(_MAX_LINE) not in (b"\r\n", b"\n"):
            raise RequestFailed("malformed or truncated chunked response")
        parts.append(chunk)
