"""SigV4: region extraction, and verification of requests signed by botocore's own signer."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from typing import Any

import boto3
import botocore.exceptions
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from botoflowx.server._faults import (
    IncompleteSignatureException,
    InvalidSignatureException,
    UnrecognizedClientException,
)
from botoflowx.server._sigv4 import SigV4Verifier, region_of

KEYS = {"AKIDGOOD": "good-secret"}
BODY = b'{"registrationStatus": "REGISTERED"}'
HOST = "127.0.0.1:9191"


def signed(
    *,
    body: bytes = BODY,
    akid: str = "AKIDGOOD",
    secret: str = "good-secret",
    region: str = "eu-west-1",
    url: str = f"http://{HOST}/",
    when: float | None = None,
) -> list[tuple[str, str]]:
    """Sign a request with botocore's signer and return its headers as the server sees them."""
    request = AWSRequest(
        method="POST",
        url=url,
        data=body,
        headers={
            "X-Amz-Target": "SimpleWorkflowService.ListDomains",
            "Content-Type": "application/x-amz-json-1.0",
        },
    )
    signer = SigV4Auth(Credentials(akid, secret), "swf", region)
    if when is not None:
        # botocore stamps the current time; patching its clock is the supported seam.
        import botocore.auth as auth_module

        original = auth_module.datetime.datetime  # type: ignore[attr-defined]

        class Frozen(original):  # type: ignore[misc, valid-type]
            @classmethod
            def now(cls, tz: Any = None) -> Any:
                return original.fromtimestamp(when, tz)

            @classmethod
            def utcnow(cls) -> Any:
                return original.fromtimestamp(when, datetime.timezone.utc).replace(tzinfo=None)

        auth_module.datetime.datetime = Frozen  # type: ignore[attr-defined]
        try:
            signer.add_auth(request)
        finally:
            auth_module.datetime.datetime = original  # type: ignore[attr-defined]
    else:
        signer.add_auth(request)
    headers = list(request.headers.items())
    headers.append(("Host", url.split("/")[2]))
    return headers


def replace(headers: list[tuple[str, str]], name: str, value: str) -> list[tuple[str, str]]:
    return [(n, value if n.lower() == name.lower() else v) for n, v in headers]


def drop(headers: list[tuple[str, str]], name: str) -> list[tuple[str, str]]:
    return [(n, v) for n, v in headers if n.lower() != name.lower()]


def test_region_of() -> None:
    auth = (
        "AWS4-HMAC-SHA256 Credential=AK/20261127/eu-west-1/swf/aws4_request, "
        "SignedHeaders=host, Signature=abc"
    )
    assert region_of(auth) == "eu-west-1"
    assert region_of(None) == "us-east-1"
    assert region_of("") == "us-east-1"
    assert region_of("Bearer x") == "us-east-1"
    assert region_of("AWS4-HMAC-SHA256 Credential=AK/2026/swf") == "us-east-1"


def test_botocore_signed_request_is_accepted_and_gives_the_region() -> None:
    verifier = SigV4Verifier(KEYS)
    assert verifier.verify("POST", "/", "", signed(), BODY) == "eu-west-1"
    assert verifier.verify("POST", "/", "", signed(region="ap-south-1"), BODY) == "ap-south-1"


def test_query_string_and_port_are_part_of_the_signature() -> None:
    verifier = SigV4Verifier(KEYS)
    headers = signed(url="http://localhost:8080/?b=2&a=1")
    assert verifier.verify("POST", "/", "b=2&a=1", headers, BODY) == "eu-west-1"
    with pytest.raises(InvalidSignatureException):
        verifier.verify("POST", "/", "a=1", headers, BODY)


def test_tampered_body_is_rejected() -> None:
    with pytest.raises(InvalidSignatureException, match="signature we calculated"):
        SigV4Verifier(KEYS).verify("POST", "/", "", signed(), BODY.replace(b"REG", b"DEP"))


def test_tampered_signed_header_is_rejected() -> None:
    headers = replace(signed(), "X-Amz-Target", "SimpleWorkflowService.DeprecateDomain")
    with pytest.raises(InvalidSignatureException):
        SigV4Verifier(KEYS).verify("POST", "/", "", headers, BODY)
    headers = replace(signed(), "Host", "evil.example:9191")
    with pytest.raises(InvalidSignatureException):
        SigV4Verifier(KEYS).verify("POST", "/", "", headers, BODY)


def test_unsigned_extra_header_is_tolerated() -> None:
    headers = [*signed(), ("User-Agent", "whatever")]
    assert SigV4Verifier(KEYS).verify("POST", "/", "", headers, BODY) == "eu-west-1"


def test_wrong_secret_is_rejected() -> None:
    with pytest.raises(InvalidSignatureException):
        SigV4Verifier(KEYS).verify("POST", "/", "", signed(secret="nope"), BODY)


def test_unknown_access_key_is_rejected() -> None:
    with pytest.raises(UnrecognizedClientException):
        SigV4Verifier(KEYS).verify("POST", "/", "", signed(akid="AKIDOTHER"), BODY)


def test_old_and_future_dates_are_rejected() -> None:
    now = time.time()
    verifier = SigV4Verifier(KEYS, clock=lambda: now)
    assert verifier.verify("POST", "/", "", signed(when=now - 14 * 60), BODY) == "eu-west-1"
    with pytest.raises(InvalidSignatureException, match="Signature expired"):
        verifier.verify("POST", "/", "", signed(when=now - 16 * 60), BODY)
    with pytest.raises(InvalidSignatureException, match="Signature expired"):
        verifier.verify("POST", "/", "", signed(when=now + 16 * 60), BODY)


def test_missing_or_malformed_authorization() -> None:
    verifier = SigV4Verifier(KEYS)
    with pytest.raises(IncompleteSignatureException, match="missing Authentication Token"):
        verifier.verify("POST", "/", "", drop(signed(), "Authorization"), BODY)
    bad = replace(signed(), "Authorization", "AWS4-HMAC-SHA256 Credential=AKIDGOOD/x")
    with pytest.raises(IncompleteSignatureException, match="SignedHeaders"):
        verifier.verify("POST", "/", "", bad, BODY)
    bad = replace(signed(), "Authorization", "AWS3 whatever")
    with pytest.raises(IncompleteSignatureException, match="algorithm"):
        verifier.verify("POST", "/", "", bad, BODY)
    with pytest.raises(IncompleteSignatureException, match="X-Amz-Date"):
        verifier.verify("POST", "/", "", drop(signed(), "X-Amz-Date"), BODY)


def test_signature_for_another_service_is_rejected() -> None:
    request = AWSRequest(method="POST", url=f"http://{HOST}/", data=BODY, headers={})
    SigV4Auth(Credentials("AKIDGOOD", "good-secret"), "s3", "us-east-1").add_auth(request)
    headers = [*request.headers.items(), ("Host", HOST)]
    with pytest.raises(InvalidSignatureException, match="service"):
        SigV4Verifier(KEYS).verify("POST", "/", "", headers, BODY)


def test_verifier_needs_keys() -> None:
    with pytest.raises(ValueError):
        SigV4Verifier({})


# -- over HTTP, with boto3 ---------------------------------------------------------------------


def client(endpoint_url: str, akid: str, secret: str, region: str = "eu-west-1") -> Any:
    return boto3.client(
        "swf",
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=akid,
        aws_secret_access_key=secret,
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )


def test_boto3_over_http_with_verification(make_front: Callable[..., Any]) -> None:
    front = make_front(credentials=KEYS)
    front.engine.handlers["ListDomains"] = lambda params: {"domainInfos": []}
    good = client(front.endpoint_url, "AKIDGOOD", "good-secret", region="eu-central-1")
    assert good.list_domains(registrationStatus="REGISTERED")["domainInfos"] == []
    assert front.engine.calls == [
        ("ListDomains", {"registrationStatus": "REGISTERED"}, "eu-central-1")
    ]

    bad = client(front.endpoint_url, "AKIDGOOD", "wrong")
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        bad.list_domains(registrationStatus="REGISTERED")
    assert excinfo.value.response["Error"]["Code"] == "InvalidSignatureException"

    unknown = client(front.endpoint_url, "AKIDNOBODY", "x")
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        unknown.list_domains(registrationStatus="REGISTERED")
    assert excinfo.value.response["Error"]["Code"] == "UnrecognizedClientException"
    # Refused requests never reach the engine.
    assert len(front.engine.calls) == 1


def test_unverified_server_takes_region_from_scope(front: Any) -> None:
    front.engine.handlers["ListDomains"] = lambda params: {"domainInfos": []}
    client(front.endpoint_url, "any", "thing", region="sa-east-1").list_domains(
        registrationStatus="REGISTERED"
    )
    assert front.engine.calls[0][2] == "sa-east-1"
