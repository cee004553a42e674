"""The request-head parser: a head parses the same whether it arrives whole or in pieces."""

from __future__ import annotations

import json
import socket
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from botoflowx.server._http import RequestHeaders, split_fields

TARGET = b"X-Amz-Target: SimpleWorkflowService.ListDomains"
BODY = b'{"registrationStatus": "REGISTERED"}'


def exchange(port: int, chunks: list[bytes], pause: float = 0.0) -> bytes:
    """Send ``chunks`` (pausing between them so each arrives alone); read until close."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for chunk in chunks:
            sock.sendall(chunk)
            if pause:
                time.sleep(pause)
        data = b""
        while True:
            try:
                part = sock.recv(65536)
            except TimeoutError:
                break
            if not part:
                break
            data += part
        return data


def request(*fields: bytes, eol: bytes = b"\r\n") -> bytes:
    length = f"Content-Length: {len(BODY)}".encode()
    lines = [b"POST / HTTP/1.1", TARGET, b"Connection: close", length, *fields]
    return eol.join(lines) + eol + eol + BODY


@pytest.mark.parametrize("eol", [b"\r\n", b"\n"])
@pytest.mark.parametrize("split", [False, True])
def test_a_head_parses_the_same_whole_or_in_pieces(front: Any, eol: bytes, split: bool) -> None:
    data = request(b"X-Custom:   spaced value \t", b"x-custom: second", eol=eol)
    chunks = [data[i : i + 7] for i in range(0, len(data), 7)] if split else [data]
    reply = exchange(front.port, chunks, pause=0.002 if split else 0.0)
    assert reply.startswith(b"HTTP/1.1 200"), reply[:200]
    assert front.engine.calls[-1][0] == "ListDomains"


@pytest.mark.parametrize(
    "bad",
    [b" folded continuation", b"NoColonHere", b"Name : value", b": no name", b"\tTabbed: x"],
)
@pytest.mark.parametrize("split", [False, True])
def test_malformed_field_lines_are_refused_whole_or_in_pieces(
    front: Any, bad: bytes, split: bool
) -> None:
    data = request(bad)
    chunks = [data[:20], data[20:]] if split else [data]
    reply = exchange(front.port, chunks, pause=0.01 if split else 0.0)
    assert reply.startswith(b"HTTP/1.1 400"), reply[:200]
    body = json.loads(reply.partition(b"\r\n\r\n")[2])
    assert "Malformed header line" in body["message"]
    assert repr(bad)[2:-1] in body["message"]
    assert front.engine.calls == []


def test_a_head_with_more_fields_than_allowed_is_refused(front: Any) -> None:
    fields = [f"X-F{i}: v".encode() for i in range(120)]
    reply = exchange(front.port, [request(*fields)])
    assert reply.startswith(b"HTTP/1.1 431"), reply[:200]
    assert front.engine.calls == []


def test_a_body_that_looks_like_a_head_is_not_read_as_one(front: Any) -> None:
    # An LF-only head: the CRLF blank line inside the body must not end the head.
    body = b'{"registrationStatus": "REGISTERED"}\r\n\r\n'
    head = b"\n".join(
        [b"POST / HTTP/1.1", TARGET, b"Connection: close", f"Content-Length: {len(body)}".encode()]
    )
    reply = exchange(front.port, [head + b"\n\n" + body])
    assert reply.startswith(b"HTTP/1.1 200"), reply[:200]
    assert front.engine.calls[-1][1] == {"registrationStatus": "REGISTERED"}


def test_request_headers_lookups_are_case_insensitive_and_keep_order() -> None:
    headers = RequestHeaders([("Content-Length", "1"), ("content-length", "2"), ("X", "y")])
    assert headers.get("CONTENT-LENGTH") == "1"
    assert headers.get_all("content-length") == ["1", "2"]
    assert headers.get("missing", "d") == "d"
    assert headers.get_all("missing") is None
    assert headers.items() == [("Content-Length", "1"), ("content-length", "2"), ("X", "y")]


def _reference_field(line: bytes) -> tuple[str, str] | None:
    """The exact field-line rule the line-by-line parser applies."""
    name, colon, value = line.partition(b":")
    if not colon or not name or name != name.strip() or line[:1] in (b" ", b"\t"):
        return None
    return name.decode("latin-1"), value.strip().decode("latin-1")


_PIECES = [b"a", b"Z", b"-", b":", b" ", b"\t", b"\r", b"\x0b", b"\x85", b"\xa0", b"\x1c", b"="]


@given(st.lists(st.lists(st.sampled_from(_PIECES), max_size=10).map(b"".join), max_size=6))
def test_the_fast_field_split_reads_what_the_line_by_line_rule_reads(lines: list[bytes]) -> None:
    block = b"".join(line + b"\r\n" for line in lines).decode("latin-1")
    expected = [_reference_field(line) for line in lines]
    assert split_fields(block) == (None if None in expected else expected)


def test_the_fast_field_split_takes_a_botocore_head() -> None:
    block = (
        "Host: 127.0.0.1:8080\r\nX-Amz-Target: SimpleWorkflowService.PollForDecisionTask\r\n"
        "Authorization: AWS4-HMAC-SHA256 Credential=a/b/c, SignedHeaders=x;y, Signature=0\r\n"
        "Content-Length: 2\r\nEmpty:\r\nX-Pad:  \t padded\r\n"
    )
    assert split_fields(block) == [
        ("Host", "127.0.0.1:8080"),
        ("X-Amz-Target", "SimpleWorkflowService.PollForDecisionTask"),
        ("Authorization", "AWS4-HMAC-SHA256 Credential=a/b/c, SignedHeaders=x;y, Signature=0"),
        ("Content-Length", "2"),
        ("Empty", ""),
        ("X-Pad", "padded"),
    ]
