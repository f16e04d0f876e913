"""Meta's webhook signature: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Hub-Signature-256"
_PREFIX = "sha256="


def sign(raw_body: bytes, app_secret: str) -> str:
    """The header value Meta sends for this body (used by tests and the stand-in)."""
    digest = hmac.new(app_secret.encode("utf-8"), raw_body, hashlib.sha256).hexdigest()
    return _PREFIX + digest


def verify_signature(raw_body: bytes, header: str | None, app_secret: str) -> bool:
    """True only when the header is Meta's HMAC of exactly these bytes with our app secret."""
    if not app_secret or not header or not header.startswith(_PREFIX):
        return False
    # compare_digest: a byte-by-byte comparison would leak the right digest through timing.
    return hmac.compare_digest(sign(raw_body, app_secret), header.strip().lower())
