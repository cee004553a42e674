"""The HTTP front over real sockets, with a fake engine: framing, errors, keep-alive, shutdown."""

from __future__ import annotations

import http.client
import json
import logging
import socket
import threading
import time
from typing import Any

import boto3
import pytest
from botocore.config import Config

from botoflowx.server._faults import UnknownResourceFault
from botoflowx.server._http import MAX_REQUEST_BYTES

JSON_CT = "application/x-amz-json-1.0"
POLL = {"domain": "d", "taskList": {"name": "tl"}}


def post(
    conn: http.client.HTTPConnection,
    target: str | None,
    body: bytes | str | dict[str, Any],
    headers: dict[str, str] | None = None,
) -> tuple[http.client.HTTPResponse, bytes]:
    if isinstance(body, dict):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    all_headers = {"Content-Type": JSON_CT}
    if target is not None:
        all_headers["X-Amz-Target"] = target
    all_headers.update(headers or {})
    conn.request("POST", "/", body=body, headers=all_headers)
    response = conn.getresponse()
    return response, response.read()


def error_of(response: http.client.HTTPResponse, payload: bytes) -> tuple[int, str, str, str]:
    body = json.loads(payload)
    return response.status, body["__type"], response.getheader("X-Amzn-ErrorType"), body["message"]


def raw_exchange(port: int, request: bytes, timeout: float = 5.0) -> bytes:
    """Send raw bytes, return everything the server sends until it closes (or a timeout)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            try:
                data = sock.recv(65536)
            except TimeoutError:
                break
            if not data:
                break
            chunks.append(data)
        return b"".join(chunks)


def swf_client(endpoint_url: str) -> Any:
    return boto3.client(
        "swf",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )


# -- success ------------------------------------------------------------------------------------


def test_operation_with_output(front: Any) -> None:
    front.engine.handlers["PollForDecisionTask"] = lambda p: {
        "startedEventId": 0,
        "previousStartedEventId": 0,
    }
    conn = front.connection()
    response, payload = post(conn, "SimpleWorkflowService.PollForDecisionTask", POLL)
    assert response.status == 200
    assert response.getheader("Content-Type") == JSON_CT
    assert len(response.getheader("x-amzn-RequestId")) == 36
    assert json.loads(payload) == {"startedEventId": 0, "previousStartedEventId": 0}
    assert front.engine.calls == [("PollForDecisionTask", POLL, "us-east-1")]


def test_operation_without_output_has_empty_body(front: Any) -> None:
    conn = front.connection()
    response, payload = post(
        conn,
        "SimpleWorkflowService.RegisterDomain",
        {"name": "d", "workflowExecutionRetentionPeriodInDays": "1"},
    )
    assert response.status == 200
    assert payload == b""
    assert response.getheader("Content-Length") == "0"


def test_boto3_round_trip_and_modeled_fault(front: Any) -> None:
    def describe(params: dict[str, Any]) -> dict[str, Any]:
        raise UnknownResourceFault(f"Unknown domain: {params['name']}")

    front.engine.handlers["ListDomains"] = lambda p: {
        "domainInfos": [{"name": "d", "status": "REGISTERED", "arn": "arn:aws:swf:x"}]
    }
    front.engine.handlers["DescribeDomain"] = describe
    swf = swf_client(front.endpoint_url)
    listed = swf.list_domains(registrationStatus="REGISTERED")
    assert listed["domainInfos"][0]["name"] == "d"
    assert len(listed["ResponseMetadata"]["RequestId"]) == 36
    with pytest.raises(swf.exceptions.UnknownResourceFault) as excinfo:
        swf.describe_domain(name="nope")
    assert excinfo.value.response["Error"]["Message"] == "Unknown domain: nope"


# -- bad requests -------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [b"{not json", b"", b"\xff\xfe", b'{"a": 1} trailing'])
def test_malformed_json(front: Any, body: bytes) -> None:
    response, payload = post(front.connection(), "SimpleWorkflowService.PollForDecisionTask", body)
    status, wire_type, header, _ = error_of(response, payload)
    assert (status, wire_type, header) == (
        400,
        "com.amazon.coral.service#SerializationException",
        "SerializationException",
    )
    assert front.engine.calls == []


@pytest.mark.parametrize("body", [b"[]", b'"x"', b"1", b"null"])
def test_non_object_body(front: Any, body: bytes) -> None:
    response, payload = post(front.connection(), "SimpleWorkflowService.PollForDecisionTask", body)
    status, _, header, message = error_of(response, payload)
    assert (status, header) == (400, "SerializationException")
    assert "JSON object" in message


@pytest.mark.parametrize(
    "target",
    [
        "SimpleWorkflowService.NoSuchOperation",
        "SimpleWorkflowService.",
        "DynamoDB_20120810.ListTables",
        "SimpleWorkflowService",
        "BotoflowxAdmin.AdvanceClock",  # only with the test clock
        None,
    ],
)
def test_unknown_target(front: Any, target: str | None) -> None:
    response, payload = post(front.connection(), target, {})
    status, wire_type, header, _ = error_of(response, payload)
    assert status == 400
    assert wire_type == "com.amazon.coral.service#UnknownOperationException"
    assert header == "UnknownOperationException"
    assert front.engine.calls == []


def test_validation_error_shape(front: Any) -> None:
    response, payload = post(
        front.connection(), "SimpleWorkflowService.PollForDecisionTask", {"domain": "d"}
    )
    status, wire_type, header, message = error_of(response, payload)
    assert (status, wire_type, header) == (
        400,
        "com.amazon.coral.validate#ValidationException",
        "ValidationException",
    )
    assert message == (
        "1 validation error detected: Value null at 'taskList' failed to satisfy "
        "constraint: Member must not be null"
    )
    assert front.engine.calls == []


def test_get_and_other_paths_are_clean_4xx(front: Any) -> None:
    conn = front.connection()
    conn.request("GET", "/")
    response = conn.getresponse()
    payload = response.read()
    assert response.status == 405
    assert response.getheader("Allow") == "POST"
    assert json.loads(payload)["__type"].endswith("#UnknownOperationException")
    # The connection is still usable after the refusal.
    conn.request(
        "POST",
        "/elsewhere",
        body=b"{}",
        headers={"X-Amz-Target": "SimpleWorkflowService.ListDomains"},
    )
    response = conn.getresponse()
    assert response.status == 404
    assert json.loads(response.read())["__type"].endswith("#UnknownOperationException")
    conn.request("HEAD", "/")
    response = conn.getresponse()
    assert response.status == 405
    assert response.read() == b""


def test_garbage_request_line_gets_json_400(front: Any) -> None:
    raw = raw_exchange(front.port, b"THIS IS NOT HTTP\r\n\r\n")
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert json.loads(body)["__type"].startswith("com.amazon.coral.service#")


# -- body size and framing ----------------------------------------------------------------------


def test_oversize_body_is_refused_before_it_is_read(front: Any) -> None:
    # Only the headers are sent: if the server tried to read the announced body it
    # would wait, and no response would arrive before the timeout.
    request = (
        b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: SimpleWorkflowService.ListDomains\r\n"
        b"Content-Type: application/x-amz-json-1.0\r\n"
        + f"Content-Length: {MAX_REQUEST_BYTES + 1}\r\n\r\n".encode()
    )
    started = time.monotonic()
    raw = raw_exchange(front.port, request, timeout=5.0)
    assert time.monotonic() - started < 4.0
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert b"X-Amzn-ErrorType: RequestEntityTooLargeException" in head
    assert b"Connection: close" in head
    assert json.loads(body)["__type"] == "com.amazon.coral.service#RequestEntityTooLargeException"
    assert front.engine.calls == []


def test_oversize_body_sent_in_full_still_gets_the_refusal(front: Any) -> None:
    # A client that writes the whole body before reading must still see the 413
    # (the server discards the rest instead of resetting the connection).
    conn = front.connection()
    big = b'{"pad": "' + b"z" * (8 * MAX_REQUEST_BYTES) + b'"}'
    response, payload = post(conn, "SimpleWorkflowService.ListDomains", big)
    status, wire_type, header, message = error_of(response, payload)
    assert (status, header) == (413, "RequestEntityTooLargeException")
    assert wire_type == "com.amazon.coral.service#RequestEntityTooLargeException"
    assert str(MAX_REQUEST_BYTES) in message
    assert response.getheader("Connection") == "close"
    assert front.engine.calls == []
    # A new connection is served normally.
    response, _ = post(
        front.connection(),
        "SimpleWorkflowService.ListDomains",
        {"registrationStatus": "REGISTERED"},
    )
    assert response.status == 200


def test_expect_continue_for_an_oversize_body_gets_413_instead_of_100(front: Any) -> None:
    request = (
        b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: SimpleWorkflowService.ListDomains\r\n"
        b"Expect: 100-continue\r\n" + f"Content-Length: {MAX_REQUEST_BYTES + 1}\r\n\r\n".encode()
    )
    raw = raw_exchange(front.port, request)
    assert raw.startswith(b"HTTP/1.1 413")
    assert b"100 Continue" not in raw


def test_expect_continue_for_a_small_body(front: Any) -> None:
    body = b'{"registrationStatus": "REGISTERED"}'
    with socket.create_connection(("127.0.0.1", front.port), timeout=5) as sock:
        sock.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: SimpleWorkflowService.ListDomains\r\n"
            b"Expect: 100-continue\r\nConnection: close\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
        )
        assert sock.recv(1024).startswith(b"HTTP/1.1 100")
        sock.sendall(body)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 200")


def test_body_at_the_limit_is_read(front: Any) -> None:
    body = b'{"registrationStatus": "REGISTERED", "pad": "' + b"x" * MAX_REQUEST_BYTES
    body = body[: MAX_REQUEST_BYTES - 2] + b'"}'
    assert len(body) == MAX_REQUEST_BYTES
    response, _ = post(front.connection(), "SimpleWorkflowService.ListDomains", body)
    assert response.status == 200
    assert front.engine.calls[0][0] == "ListDomains"


def chunked(body: bytes, size: int = 7) -> bytes:
    out = b""
    for i in range(0, len(body), size):
        part = body[i : i + size]
        out += f"{len(part):x}\r\n".encode() + part + b"\r\n"
    return out + b"0\r\n\r\n"


def test_chunked_body(front: Any) -> None:
    body = json.dumps({"registrationStatus": "REGISTERED"}).encode()
    request = (
        b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: SimpleWorkflowService.ListDomains\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunked(body)
    )
    raw = raw_exchange(front.port, request)
    assert raw.startswith(b"HTTP/1.1 200")
    assert front.engine.calls == [
        ("ListDomains", {"registrationStatus": "REGISTERED"}, "us-east-1")
    ]


def test_chunked_body_over_the_limit(front: Any) -> None:
    request = (
        b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: SimpleWorkflowService.ListDomains\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n" + f"{MAX_REQUEST_BYTES + 1:x}\r\n".encode()
    )
    raw = raw_exchange(front.port, request)
    assert raw.startswith(b"HTTP/1.1 413")
    assert front.engine.calls == []


@pytest.mark.parametrize(
    "framing",
    [
        b"Content-Length: abc\r\n",
        b"Content-Length: -5\r\n",
        b"Content-Length: 2\r\nContent-Length: 3\r\n",
        b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n",
        b"Transfer-Encoding: gzip\r\n",
    ],
)
def test_invalid_framing_is_refused_and_closes(front: Any, framing: bytes) -> None:
    request = (
        b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: SimpleWorkflowService.ListDomains\r\n"
        + framing
        + b"\r\n{}"
    )
    raw = raw_exchange(front.port, request)
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.split(b" ")[1] in (b"400", b"501")
    assert b"Connection: close" in head
    assert "__type" in json.loads(body)
    assert front.engine.calls == []


def test_missing_content_length_means_empty_body(front: Any) -> None:
    request = (
        b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: SimpleWorkflowService.ListDomains\r\n"
        b"Connection: close\r\n\r\n"
    )
    raw = raw_exchange(front.port, request)
    assert raw.startswith(b"HTTP/1.1 400")
    assert b"SerializationException" in raw


# -- connections, failures, concurrency ---------------------------------------------------------


def test_keep_alive_serves_many_requests_on_one_connection(front: Any) -> None:
    front.engine.handlers["ListDomains"] = lambda p: {"domainInfos": []}
    conn = front.connection()
    response, _ = post(
        conn, "SimpleWorkflowService.ListDomains", {"registrationStatus": "REGISTERED"}
    )
    assert response.status == 200
    sock = conn.sock
    assert sock is not None
    for _ in range(20):
        response, _ = post(
            conn, "SimpleWorkflowService.ListDomains", {"registrationStatus": "REGISTERED"}
        )
        assert response.status == 200
        assert response.getheader("Connection") is None
    # Errors keep the connection open too.
    response, _ = post(conn, "SimpleWorkflowService.ListDomains", b"{bad")
    assert response.status == 400
    response, _ = post(
        conn, "SimpleWorkflowService.ListDomains", {"registrationStatus": "REGISTERED"}
    )
    assert response.status == 200
    assert conn.sock is sock  # http.client would have reconnected after a close


def test_engine_crash_is_500_and_server_keeps_serving(
    front: Any, caplog: pytest.LogCaptureFixture
) -> None:
    def crash(params: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("boom in the engine")

    front.engine.handlers["DescribeDomain"] = crash
    front.engine.handlers["ListDomains"] = lambda p: {"domainInfos": []}
    conn = front.connection()
    with caplog.at_level(logging.ERROR, logger="botoflowx.server"):
        response, payload = post(conn, "SimpleWorkflowService.DescribeDomain", {"name": "d"})
    status, wire_type, header, _ = error_of(response, payload)
    assert (status, wire_type, header) == (
        500,
        "com.amazon.coral.service#InternalFailure",
        "InternalFailure",
    )
    assert any("boom in the engine" in (r.exc_text or "") for r in caplog.records)
    response, payload = post(
        conn, "SimpleWorkflowService.ListDomains", {"registrationStatus": "REGISTERED"}
    )
    assert response.status == 200
    assert json.loads(payload) == {"domainInfos": []}


def test_unserializable_engine_result_is_500(front: Any, caplog: pytest.LogCaptureFixture) -> None:
    front.engine.handlers["ListDomains"] = lambda p: {"bad": object()}
    with caplog.at_level(logging.CRITICAL, logger="botoflowx.server"):
        response, _ = post(
            front.connection(),
            "SimpleWorkflowService.ListDomains",
            {"registrationStatus": "REGISTERED"},
        )
    assert response.status == 500


def test_a_blocked_poll_blocks_only_its_own_connection(front: Any) -> None:
    release = threading.Event()
    entered = threading.Event()

    def slow_poll(params: dict[str, Any]) -> dict[str, Any]:
        entered.set()
        release.wait(10)
        return {"startedEventId": 0, "previousStartedEventId": 0}

    front.engine.handlers["PollForDecisionTask"] = slow_poll
    front.engine.handlers["ListDomains"] = lambda p: {"domainInfos": []}
    results: list[int] = []

    def poll() -> None:
        response, _ = post(front.connection(), "SimpleWorkflowService.PollForDecisionTask", POLL)
        results.append(response.status)

    poller = threading.Thread(target=poll)
    poller.start()
    assert entered.wait(5)
    started = time.monotonic()
    response, _ = post(
        front.connection(),
        "SimpleWorkflowService.ListDomains",
        {"registrationStatus": "REGISTERED"},
    )
    assert response.status == 200
    assert time.monotonic() - started < 2.0
    assert results == []  # the poll is still waiting
    release.set()
    poller.join(5)
    assert results == [200]


def test_drain_lets_woken_polls_answer_and_closes_idle_connections(make_front: Any) -> None:
    harness = make_front()
    engine = harness.engine

    def poll_until_closed(params: dict[str, Any]) -> dict[str, Any]:
        engine.closed.wait(10)
        return {"startedEventId": 0, "previousStartedEventId": 0}

    engine.handlers["PollForDecisionTask"] = poll_until_closed
    engine.handlers["ListDomains"] = lambda p: {"domainInfos": []}
    idle = harness.connection()
    response, _ = post(
        idle, "SimpleWorkflowService.ListDomains", {"registrationStatus": "REGISTERED"}
    )
    assert response.status == 200
    statuses: list[tuple[int, str | None]] = []

    def poll() -> None:
        response, _ = post(harness.connection(), "SimpleWorkflowService.PollForDecisionTask", POLL)
        statuses.append((response.status, response.getheader("Connection")))

    poller = threading.Thread(target=poll)
    poller.start()
    deadline = time.monotonic() + 5
    while not engine.calls or engine.calls[-1][0] != "PollForDecisionTask":
        assert time.monotonic() < deadline
        time.sleep(0.01)

    started = time.monotonic()
    harness.close()  # shutdown -> engine.close() wakes the poll -> drain -> server_close
    assert time.monotonic() - started < 3.0
    poller.join(5)
    assert statuses == [(200, "close")]
    # The idle keep-alive connection was closed by the server.
    assert idle.sock is not None
    idle.sock.settimeout(2)
    assert idle.sock.recv(1) == b""


# -- admin --------------------------------------------------------------------------------------


def test_admin_advance_clock(make_front: Any) -> None:
    harness = make_front(admin=True)
    conn = harness.connection()
    before = harness.engine.now
    response, payload = post(conn, "BotoflowxAdmin.AdvanceClock", {"seconds": 3600})
    assert response.status == 200
    assert json.loads(payload) == {"now": before + 3600}
    for bad in ({"seconds": -1}, {"seconds": "10"}, {}, {"seconds": True}):
        response, payload = post(conn, "BotoflowxAdmin.AdvanceClock", bad)
        status, _, header, _ = error_of(response, payload)
        assert (status, header) == (400, "ValidationException")
    response, payload = post(conn, "BotoflowxAdmin.Other", {})
    assert error_of(response, payload)[2] == "UnknownOperationException"


def test_shutdown_waits_for_engine_calls_but_not_for_polls(make_front: Any) -> None:
    harness = make_front()
    engine = harness.engine
    in_call = threading.Event()
    release = threading.Event()

    def slow_respond(params: dict[str, Any]) -> None:
        in_call.set()
        release.wait(10)

    def poll(params: dict[str, Any]) -> dict[str, Any]:
        engine.closed.wait(10)
        return {"startedEventId": 0}

    engine.handlers["RespondActivityTaskCompleted"] = slow_respond
    engine.handlers["PollForActivityTask"] = poll
    threads = [
        threading.Thread(
            target=post,
            args=(harness.connection(), "SimpleWorkflowService.PollForActivityTask", POLL),
        ),
        threading.Thread(
            target=post,
            args=(
                harness.connection(),
                "SimpleWorkflowService.RespondActivityTaskCompleted",
                {"taskToken": "t"},
            ),
        ),
    ]
    for thread in threads:
        thread.start()
    assert in_call.wait(5)
    deadline = time.monotonic() + 5
    while len(engine.calls) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert not harness.httpd.wait_for_calls(0.2)  # the respond call is still running
    release.set()
    assert harness.httpd.wait_for_calls(5)  # the waiting poll does not hold shutdown up
    assert not engine.closed.is_set()
    engine.close()
    for thread in threads:
        thread.join(5)


# -- the request head parser --------------------------------------------------------------------

LIST_BODY = b'{"registrationStatus": "REGISTERED"}'


def head(request_line: bytes, *fields: bytes, body: bytes = LIST_BODY) -> bytes:
    lines = [request_line, *fields, b"Content-Length: " + str(len(body)).encode()]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (
            head(
                b"POST / HTTP/1.1", b"X-Amz-Target: SimpleWorkflowService.ListDomains", b" folded"
            ),
            400,
        ),
        (head(b"POST / HTTP/1.1", b"X-Amz-Target SimpleWorkflowService.ListDomains"), 400),
        (head(b"POST / HTTP/1.1", b"X-Amz-Target : SimpleWorkflowService.ListDomains"), 400),
        (head(b"POST / HTTP/1.1", *[b"X-Pad-%d: x" % i for i in range(101)]), 431),
        (head(b"POST / HTTP/1.1", b"X-Long: " + b"x" * 70000), 431),
        (head(b"POST / HTTP/2.0", b"X-Amz-Target: SimpleWorkflowService.ListDomains"), 505),
        (head(b"POST /", b"X-Amz-Target: SimpleWorkflowService.ListDomains"), 400),
    ],
    ids=["folded", "no-colon", "space-before-colon", "too-many", "too-long", "http2", "http09"],
)
def test_malformed_request_heads_are_refused(front: Any, request_bytes: bytes, status: int) -> None:
    raw = raw_exchange(front.port, request_bytes)
    response_head, _, body = raw.partition(b"\r\n\r\n")
    assert response_head.startswith(b"HTTP/1.1 %d" % status), response_head
    assert b"Connection: close" in response_head
    assert "__type" in json.loads(body)
    assert front.engine.calls == []


def test_header_names_are_case_insensitive(front: Any) -> None:
    raw = raw_exchange(
        front.port,
        head(
            b"POST / HTTP/1.1",
            b"x-amz-target: SimpleWorkflowService.ListDomains",
            b"connection: close",
        ),
    )
    assert raw.startswith(b"HTTP/1.1 200")
    assert front.engine.calls == [
        ("ListDomains", {"registrationStatus": "REGISTERED"}, "us-east-1")
    ]


def test_http_1_0_closes_unless_keep_alive_is_asked(front: Any) -> None:
    target = b"X-Amz-Target: SimpleWorkflowService.ListDomains"
    raw = raw_exchange(front.port, head(b"POST / HTTP/1.0", target))
    assert raw.startswith(b"HTTP/1.1 200") and b"Connection: close" in raw
    with socket.create_connection(("127.0.0.1", front.port), timeout=5) as sock:
        for _ in range(2):  # two requests on one HTTP/1.0 keep-alive connection
            sock.sendall(head(b"POST / HTTP/1.0", target, b"Connection: keep-alive"))
            reply = b""
            while b"\r\n\r\n" not in reply:
                reply += sock.recv(65536)
            assert reply.startswith(b"HTTP/1.1 200") and b"Connection: close" not in reply
    assert len(front.engine.calls) == 3
