"""AWS Signature Version 4: the region of a request, and optional verification against keys."""

from __future__ import annotations

import hashlib
import hmac
import time
from calendar import timegm
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import parse_qsl, quote

from botoflowx.server._faults import (
    IncompleteSignatureException,
    InvalidSignatureException,
    UnrecognizedClientException,
)

__all__ = ["DEFAULT_REGION", "SigV4Verifier", "region_of"]

DEFAULT_REGION = "us-east-1"
ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "swf"
# AWS refuses requests whose X-Amz-Date is more than 15 minutes from its clock.
MAX_SKEW_SECONDS = 15 * 60

_AMZ_DATE_FORMAT_LEN = len("20261127T160521Z")


def region_of(authorization: str | None) -> str:
    """Return the region named in an Authorization header's credential scope.

    Never raises: without a usable scope the region is ``us-east-1``. This is the
    cheap path used when signatures are not verified.
    """
    if not authorization:
        return DEFAULT_REGION
    start = authorization.find("Credential=")
    if start < 0:
        return DEFAULT_REGION
    end = authorization.find(",", start)
    scope = authorization[start + len("Credential=") : end if end >= 0 else None]
    parts = scope.strip().split("/")
    # AKID/date/region/service/aws4_request
    if len(parts) == 5 and parts[2]:
        return parts[2]
    return DEFAULT_REGION


def _parse_authorization(authorization: str) -> tuple[str, list[str], list[str], str]:
    """Split ``AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...``.

    Returns:
        (access key id, credential scope parts after the key, signed header names, signature).

    Raises:
        IncompleteSignatureException: the header is not a complete SigV4 authorization.
    """
    algorithm, _, rest = authorization.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise IncompleteSignatureException(
            f"Unsupported AWS 'algorithm': '{algorithm}'. Expected '{ALGORITHM}'."
        )
    fields: dict[str, str] = {}
    for item in rest.split(","):
        key, sep, value = item.strip().partition("=")
        if sep:
            fields[key] = value
    missing = [k for k in ("Credential", "SignedHeaders", "Signature") if not fields.get(k)]
    if missing:
        raise IncompleteSignatureException(
            " ".join(f"Authorization header requires '{k}' parameter." for k in missing)
            + f" Authorization={authorization}"
        )
    credential = fields["Credential"].split("/")
    if len(credential) != 5 or not all(credential):
        raise IncompleteSignatureException(
            "Credential should be scoped to a valid region, service and aws4_request: "
            f"'{fields['Credential']}'."
        )
    signed_headers = fields["SignedHeaders"].split(";")
    return credential[0], credential[1:], signed_headers, fields["Signature"]


def _parse_amz_date(value: str) -> float:
    """Return the epoch seconds of an ``X-Amz-Date`` value (``YYYYMMDDTHHMMSSZ``)."""
    if len(value) != _AMZ_DATE_FORMAT_LEN:
        raise ValueError(value)
    parsed = time.strptime(value, "%Y%m%dT%H%M%SZ")
    return float(timegm(parsed))


def _canonical_uri(path: str) -> str:
    # SWF's JSON protocol always posts to "/"; encode other paths the way SigV4 does
    # for non-S3 services (each segment percent-encoded, "/" kept).
    return quote(path or "/", safe="/~")


def _canonical_query(query: str) -> str:
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    encoded = sorted((quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, v in pairs)
    return "&".join(f"{k}={v}" for k, v in encoded)


def _canonical_headers(
    headers: Iterable[tuple[str, str]], signed: list[str]
) -> tuple[str, set[str]]:
    """Return the canonical header block for ``signed`` and the names actually present."""
    values: dict[str, list[str]] = {}
    wanted = set(signed)
    for name, value in headers:
        lower = name.lower()
        if lower in wanted:
            # SigV4 trims and collapses inner runs of spaces in each value.
            values.setdefault(lower, []).append(" ".join(value.split()))
    lines = [f"{name}:{','.join(values.get(name, ()))}\n" for name in signed]
    return "".join(lines), set(values)


class SigV4Verifier:
    """Verifies SigV4-signed requests against a fixed set of access keys.

    The signature is recomputed from the request as received (method, path,
    query, the signed headers and the SHA-256 of the body) and compared in
    constant time. Derived signing keys are cached per day and region.
    """

    def __init__(
        self, credentials: Mapping[str, str], *, clock: Callable[[], float] = time.time
    ) -> None:
        """Create a verifier.

        Args:
            credentials: access key id -> secret access key.
            clock: a callable returning epoch seconds, for the date-skew check.
        """
        if not credentials:
            raise ValueError("SigV4Verifier needs at least one access key")
        self._secrets = dict(credentials)
        self._clock = clock
        self._keys: dict[tuple[str, str, str, str], bytes] = {}

    def _signing_key(self, akid: str, secret: str, day: str, region: str, service: str) -> bytes:
        cache_key = (akid, day, region, service)
        key = self._keys.get(cache_key)
        if key is None:
            key = hmac.digest(("AWS4" + secret).encode(), day.encode(), "sha256")
            for part in (region, service, "aws4_request"):
                key = hmac.digest(key, part.encode(), "sha256")
            if len(self._keys) > 1024:  # a handful of keys x regions x days; stay bounded
                self._keys.clear()
            self._keys[cache_key] = key
        return key

    def verify(
        self,
        method: str,
        path: str,
        query: str,
        headers: Iterable[tuple[str, str]],
        body: bytes,
    ) -> str:
        """Check a request's signature and return the region of its credential scope.

        Args:
            method: the HTTP method.
            path: the request path without the query string.
            query: the raw query string (may be empty).
            headers: every header as received, in order (repeated names allowed).
            body: the exact request body.

        Raises:
            IncompleteSignatureException: no or malformed Authorization / X-Amz-Date.
            UnrecognizedClientException: the access key id is not configured.
            InvalidSignatureException: the signature does not match, or the date is
                more than 15 minutes away from the server's clock.
        """
        header_list = list(headers)
        lookup = {name.lower(): value for name, value in header_list}
        authorization = lookup.get("authorization")
        if not authorization:
            raise IncompleteSignatureException(
                "Request is missing Authentication Token: sign it with SigV4 "
                "(Authorization: AWS4-HMAC-SHA256 ...)."
            )
        akid, scope, signed_headers, signature = _parse_authorization(authorization)
        day, region, service, terminator = scope
        if terminator != "aws4_request":
            raise IncompleteSignatureException(
                f"Credential should be scoped with a valid terminator: 'aws4_request', not "
                f"'{terminator}'."
            )
        if service != SERVICE:
            raise InvalidSignatureException(
                f"Credential should be scoped to correct service: '{SERVICE}', not '{service}'."
            )
        amz_date = lookup.get("x-amz-date")
        if not amz_date:
            raise IncompleteSignatureException(
                "Authorization header requires existence of either a 'X-Amz-Date' or a "
                "'Date' header."
            )
        try:
            signed_at = _parse_amz_date(amz_date)
        except ValueError:
            raise IncompleteSignatureException(
                f"X-Amz-Date must be in the ISO8601 basic format: '{amz_date}'."
            ) from None
        if not amz_date.startswith(day):
            raise InvalidSignatureException(
                f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
                f"date from HTTP: '{day}' != '{amz_date[:8]}'."
            )
        if "host" not in signed_headers or "x-amz-date" not in signed_headers:
            raise InvalidSignatureException(
                "'Host' and 'X-Amz-Date' must be among the signed headers."
            )
        secret = self._secrets.get(akid)
        if secret is None:
            raise UnrecognizedClientException(
                "The security token included in the request is invalid."
            )
        now = self._clock()
        if abs(now - signed_at) > MAX_SKEW_SECONDS:
            raise InvalidSignatureException(
                f"Signature expired: {amz_date} is now earlier or later than the server "
                "time by more than 15 minutes."
            )

        canonical_headers, present = _canonical_headers(header_list, signed_headers)
        absent = [name for name in signed_headers if name not in present]
        if absent:
            raise InvalidSignatureException(
                f"Signed headers are missing from the request: {', '.join(absent)}."
            )
        canonical_request = "\n".join(
            (
                method,
                _canonical_uri(path),
                _canonical_query(query),
                canonical_headers,
                ";".join(signed_headers),
                hashlib.sha256(body).hexdigest(),
            )
        )
        string_to_sign = "\n".join(
            (
                ALGORITHM,
                amz_date,
                "/".join(scope),
                hashlib.sha256(canonical_request.encode()).hexdigest(),
            )
        )
        key = self._signing_key(akid, secret, day, region, service)
        expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            raise InvalidSignatureException(
                "The request signature we calculated does not match the signature you "
                "provided. Check your AWS Secret Access Key and signing method."
            )
        return region
