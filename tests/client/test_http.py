"""The hot-path HTTP/1.1 pool against scripted socket servers: framing, reuse, failures, TLS."""

from __future__ import annotations

import base64
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from botocore.credentials import Credentials

from botoflowx.client import SWFError
from botoflowx.client._http import ConnectFailed, ConnectionPool, Proxy, RequestFailed
from botoflowx.client._transport import RawSWFTransport

HEAD = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n"
BODY = b"ping"

# A script answers one request on a connection: it gets the socket and returns
# False to close the connection afterwards.
Script = Callable[[socket.socket], bool]


@dataclass
class ScriptedServer:
    """Accepts connections and answers each request with the next script."""

    scripts: list[Script] = field(default_factory=list)
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)
    port: int = 0


def read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
    while len(body) < length:
        body += conn.recv(65536)
    return head + b"\r\n\r\n" + body


def accept_in_background(
    listener: socket.socket,
    serve: Callable[[socket.socket], None],
    state: ScriptedServer | None = None,
) -> None:
    """Serve each connection on its own thread until ``listener`` closes; count them in state."""

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            if state is not None:
                state.connections += 1
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    state = ScriptedServer()
    listener = socket.create_server(("127.0.0.1", 0))
    state.port = listener.getsockname()[1]

    def serve(conn: socket.socket) -> None:
        with conn:
            while True:
                try:
                    request = read_request(conn)
                except OSError:
                    return
                if not request:
                    return
                state.requests.append(request)
                if not state.scripts.pop(0)(conn):
                    return

    accept_in_background(listener, serve, state)
    try:
        yield state
    finally:
        listener.close()


def reply(raw: bytes, keep: bool = True) -> Script:
    def script(conn: socket.socket) -> bool:
        conn.sendall(raw)
        return keep

    return script


def ok(body: bytes, extra: bytes = b"") -> Script:
    return reply(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" % (len(body), extra, body))


def pool(state: ScriptedServer, **kwargs: float) -> ConnectionPool:
    options = {"connect_timeout": 2.0, "read_timeout": 2.0, "max_connections": 4}
    options.update(kwargs)
    return ConnectionPool(
        "127.0.0.1",
        state.port,
        tls=None,
        connect_timeout=options["connect_timeout"],
        read_timeout=options["read_timeout"],
        max_connections=int(options["max_connections"]),
    )


def test_content_length_bodies_on_one_reused_connection(server: ScriptedServer) -> None:
    server.scripts += [ok(b'{"a":1}', b"X-Amzn-RequestId: r1\r\n"), ok(b""), ok(b"3")]
    http = pool(server)

    first = http.request(HEAD, BODY)
    assert (first.status, first.body) == (200, b'{"a":1}')
    assert first.headers["x-amzn-requestid"] == "r1"
    assert http.request(HEAD, BODY).body == b""
    assert http.request(HEAD, BODY).body == b"3"
    assert server.connections == 1
    assert server.requests[0] == HEAD + BODY


def test_chunked_body_with_trailer_and_an_interim_100_continue(server: ScriptedServer) -> None:
    server.scripts += [
        reply(
            b"HTTP/1.1 100 Continue\r\n\r\n"
            # Chunked wins over a Content-Length, which is then not even read.
            b"HTTP/1.1 200 OK\r\nContent-Length: junk\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: t\r\n\r\n"
        ),
        ok(b"next"),
    ]
    http = pool(server)

    assert http.request(HEAD, BODY).body == b"hello world"
    assert http.request(HEAD, BODY).body == b"next"
    assert server.connections == 1


def test_a_head_split_across_receives_and_bare_lf_heads_are_read(
    server: ScriptedServer,
) -> None:
    def dribble(conn: socket.socket) -> bool:
        # One byte per send, so the head arrives over many receives.
        for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Split: yes\r\n\r\nok":
            conn.sendall(bytes([byte]))
            time.sleep(0.0005)
        return True

    server.scripts += [
        dribble,
        reply(b"HTTP/1.1 200 OK\nContent-Length: 4\nX-Bare: lf\n\nbare"),
        reply(b"HTTP/1.1 204 No Content\r\n\r\n"),
        # A bare-LF head whose body starts with CRLF: the body is the CRLF.
        reply(b"HTTP/1.1 200 OK\nContent-Length: 2\n\n\r\n"),
        ok(b"last"),
    ]
    http = pool(server)

    split = http.request(HEAD, BODY)
    assert (split.body, split.headers["x-split"]) == (b"ok", "yes")
    bare = http.request(HEAD, BODY)
    assert (bare.body, bare.headers["x-bare"]) == (b"bare", "lf")
    empty = http.request(HEAD, BODY)
    assert (empty.status, empty.body, empty.headers) == (204, b"", {})
    assert http.request(HEAD, BODY).body == b"\r\n"
    assert http.request(HEAD, BODY).body == b"last"
    assert server.connections == 1


def test_a_body_after_its_head_and_one_longer_than_a_receive_are_read_whole(
    server: ScriptedServer,
) -> None:
    # The usual answer is read in one step; these take the general path after it.
    def late_body(conn: socket.socket) -> bool:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")
        time.sleep(0.02)
        conn.sendall(b"hello")
        return True

    big = bytes(range(256)) * 1024
    server.scripts += [late_body, ok(big), ok(b"after")]
    http = pool(server)

    assert http.request(HEAD, BODY).body == b"hello"
    assert http.request(HEAD, BODY).body == big
    assert http.request(HEAD, BODY).body == b"after"
    assert server.connections == 1


def test_connection_close_and_read_to_end_bodies_are_not_reused(server: ScriptedServer) -> None:
    server.scripts += [
        reply(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\na", keep=False),
        reply(b"HTTP/1.1 200 OK\r\n\r\nuntil the end", keep=False),
        # HTTP/1.0 closes unless it says otherwise.
        reply(b"HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nc", keep=False),
        # The first Connection field counts.
        reply(
            b"HTTP/1.1 200 OK\r\nConnection: close\r\nConnection: keep-alive\r\n"
            b"Content-Length: 1\r\n\r\nd",
            keep=False,
        ),
        ok(b"e"),
    ]
    http = pool(server)

    assert [http.request(HEAD, BODY).body for _ in range(5)] == [
        b"a",
        b"until the end",
        b"c",
        b"d",
        b"e",
    ]
    assert server.connections == 5


def test_an_idle_connection_the_server_closed_is_replaced_before_sending(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Connections idle for less than this are trusted without a check.
    monkeypatch.setattr("botoflowx.client._http._TRUST_IDLE_SECONDS", 0.1)
    # The server answers as keep-alive, then closes: the pool must notice
    # before writing the next request on the dead connection.
    server.scripts += [ok(b"a"), ok(b"b")]
    server.scripts[0] = reply(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na", keep=False)
    http = pool(server)

    assert http.request(HEAD, BODY).body == b"a"
    time.sleep(0.2)
    assert http.request(HEAD, BODY).body == b"b"
    assert server.connections == 2


def test_error_statuses_are_responses_not_failures(server: ScriptedServer) -> None:
    server.scripts += [
        reply(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 2\r\nX-Amzn-ErrorType: V\r\n\r\n{}")
    ]
    response = pool(server).request(HEAD, BODY)
    assert (response.status, response.body, response.headers["x-amzn-errortype"]) == (
        400,
        b"{}",
        "V",
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "after 5 of 10 bytes"),
        (b"SMTP ready\r\n\r\n", "malformed status line"),
        (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "malformed header line"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", "invalid Content-Length"),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
            r"Content-Length 99999999999999999999999 is out of range \(0\.\.268435456\)",
        ),
        (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "Content-Length -1 is out of range"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFF\r\n", "larger than"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "chunk size"),
        (b"", "closed the connection without answering"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n", "head was cut off"),
        (b"HTTP/1.1 200 OK\r\nX: " + b"x" * 70_000 + b"\r\n\r\n", "head longer than"),
        (b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * 101 + b"\r\n", "more than 100"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n", "truncated"),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"
            + b"X: y\r\n" * 101
            + b"\r\n",
            "more than 100",
        ),
    ],
)
def test_broken_answers_fail_the_request_and_drop_the_connection(
    server: ScriptedServer, raw: bytes, message: str
) -> None:
    server.scripts += [reply(raw, keep=False), ok(b"fine")]
    http = pool(server)

    with pytest.raises(RequestFailed, match=message):
        http.request(HEAD, BODY)
    assert http.request(HEAD, BODY).body == b"fine"
    assert server.connections == 2


def test_a_read_timeout_is_a_request_failure(server: ScriptedServer) -> None:
    def never_answer(conn: socket.socket) -> bool:
        time.sleep(1.0)
        return False

    server.scripts += [never_answer]
    with pytest.raises(RequestFailed, match="timed out"):
        pool(server, read_timeout=0.2).request(HEAD, BODY)


def test_nothing_listening_is_a_connect_failure() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    http = ConnectionPool(
        "127.0.0.1", port, tls=None, connect_timeout=1.0, read_timeout=1.0, max_connections=1
    )
    with pytest.raises(ConnectFailed, match=f"127.0.0.1:{port}"):
        http.request(HEAD, BODY)


def test_callers_beyond_max_connections_wait_for_a_connection(server: ScriptedServer) -> None:
    released = threading.Event()

    def slow(conn: socket.socket) -> bool:
        released.wait(5)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nslow")
        return True

    server.scripts += [slow, ok(b"fast")]
    http = pool(server, max_connections=1)
    results: list[bytes] = []
    first = threading.Thread(target=lambda: results.append(http.request(HEAD, BODY).body))
    first.start()
    time.sleep(0.2)
    second = threading.Thread(target=lambda: results.append(http.request(HEAD, BODY).body))
    second.start()
    time.sleep(0.2)
    # The second caller waits for the only connection instead of opening another.
    assert server.connections == 1 and results == []
    released.set()
    first.join(5)
    second.join(5)
    assert results == [b"slow", b"fast"]
    assert server.connections == 1


FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def tls_server() -> Iterator[ScriptedServer]:
    """A loopback HTTPS server (certificate for localhost) answering every request with 200."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(FIXTURES / "localhost.crt", FIXTURES / "localhost.key")
    listener = socket.create_server(("127.0.0.1", 0))
    state = ScriptedServer(port=listener.getsockname()[1])

    def serve(raw: socket.socket) -> None:
        try:
            with context.wrap_socket(raw, server_side=True) as conn:
                while request := read_request(conn):
                    target = request.split(b"X-Amz-Target: ")[1].split(b"\r\n")[0]
                    body = b'{"target":"%s"}' % target
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
                    )
        except (OSError, ssl.SSLError):
            pass  # a client that refused the certificate

    accept_in_background(listener, serve, state)
    try:
        yield state
    finally:
        listener.close()


def tls_transport(port: int, verify: bool | str) -> RawSWFTransport:
    credentials = Credentials("AKID", "secret")
    return RawSWFTransport(
        endpoint_url=f"https://localhost:{port}",
        region="us-east-1",
        credentials=lambda: credentials,
        verify=verify,
        max_attempts=1,
        connect_timeout=5.0,
    )


def test_https_endpoints_verify_the_certificate_against_the_given_bundle(
    tls_server: ScriptedServer,
) -> None:
    transport = tls_transport(tls_server.port, str(FIXTURES / "localhost.crt"))
    try:
        for operation in ("DescribeDomain", "PollForDecisionTask", "DescribeDomain"):
            assert transport.call(operation, {"name": "d"}) == (
                b'{"target":"SimpleWorkflowService.%s"}' % operation.encode()
            )
        # One handshake: TLS 1.3's post-handshake tickets must not make an idle
        # connection look dropped.
        assert tls_server.connections == 1
    finally:
        transport.close()


def test_an_untrusted_certificate_fails_before_anything_is_sent(
    tls_server: ScriptedServer,
) -> None:
    # botocore's CA bundle does not hold the test certificate.
    transport = tls_transport(tls_server.port, True)
    with pytest.raises(SWFError) as info:
        transport.call("DescribeDomain", {"name": "d"})
    assert info.value.code == "ConnectionError"
    assert info.value.status == 0  # nothing was sent: safe to retry any call
    assert "CERTIFICATE_VERIFY_FAILED" in info.value.message


def test_verify_false_skips_certificate_checks(tls_server: ScriptedServer) -> None:
    transport = tls_transport(tls_server.port, False)
    try:
        assert b"DescribeDomain" in transport.call("DescribeDomain", {"name": "d"})
    finally:
        transport.close()


def test_a_closed_pool_keeps_no_connection(server: ScriptedServer) -> None:
    server.scripts += [ok(b"a"), ok(b"b"), ok(b"c")]
    http = pool(server)
    assert http.request(HEAD, BODY).body == b"a"
    http.close()
    # Still usable, but no connection is kept: each request opens its own.
    assert http.request(HEAD, BODY).body == b"b"
    assert http.request(HEAD, BODY).body == b"c"
    assert server.connections == 3


def test_the_transport_trusts_the_ca_bundle_boto3_is_configured_with(
    tls_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from botoflowx.client import make_swf_transport

    monkeypatch.setenv("AWS_CA_BUNDLE", str(FIXTURES / "localhost.crt"))
    transport = make_swf_transport(endpoint_url=f"https://localhost:{tls_server.port}")
    try:
        assert b"DescribeDomain" in transport.call("DescribeDomain", {"name": "d"})
    finally:
        transport.close()


# -- through an http:// proxy ---------------------------------------------------------------

AUTH = "Basic " + base64.b64encode(b"user:p@ss").decode()


@dataclass
class ScriptedProxy:
    """Tunnels CONNECT requests to their target; answers anything else itself."""

    port: int = 0
    refuse_with: bytes | None = None
    established: bytes = b"HTTP/1.1 200 Connection established\r\n\r\n"
    heads: list[bytes] = field(default_factory=list)


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, sink):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


@pytest.fixture
def proxy() -> Iterator[ScriptedProxy]:
    state = ScriptedProxy()
    listener = socket.create_server(("127.0.0.1", 0))
    state.port = listener.getsockname()[1]

    def serve(conn: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = conn.recv(65536)
            if not chunk:
                conn.close()
                return
            head += chunk
        state.heads.append(head)
        if not head.startswith(b"CONNECT "):
            # Plain HTTP through the proxy: answer with the request line it got.
            body = head.split(b"\r\n", 1)[0]
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            conn.close()
            return
        if state.refuse_with is not None:
            conn.sendall(state.refuse_with)
            conn.close()
            return
        host, _, port = head.split(b" ")[1].decode().rpartition(":")
        upstream = socket.create_connection((host.strip("[]"), int(port)))
        conn.sendall(state.established)
        threading.Thread(target=_pipe, args=(upstream, conn), daemon=True).start()
        _pipe(conn, upstream)

    accept_in_background(listener, serve)
    try:
        yield state
    finally:
        listener.close()


def transport(endpoint: str, proxy_url: str) -> RawSWFTransport:
    credentials = Credentials("AKID", "secret")
    return RawSWFTransport(
        endpoint_url=endpoint,
        region="us-east-1",
        credentials=lambda: credentials,
        verify=str(FIXTURES / "localhost.crt"),
        max_attempts=1,
        connect_timeout=5.0,
        read_timeout=5.0,
        proxy=proxy_url,
    )


@pytest.mark.parametrize(
    "established",
    [
        b"HTTP/1.1 200 Connection established\r\n\r\n",
        # Only the status line counts: a tunnel's answer has no body, whatever it says.
        b"HTTP/1.0 200 OK\r\nContent-Length: none\r\nProxy-Agent scripted\r\n\r\n",
    ],
)
def test_https_endpoints_are_reached_through_a_connect_tunnel(
    tls_server: ScriptedServer, proxy: ScriptedProxy, established: bytes
) -> None:
    proxy.established = established
    raw = transport(
        f"https://localhost:{tls_server.port}", f"http://user:p%40ss@127.0.0.1:{proxy.port}"
    )
    try:
        for operation in ("DescribeDomain", "PollForDecisionTask"):
            assert raw.call(operation, {"name": "d"}) == (
                b'{"target":"SimpleWorkflowService.%s"}' % operation.encode()
            )
    finally:
        raw.close()
    # One tunnel, kept alive; the certificate was checked against the endpoint's name.
    assert len(proxy.heads) == 1
    connect = proxy.heads[0].decode()
    assert connect.startswith(f"CONNECT localhost:{tls_server.port} HTTP/1.1\r\n")
    assert f"Proxy-Authorization: {AUTH}\r\n" in connect


@pytest.mark.parametrize(
    ("userinfo", "hint"),
    [
        ("", "put the user and password in the proxy URL: http://user:password@host:port"),
        ("user:wrong@", "it rejected the user and password of the proxy URL"),
    ],
)
@pytest.mark.parametrize(
    "fields", [b"Content-Length: 0\r\n", b"Proxy-Authenticate Basic realm=x\r\n"]
)
def test_a_refused_tunnel_is_a_connect_failure_that_says_why(
    tls_server: ScriptedServer, proxy: ScriptedProxy, userinfo: str, hint: str, fields: bytes
) -> None:
    proxy.refuse_with = b"HTTP/1.1 407 Proxy Authentication Required\r\n%s\r\n" % fields
    raw = transport(f"https://localhost:{tls_server.port}", f"{userinfo}127.0.0.1:{proxy.port}")
    raw.max_attempts = 3
    with pytest.raises(SWFError) as info:
        raw.call("DescribeDomain", {"name": "d"})
    # Refused credentials are not retried: one CONNECT, and an error that says why.
    assert (info.value.code, info.value.retryable, len(proxy.heads)) == ("ProxyRefused", False, 1)
    assert info.value.status == 0  # nothing sent to SWF
    assert "407 Proxy Authentication Required" in info.value.message
    assert hint in info.value.message
    assert f"through proxy 127.0.0.1:{proxy.port}" in info.value.message
    assert tls_server.connections == 0


def test_a_tunnel_the_proxy_cannot_open_now_is_retried(
    tls_server: ScriptedServer, proxy: ScriptedProxy
) -> None:
    proxy.refuse_with = b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n"
    raw = transport(f"https://localhost:{tls_server.port}", f"127.0.0.1:{proxy.port}")
    raw.max_attempts = 2
    with pytest.raises(SWFError) as info:
        raw.call("DescribeDomain", {"name": "d"})
    assert (info.value.code, info.value.retryable, len(proxy.heads)) == ("ConnectionError", True, 2)
    assert "502 Bad Gateway" in info.value.message


@pytest.mark.parametrize(
    ("answer", "shown"),
    [(b"SOCKS? 200\r\n\r\n", "malformed status line b'SOCKS? 200\\r'"), (b"", "without answering")],
)
def test_a_tunnel_answer_that_is_not_http_is_a_connect_failure(
    tls_server: ScriptedServer, proxy: ScriptedProxy, answer: bytes, shown: str
) -> None:
    proxy.refuse_with = answer
    raw = transport(f"https://localhost:{tls_server.port}", f"127.0.0.1:{proxy.port}")
    with pytest.raises(SWFError) as info:
        raw.call("DescribeDomain", {"name": "d"})
    assert info.value.status == 0
    assert "the proxy answered CONNECT with" in info.value.message
    assert shown in info.value.message


def test_http_endpoints_send_absolute_form_requests_to_the_proxy(proxy: ScriptedProxy) -> None:
    raw = transport("http://swf.internal:8080/", f"http://user:p%40ss@127.0.0.1:{proxy.port}")
    try:
        # The scripted proxy answers with the request line it got.
        assert (
            raw.call("DescribeDomain", {"name": "d"}) == b"POST http://swf.internal:8080/ HTTP/1.1"
        )
    finally:
        raw.close()
    head = proxy.heads[0].decode()
    assert "Host: swf.internal:8080\r\n" in head
    assert f"Proxy-Authorization: {AUTH}\r\n" in head


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("proxy.corp:3128", Proxy("proxy.corp", 3128, None)),
        ("//proxy.corp", Proxy("proxy.corp", 80, None)),
        (
            "http://u:p@10.0.0.1:8",
            Proxy("10.0.0.1", 8, "Basic " + base64.b64encode(b"u:p").decode()),
        ),
    ],
)
def test_proxy_urls_are_read_as_botocore_reads_them(url: str, expected: Proxy) -> None:
    assert Proxy.from_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://alice:s3cret@proxy.corp:3128", "proxy https://proxy.corp: only http://"),
        ("socks5://proxy.corp:1080", "proxy socks5://proxy.corp: only http://"),
        ("http://alice:s3cret@proxy.corp:99999", "proxy http://proxy.corp: Port out of range"),
    ],
)
def test_an_unusable_proxy_url_is_refused_without_showing_its_password(
    url: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message) as info:
        Proxy.from_url(url)
    assert "s3cret" not in str(info.value)


def test_a_proxy_never_shows_its_credentials() -> None:
    proxy = Proxy.from_url("http://alice:s3cret@proxy.corp:3128")
    assert proxy.authorization == "Basic " + base64.b64encode(b"alice:s3cret").decode()
    assert repr(proxy) == "Proxy(host='proxy.corp', port=3128, authorization=<hidden>)"
    # As botocore: no credentials unless both user and password are given.
    assert Proxy.from_url("http://alice:@proxy.corp").authorization is None


def test_the_transport_takes_the_proxy_boto3_would_use(monkeypatch: pytest.MonkeyPatch) -> None:
    from botoflowx.client import make_swf_transport

    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    via = make_swf_transport(region="us-east-1", endpoint_url="https://swf.us-east-1.amazonaws.com")
    assert via._pool._proxy == Proxy("proxy.corp", 3128, None)
    monkeypatch.setenv("NO_PROXY", "amazonaws.com")
    direct = make_swf_transport(
        region="us-east-1", endpoint_url="https://swf.us-east-1.amazonaws.com"
    )
    assert direct._pool._proxy is None
    plain = make_swf_transport(region="us-east-1", endpoint_url="http://127.0.0.1:9")
    assert plain._pool._proxy is None  # HTTPS_PROXY does not apply to http:// endpoints


def test_a_proxy_the_transport_cannot_use_is_logged_and_skipped(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from botoflowx.client import make_swf_transport

    for name in ("HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "https://alice:s3cret@proxy.corp:3128")
    with caplog.at_level("WARNING", logger="botoflowx.client._swf"):
        direct = make_swf_transport(
            region="us-east-1", endpoint_url="https://swf.us-east-1.amazonaws.com"
        )
    assert direct._pool._proxy is None
    assert "only http:// proxies" in caplog.text
    assert "go to https://swf.us-east-1.amazonaws.com" in caplog.text
    assert "s3cret" not in caplog.text
