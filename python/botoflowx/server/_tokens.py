"""Opaque identifiers: run ids, task tokens and signed, argument-bound page tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from typing import Any

import orjson

from botoflowx.server._faults import ValidationException

__all__ = ["PageTokens", "fingerprint", "new_run_id", "new_task_token"]

# Task tokens carry a one-letter kind so a response is routed to the right table
# without probing both; the random part (192 bits) is what makes them unguessable.
DECISION_TOKEN_PREFIX = "d"
ACTIVITY_TOKEN_PREFIX = "a"


def new_run_id() -> str:
    """Return a new run id shaped like SWF's: 44 base64 characters that may hold ``/+=``."""
    return base64.b64encode(os.urandom(32)).decode("ascii")


def new_task_token(kind: str) -> str:
    """Return a new unguessable task token for ``kind`` (``"d"`` or ``"a"``)."""
    return f"{kind}{secrets.token_urlsafe(24)}"


def fingerprint(*parts: Any) -> str:
    """Return a short stable digest of the request arguments a page token is bound to."""
    raw = orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(raw).hexdigest()[:16]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class PageTokens:
    """Issues and checks ``nextPageToken`` values.

    A token is the page cursor plus the fingerprint of the call's other arguments
    and an expiry, signed with a per-database secret so clients cannot forge or
    edit it and tokens stay valid across a server restart.
    """

    def __init__(self, secret: bytes, lifetime: float) -> None:
        self._secret = secret
        self._lifetime = lifetime

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._secret, body.encode("ascii"), hashlib.sha256).digest()[:18])

    def issue(self, kind: str, bound: str, cursor: dict[str, Any], now: float) -> str:
        """Return a token for ``cursor``.

        Args:
            kind: which operation family the token belongs to (tokens do not cross over).
            bound: the fingerprint of the other arguments of the call.
            cursor: where the next page starts (small JSON-able dict).
            now: the current time, for the expiry.
        """
        payload = {"k": kind, "b": bound, "x": round(now + self._lifetime), **cursor}
        body = _b64(orjson.dumps(payload))
        return f"{body}.{self._sign(body)}"

    def check(self, token: str, kind: str, bound: str, now: float) -> dict[str, Any]:
        """Return the cursor of a token issued by :meth:`issue`.

        Raises:
            ValidationException: if the token is malformed, forged, for another call or
                for other arguments, or expired.
        """
        body, _, signature = token.partition(".")
        if not signature or not hmac.compare_digest(signature, self._sign(body)):
            raise ValidationException("Invalid nextPageToken")
        try:
            cursor = orjson.loads(_unb64(body))
        except (ValueError, orjson.JSONDecodeError) as exc:  # pragma: no cover - signed
            raise ValidationException("Invalid nextPageToken") from exc
        if not isinstance(cursor, dict) or cursor.get("k") != kind or cursor.get("b") != bound:
            raise ValidationException(
                "Invalid nextPageToken: it was issued for a different request; "
                "repeat the call with the same arguments"
            )
        if cursor["x"] < now:
            raise ValidationException("Specified token has exceeded its maximum lifetime")
        return cursor
