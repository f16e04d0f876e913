"""Signed, expiring links to a customer's own export (the right of access, by asking).

The action server makes the link when the customer asks ("send me everything you know about
me"); the gateway serves it (channels/export.py). Both sign with the gateway's secret
(RAPPORT_SESSION_SECRET or var/session_secret), under their own context, so a link cannot be
made for another customer nor kept beyond its time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time

_CONTEXT = b"rapport/export/v1:"
_MAC_BYTES = 16
LINK_TTL_S = 24 * 3600


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _mac(secret: str, payload: bytes) -> bytes:
    return hmac.new(secret.encode(), _CONTEXT + payload, hashlib.sha256).digest()[:_MAC_BYTES]


def export_token(secret: str, customer_id: str, *, now: float | None = None) -> str:
    expires = int((time.time() if now is None else now) + LINK_TTL_S)
    payload = f"{customer_id}:{expires}".encode()
    return f"{_b64(payload)}.{_b64(_mac(secret, payload))}"


class BadLink(ValueError):
    """Not a link this shop made, or one that has expired (`expired` says which)."""

    def __init__(self, expired: bool) -> None:
        super().__init__("this link has expired" if expired else "this link is not valid")
        self.expired = expired


def read_export_token(secret: str, token: str, *, now: float | None = None) -> str:
    """The customer id of a valid, unexpired link; raises BadLink otherwise."""
    body, _, mac = token.partition(".")
    try:
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        given = base64.urlsafe_b64decode(mac + "=" * (-len(mac) % 4))
        customer_id, _, expires = payload.decode().rpartition(":")
        deadline = int(expires)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise BadLink(expired=False) from exc
    if not customer_id or not hmac.compare_digest(given, _mac(secret, payload)):
        raise BadLink(expired=False)
    if (time.time() if now is None else now) > deadline:
        raise BadLink(expired=True)
    return customer_id


def export_url(public_url: str, secret: str, customer_id: str) -> str:
    return f"{public_url}/export/{export_token(secret, customer_id)}"
