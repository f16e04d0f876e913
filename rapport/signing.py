"""Signed tokens for links the shop sends (export, unsubscribe): `<payload>.<MAC>`, both base64url.

The MAC is HMAC-SHA256 under the gateway's secret, truncated to 128 bits, over a context that
names what the token is for, so a token made for one purpose is worthless for another.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

_MAC_BYTES = 16


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, context: bytes, payload: bytes) -> bytes:
    return hmac.new(secret.encode(), context + payload, hashlib.sha256).digest()[:_MAC_BYTES]


def sign(secret: str, context: bytes, payload: bytes) -> str:
    return f"{_b64(payload)}.{_b64(_mac(secret, context, payload))}"


def unsign(secret: str, context: bytes, token: str) -> bytes | None:
    """The payload of a token signed with `secret` for `context`, else None."""
    body, _, mac = token.partition(".")
    try:
        payload, given = _unb64(body), _unb64(mac)
    except (binascii.Error, ValueError):
        return None
    return payload if hmac.compare_digest(given, _mac(secret, context, payload)) else None
