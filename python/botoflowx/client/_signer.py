"""SigV4 signing of SWF's JSON 1.0 calls, cheap enough for every poll and answer.

botocore's ``SigV4Auth`` builds an ``AWSRequest``, re-parses the URL and walks
generic header machinery on every call: about a fifth of a millisecond, more
than a cached decision costs. An SWF call is always ``POST`` to the endpoint's
path with the same four or five headers, so the canonical request is a fixed
template. The signing key depends only on the secret, the day, the region and
the service, so it is derived once a day instead of four HMACs per call. The
result is byte for byte what botocore signs (``tests/client/test_signer.py``
compares them).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import quote

if TYPE_CHECKING:
    from hashlib import _Hash

__all__ = ["SigV4Signer", "SignedHeaders"]

ALGORITHM = "AWS4-HMAC-SHA256"
CONTENT_TYPE = "application/x-amz-json-1.0"


class SignedHeaders(NamedTuple):
    """The headers a signed call sends besides ``Host`` and ``Content-Length``."""

    amz_date: str
    authorization: str
    security_token: str | None


class SigV4Signer:
    """Signs ``POST <path>`` JSON 1.0 calls to one SWF endpoint.

    Thread-safe: the only state is the signing-key cache, whose entries are
    immutable and replaced whole.

    Args:
        host: The ``Host`` header value: the hostname, with ``:port`` only
            when the port is not the scheme's default (as botocore signs it).
        path: The request path of the endpoint, usually ``/``.
        region: The signing region.
        service: The signing name (``swf``).
    """

    def __init__(self, *, host: str, path: str, region: str, service: str = "swf") -> None:
        self.host = host
        self.region = region
        self.service = service
        self._canonical_path = quote(path or "/", safe="/~")
        self._scope_tail = f"/{region}/{service}/aws4_request"
        # (secret key, date stamp) -> the signing key's HMAC pads; one entry in practice.
        self._keys: dict[tuple[str, str], tuple[_Hash, _Hash]] = {}
        # (whole second, its X-Amz-Date): strftime costs more than the rest of a header.
        self._date: tuple[int, str] = (-1, "")

    def sign(
        self,
        target: str,
        body: bytes,
        access_key: str,
        secret_key: str,
        token: str | None = None,
        *,
        now: float | None = None,
    ) -> SignedHeaders:
        """Sign one call.

        Args:
            target: The ``X-Amz-Target`` value, e.g. ``SimpleWorkflowService.PollForDecisionTask``.
            body: The exact request body.
            access_key: The credentials' access key id.
            secret_key: The credentials' secret key.
            token: The session token of temporary credentials, if any.
            now: Seconds since the epoch to sign at (tests); default: the clock.

        Returns:
            The ``X-Amz-Date``, ``Authorization`` and ``X-Amz-Security-Token`` values.
        """
        amz_date = self._amz_date(now)
        date_stamp = amz_date[:8]
        if token:
            canonical_headers = (
                f"content-type:{CONTENT_TYPE}\nhost:{self.host}\nx-amz-date:{amz_date}\n"
                f"x-amz-security-token:{token}\nx-amz-target:{target}\n"
            )
            signed_headers = "content-type;host;x-amz-date;x-amz-security-token;x-amz-target"
        else:
            canonical_headers = (
                f"content-type:{CONTENT_TYPE}\nhost:{self.host}\nx-amz-date:{amz_date}\n"
                f"x-amz-target:{target}\n"
            )
            signed_headers = "content-type;host;x-amz-date;x-amz-target"
        canonical_request = (
            f"POST\n{self._canonical_path}\n\n{canonical_headers}\n{signed_headers}\n"
            f"{hashlib.sha256(body).hexdigest()}"
        )
        scope = date_stamp + self._scope_tail
        string_to_sign = (
            f"{ALGORITHM}\n{amz_date}\n{scope}\n"
            f"{hashlib.sha256(canonical_request.encode()).hexdigest()}"
        )
        inner, outer = self._signing_pads(secret_key, date_stamp)
        # HMAC-SHA256 from the key's two pads, hashed once a day: copying them
        # saves two of the signature's four SHA-256 blocks and OpenSSL's
        # per-call HMAC setup.
        inner = inner.copy()
        inner.update(string_to_sign.encode())
        outer = outer.copy()
        outer.update(inner.digest())
        signature = outer.hexdigest()
        authorization = (
            f"{ALGORITHM} Credential={access_key}/{scope}, "
            f"SignedHeaders={signed_headers}, Signature={signature}"
        )
        return SignedHeaders(amz_date, authorization, token or None)

    def _amz_date(self, now: float | None) -> str:
        if now is None:
            now = time.time()
        second = int(now)
        cached_second, amz_date = self._date
        if second != cached_second:
            amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(second))
            # Replaced whole: a thread reads either the old pair or the new one.
            self._date = (second, amz_date)
        return amz_date

    def _signing_pads(self, secret_key: str, date_stamp: str) -> tuple[_Hash, _Hash]:
        cache_key = (secret_key, date_stamp)
        pads = self._keys.get(cache_key)
        if pads is None:
            key = _hmac(f"AWS4{secret_key}".encode(), date_stamp)
            for part in (self.region, self.service, "aws4_request"):
                key = _hmac(key, part)
            # The key is 32 bytes, under SHA-256's 64-byte block: padded, not hashed.
            block = key.ljust(64, b"\0")
            pads = (
                hashlib.sha256(bytes(byte ^ 0x36 for byte in block)),
                hashlib.sha256(bytes(byte ^ 0x5C for byte in block)),
            )
            # Keys of earlier days or rotated secrets are never needed again.
            self._keys = {cache_key: pads}
        return pads


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.digest(key, message.encode(), "sha256")
