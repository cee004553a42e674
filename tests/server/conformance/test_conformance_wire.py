"""Conformance: the JSON 1.0 wire protocol over raw HTTP, bad requests and keep-alive."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from helpers.server import ServerProcess
from helpers.swf import unique

CONTENT_TYPE = "application/x-amz-json-1.0"
TARGET_PREFIX = "SimpleWorkflowService."


class Reply:
    """One HTTP response, read completely."""

    def __init__(self, response: http.client.HTTPResponse) -> None:
        self.status = response.status
        self.headers = {k.lower(): v for k, v in response.getheaders()}
        self.body = response.read()

    def json(self) -> Any:
        return json.loads(self.body)


def _connect(server: ServerProcess) -> http.client.HTTPConnection:
    url = urlsplit(server.endpoint_url)
    assert url.hostname is not None and url.port is not None
    return http.client.HTTPConnection(url.hostname, url.port, timeout=30)


def _send(
    conn: http.client.HTTPConnection,
    body: bytes | str,
    target: str | None = TARGET_PREFIX + "ListDomains",
    extra_headers: dict[str, str] | None = None,
) -> Reply:
    headers = {"Content-Type": CONTENT_TYPE}
    if target is not None:
        headers["X-Amz-Target"] = target
    headers.update(extra_headers or {})
    payload = body.encode() if isinstance(body, str) else body
    conn.request("POST", "/", body=payload, headers=headers)
    return Reply(conn.getresponse())


def _ok_call(conn: http.client.HTTPConnection) -> Reply:
    reply = _send(conn, json.dumps({"registrationStatus": "REGISTERED", "maximumPageSize": 1}))
    assert reply.status == 200, reply.body
    assert "domainInfos" in reply.json()
    return reply


def _assert_error_shape(reply: Reply, code: str | None = None) -> str:
    assert 400 <= reply.status < 500, (reply.status, reply.body)
    assert reply.headers.get("content-type", "").startswith(CONTENT_TYPE)
    body = reply.json()
    assert isinstance(body, dict)
    wire_type = body["__type"]
    assert isinstance(body.get("message"), str)
    # Both botocore (__type) and the smithy SDKs (X-Amzn-ErrorType) must see the same code.
    body_code = wire_type.split("#")[-1].split(":")[0]
    header_code = reply.headers["x-amzn-errortype"].split("#")[-1].split(":")[0]
    assert body_code == header_code
    if code is not None:
        assert body_code == code
    return body_code


@pytest.fixture
def conn(swf_server: ServerProcess) -> Iterator[http.client.HTTPConnection]:
    connection = _connect(swf_server)
    try:
        yield connection
    finally:
        connection.close()


def test_success_response_headers_and_void_body(conn: http.client.HTTPConnection) -> None:
    reply = _send(
        conn,
        json.dumps({"name": unique("wire"), "workflowExecutionRetentionPeriodInDays": "1"}),
        TARGET_PREFIX + "RegisterDomain",
    )
    assert reply.status == 200
    assert reply.headers["content-type"].startswith(CONTENT_TYPE)
    assert reply.headers.get("x-amzn-requestid")
    assert reply.body.strip() in (b"", b"{}")


def test_modeled_fault_shape(conn: http.client.HTTPConnection) -> None:
    reply = _send(conn, json.dumps({"name": unique("missing")}), TARGET_PREFIX + "DescribeDomain")
    assert reply.status == 400
    _assert_error_shape(reply, "UnknownResourceFault")
    assert reply.json()["__type"] == "com.amazonaws.swf.base.model#UnknownResourceFault"
    assert reply.headers.get("x-amzn-requestid")


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"", b"\xff\xfe\x00", b'{"registrationStatus": "REGISTERED"'],
    ids=["garbage", "empty", "not-utf8", "truncated"],
)
def test_malformed_json(conn: http.client.HTTPConnection, body: bytes) -> None:
    _assert_error_shape(_send(conn, body))
    _ok_call(conn)


@pytest.mark.parametrize("body", ["[1, 2]", '"a string"', "42", "null"])
def test_json_that_is_not_an_object(conn: http.client.HTTPConnection, body: str) -> None:
    _assert_error_shape(_send(conn, body))
    _ok_call(conn)


def test_unknown_target(conn: http.client.HTTPConnection) -> None:
    _assert_error_shape(_send(conn, "{}", TARGET_PREFIX + "LaunchRockets"))
    _ok_call(conn)
    _assert_error_shape(_send(conn, "{}", "SomeOtherService.ListDomains"))
    _ok_call(conn)


def test_missing_target(conn: http.client.HTTPConnection) -> None:
    _assert_error_shape(_send(conn, "{}", target=None))
    _ok_call(conn)


def test_invalid_field_is_validation_exception(conn: http.client.HTTPConnection) -> None:
    reply = _send(
        conn,
        json.dumps({"name": "x" * 300, "workflowExecutionRetentionPeriodInDays": "1"}),
        TARGET_PREFIX + "RegisterDomain",
    )
    _assert_error_shape(reply, "ValidationException")
    assert "name" in reply.json()["message"]
    reply = _send(conn, json.dumps({"registrationStatus": 7}))
    _assert_error_shape(reply)
    _ok_call(conn)


def test_oversize_body_is_refused_and_the_server_keeps_serving(
    swf_server: ServerProcess, conn: http.client.HTTPConnection
) -> None:
    big = json.dumps({"registrationStatus": "REGISTERED", "pad": "z" * (1024 * 1024 + 10)})
    try:
        reply = _send(conn, big)
    except (ConnectionError, http.client.HTTPException) as exc:  # pragma: no cover - reported
        pytest.fail(f"the server dropped the connection instead of answering: {exc!r}")
    _assert_error_shape(reply)
    if reply.headers.get("connection", "").lower() != "close":
        _ok_call(conn)
    fresh = _connect(swf_server)
    try:
        _ok_call(fresh)
    finally:
        fresh.close()


def test_keep_alive_serves_many_requests_on_one_connection(
    conn: http.client.HTTPConnection,
) -> None:
    _ok_call(conn)
    sock = conn.sock
    assert sock is not None
    for _ in range(5):
        reply = _ok_call(conn)
        assert reply.headers.get("connection", "").lower() != "close"
    _assert_error_shape(_send(conn, "{oops"))
    _ok_call(conn)
    assert conn.sock is sock, "the server closed a keep-alive connection"


def test_sigv4_headers_are_accepted(conn: http.client.HTTPConnection) -> None:
    reply = _send(
        conn,
        json.dumps({"registrationStatus": "REGISTERED"}),
        extra_headers={
            "X-Amz-Date": "20261127T160521Z",
            "Authorization": (
                "AWS4-HMAC-SHA256 Credential=AKID/20261127/eu-west-1/swf/aws4_request, "
                "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=00"
            ),
        },
    )
    assert reply.status == 200


def test_empty_poll_wire_shape(swf_server: ServerProcess, conn: http.client.HTTPConnection) -> None:
    domain = unique("wirepoll")
    reply = _send(
        conn,
        json.dumps({"name": domain, "workflowExecutionRetentionPeriodInDays": "1"}),
        TARGET_PREFIX + "RegisterDomain",
    )
    assert reply.status == 200
    reply = _send(
        conn,
        json.dumps({"domain": domain, "taskList": {"name": "nothing"}}),
        TARGET_PREFIX + "PollForDecisionTask",
    )
    assert reply.status == 200
    body = reply.json()
    assert body.get("taskToken", "") == ""
    assert body["startedEventId"] == 0
    assert body.get("previousStartedEventId", 0) == 0
    reply = _send(
        conn,
        json.dumps({"domain": domain, "taskList": {"name": "nothing"}}),
        TARGET_PREFIX + "PollForActivityTask",
    )
    assert reply.status == 200
    assert reply.json().get("taskToken", "") == ""
    assert reply.json()["startedEventId"] == 0


def test_timestamps_are_epoch_seconds(conn: http.client.HTTPConnection) -> None:
    domain = unique("wirets")
    _send(
        conn,
        json.dumps({"name": domain, "workflowExecutionRetentionPeriodInDays": "1"}),
        TARGET_PREFIX + "RegisterDomain",
    )
    reply = _send(
        conn,
        json.dumps({"domain": domain, "name": "t", "version": "1"}),
        TARGET_PREFIX + "RegisterActivityType",
    )
    assert reply.status == 200
    reply = _send(
        conn,
        json.dumps({"domain": domain, "activityType": {"name": "t", "version": "1"}}),
        TARGET_PREFIX + "DescribeActivityType",
    )
    created = reply.json()["typeInfo"]["creationDate"]
    assert isinstance(created, (int, float))
    assert 1.5e9 < created < 1e10
