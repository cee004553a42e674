"""The hot-path SigV4 signer signs exactly as botocore does, and a verifying server agrees."""

from __future__ import annotations

import datetime
import uuid

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from botoflowx.client import SWFError
from botoflowx.client._signer import CONTENT_TYPE, SigV4Signer
from botoflowx.client._transport import RawSWFTransport

# 2026-11-27T16:05:21Z
NOW = 1795795521.0
BODY = b'{"domain":"d","taskList":{"name":"tl"}}'
TARGET = "SimpleWorkflowService.PollForDecisionTask"


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
    ],
)
@pytest.mark.parametrize("token", [None, "FwoGZXIvYXdzEBkaDOTOKEN+/="])
def test_signature_is_byte_for_byte_botocores(
    monkeypatch: pytest.MonkeyPatch, url: str, host: str, path: str, token: str | None
) -> None:
    credentials = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)
    expected = botocore_signature(monkeypatch, url, "eu-west-1", credentials)

    signed = SigV4Signer(host=host, path=path, region="eu-west-1").sign(
        TARGET, BODY, credentials.access_key, credentials.secret_key, token, now=NOW
    )

    assert signed.amz_date == expected["X-Amz-Date"] == "20261127T160521Z"
    assert signed.authorization == expected["Authorization"]
    assert signed.security_token == expected.get("X-Amz-Security-Token")


def test_the_cached_signing_key_follows_the_secret_and_the_day() -> None:
    signer = SigV4Signer(host="h", path="/", region="us-east-1")
    first = signer.sign(TARGET, BODY, "AK", "secret-1", now=NOW).authorization
    assert signer.sign(TARGET, BODY, "AK", "secret-1", now=NOW).authorization == first
    rotated = signer.sign(TARGET, BODY, "AK", "secret-2", now=NOW).authorization
    next_day = signer.sign(TARGET, BODY, "AK", "secret-1", now=NOW + 86400).authorization
    fresh = SigV4Signer(host="h", path="/", region="us-east-1")
    assert rotated != first
    assert rotated == fresh.sign(TARGET, BODY, "AK", "secret-2", now=NOW).authorization
    assert next_day == fresh.sign(TARGET, BODY, "AK", "secret-1", now=NOW + 86400).authorization


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
