"""Signed, expiring links to a customer's own export (the right of access, by asking).

The action server makes the link when the customer asks ("send me everything you know about
me"); the gateway serves it (channels/export.py). Both sign with the gateway's secret
(RAPPORT_SESSION_SECRET or var/session_secret), under their own context, so a link cannot be
made for another customer nor kept beyond its time.
"""

from __future__ import annotations

import time

from rapport.signing import sign, unsign

_CONTEXT = b"rapport/export/v1:"
LINK_TTL_S = 24 * 3600


def export_token(secret: str, customer_id: str, *, now: float | None = None) -> str:
    expires = int((time.time() if now is None else now) + LINK_TTL_S)
    return sign(secret, _CONTEXT, f"{customer_id}:{expires}".encode())


class BadLink(ValueError):
    """Not a link this shop made, or one that has expired (`expired` says which)."""

    def __init__(self, expired: bool) -> None:
        super().__init__("this link has expired" if expired else "this link is not valid")
        self.expired = expired


def read_export_token(secret: str, token: str, *, now: float | None = None) -> str:
    """The customer id of a valid, unexpired link; raises BadLink otherwise."""
    payload = unsign(secret, _CONTEXT, token)
    if payload is None:
        raise BadLink(expired=False)
    try:
        customer_id, _, expires = payload.decode().rpartition(":")
        deadline = int(expires)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadLink(expired=False) from exc
    if not customer_id:
        raise BadLink(expired=False)
    if (time.time() if now is None else now) > deadline:
        raise BadLink(expired=True)
    return customer_id


def export_url(public_url: str, secret: str, customer_id: str) -> str:
    return f"{public_url}/export/{export_token(secret, customer_id)}"
