"""The hot path's request signer (Rust) signs as botocore does; a verifying server agrees."""

from __future__ import annotations

import datetime
import uuid

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from botoflowx._replay import RequestSigner
from botoflowx.client import SWFError
from botoflowx.client._transport import RawSWFTransport

# 2026-11-27T16:05:21Z
NOW = 1795795521.0
BODY = b'{"domain":"d","taskList":{"name":"tl"}}'
OPERATION = "PollForDecisionTask"
TARGET = f"SimpleWorkflowService.{OPERATION}"
CONTENT_TYPE = "application/x-amz-json-1.0"


def signer(host: str = "h", path: str = "/", region: str = "us-east-1") -> RequestSigner:
    return RequestSigner(
        host=host,
        path=path,
        region=region,
        service="swf",
        target_prefix="SimpleWorkflowService",
        opening=f"POST {path} HTTP/1.1\r\nHost: {host}\r\n".encode(),
        user_agent="tests",
    )


def head_fields(head: bytes) -> dict[str, str]:
    """The header fields of a request head (CRLF lines, one blank line at the end)."""
    text = head.decode()
    assert text.endswith("\r\n\r\n") and text.count("\r\n\r\n") == 1
    lines = text[: -len("\r\n\r\n")].split("\r\n")[1:]
    return dict(line.split(": ", 1) for line in lines)


def botocore_signature(
    monkeypatch: pytest.MonkeyPatch, url: str, region: str, credentials: Credentials
) -> dict[str, str]:
    """The headers botocore's own SigV4Auth adds to the same request at NOW."""
    frozen = datetime.datetime.fromtimestamp(NOW, tz=datetime.timezone.utc).replace(tzinfo=None)
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda: frozen)
    request = AWSRequest(
        method="POST",
        url=url,
        data=BODY,
        headers={"Content-Type": CONTENT_TYPE, "X-Amz-Target": TARGET},
    )
    SigV4Auth(credentials, "swf", region).add_auth(request)
    return dict(request.headers.items())


@pytest.mark.parametrize(
    ("url", "host", "path"),
    [
        ("https://swf.eu-west-1.amazonaws.com/", "swf.eu-west-1.amazonaws.com", "/"),
        ("http://127.0.0.1:8577/", "127.0.0.1:8577", "/"),
        ("https://swf.example.com:8443/prefix/", "swf.example.com:8443", "/prefix/"),
        # botocore drops empty and dot segments, then quotes all but "/" and "~".
        ("https://swf.example.com/a//b/./c/../d~e%/", "swf.example.com", "/a//b/./c/../d~e%/"),
        ("https://swf.example.com/caf\u00e9/x y", "swf.example.com", "/caf\u00e9/x y"),
    ],
)
@pytest.mark.parametrize("token", [None, "FwoGZXIvYXdzEBkaDOTOKEN+/="])
def test_signature_is_byte_for_byte_botocores(
    monkeypatch: pytest.MonkeyPatch, url: str, host: str, path: str, token: str | None
) -> None:
    credentials = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)
    expected = botocore_signature(monkeypatch, url, "eu-west-1", credentials)

    amz_date, authorization = signer(host, path, "eu-west-1").sign(
        OPERATION, BODY, credentials.access_key, credentials.secret_key, token, now=NOW
    )

    assert amz_date == expected["X-Amz-Date"] == "20261127T160521Z"
    assert authorization == expected["Authorization"]


@pytest.mark.parametrize("token", [None, "", "FwoGZXIvYXdzEBkaDOTOKEN+/="])
def test_the_head_is_signed_now_with_the_fields_botocore_sends(token: str | None) -> None:
    rust = signer("swf.example.com", "/", "eu-west-1")
    head = rust.head(OPERATION, BODY, "AKIDEXAMPLE", "secret", token)
    fields = head_fields(head)

    assert head.startswith(b"POST / HTTP/1.1\r\nHost: swf.example.com\r\n")
    assert fields["Content-Type"] == CONTENT_TYPE
    assert fields["X-Amz-Target"] == TARGET
    assert fields["Content-Length"] == str(len(BODY))
    assert fields["User-Agent"] == "tests"
    assert fields.get("X-Amz-Security-Token") == (token or None)  # "" counts as none
    # Signed at the clock's current second: the same signature sign() gives then.
    at = datetime.datetime.strptime(fields["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
    now = at.replace(tzinfo=datetime.timezone.utc).timestamp()
    assert abs(now - datetime.datetime.now(datetime.timezone.utc).timestamp()) < 5
    assert rust.sign(OPERATION, BODY, "AKIDEXAMPLE", "secret", token, now=now) == (
        fields["X-Amz-Date"],
        fields["Authorization"],
    )


@pytest.mark.parametrize(
    ("now", "secret"),
    [
        (1798761599.0, "s"),  # 2026-12-31T23:59:59Z: the last second of a year
        (1798761600.0, "s"),  # and the first of the next (a new day's key)
        (NOW, "k" * 70),  # a key over SHA-256's 64-byte block is hashed first
    ],
)
def test_day_boundaries_and_long_secrets_sign_as_botocore_does(
    monkeypatch: pytest.MonkeyPatch, now: float, secret: str
) -> None:
    credentials = Credentials("AKIDEXAMPLE", secret)
    frozen = datetime.datetime.fromtimestamp(now, tz=datetime.timezone.utc).replace(tzinfo=None)
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda: frozen)
    request = AWSRequest(
        method="POST",
        url="https://swf.us-east-1.amazonaws.com/",
        data=BODY,
        headers={"Content-Type": CONTENT_TYPE, "X-Amz-Target": TARGET},
    )
    SigV4Auth(credentials, "swf", "us-east-1").add_auth(request)

    cached = signer("swf.us-east-1.amazonaws.com")
    cached.sign(OPERATION, BODY, "AKIDEXAMPLE", secret, now=NOW)  # another day's key first
    assert cached.sign(OPERATION, BODY, "AKIDEXAMPLE", secret, now=now) == (
        request.headers["X-Amz-Date"],
        request.headers["Authorization"],
    )


@pytest.mark.parametrize("now", [float("nan"), float("inf"), -1.0, 1e300])
def test_sign_refuses_a_time_it_cannot_write(now: float) -> None:
    with pytest.raises(ValueError, match="end of year 9999"):
        signer().sign(OPERATION, BODY, "AK", "SK", now=now)


def test_a_large_body_is_signed_like_a_small_one() -> None:
    # Bodies from 64 KiB are hashed with the GIL released; the signature is the same.
    body = b"x" * (1 << 20)
    rust = signer("swf.example.com")
    fields = head_fields(rust.head(OPERATION, body, "AK", "SK"))
    at = datetime.datetime.strptime(fields["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
    now = at.replace(tzinfo=datetime.timezone.utc).timestamp()
    assert fields["Content-Length"] == str(len(body))
    assert rust.sign(OPERATION, body, "AK", "SK", now=now)[1] == fields["Authorization"]


def test_the_cached_signing_key_follows_the_secret_and_the_day() -> None:
    cached = signer()
    first = cached.sign(OPERATION, BODY, "AK", "secret-1", now=NOW)[1]
    assert cached.sign(OPERATION, BODY, "AK", "secret-1", now=NOW)[1] == first
    rotated = cached.sign(OPERATION, BODY, "AK", "secret-2", now=NOW)[1]
    next_day = cached.sign(OPERATION, BODY, "AK", "secret-1", now=NOW + 86400)[1]
    fresh = signer()
    assert rotated != first
    assert rotated == fresh.sign(OPERATION, BODY, "AK", "secret-2", now=NOW)[1]
    assert next_day == fresh.sign(OPERATION, BODY, "AK", "secret-1", now=NOW + 86400)[1]


def test_a_server_that_verifies_signatures_accepts_the_transport_and_refuses_a_wrong_key() -> None:
    from botoflowx.server import EmbeddedServer

    keys = {"AKIDGOOD": "the-secret"}
    with EmbeddedServer(port=0, database=":memory:", credentials=keys) as server:

        def transport(secret: str) -> RawSWFTransport:
            credentials = Credentials("AKIDGOOD", secret)
            return RawSWFTransport(
                endpoint_url=server.endpoint_url,
                region="eu-west-1",
                credentials=lambda: credentials,
                max_attempts=1,
            )

        good, bad = transport("the-secret"), transport("not-the-secret")
        try:
            name = f"d-{uuid.uuid4().hex[:8]}"
            good.call(
                "RegisterDomain", {"name": name, "workflowExecutionRetentionPeriodInDays": "1"}
            )
            assert b'"name":"' + name.encode() in good.call("DescribeDomain", {"name": name})
            with pytest.raises(SWFError) as info:
                bad.call("DescribeDomain", {"name": name})
            assert info.value.code == "InvalidSignatureException"
        finally:
            good.close()
            bad.close()
