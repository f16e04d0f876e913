"""Which web sites may embed the chat: the gateway's own pages, plus RAPPORT_WEBCHAT_ORIGINS.

A shop puts the chat on its own site (another origin than the gateway). Browsers send that
site's origin with the socket.io handshake; the gateway accepts it only if the shop listed it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

_SEPARATORS = re.compile(r"[\s,]+")


class BadOrigin(ValueError):
    """A configured origin that is not `scheme://host[:port]`."""


def parse_origin(raw: str) -> str:
    """`https://Shop.example.com/` → `https://shop.example.com`; BadOrigin if it is not one."""
    text = raw.strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadOrigin(
            f"{raw!r} is not a web origin: write it as scheme://host[:port], "
            "e.g. https://shop.example.com"
        )
    if parts.path or parts.query or parts.fragment or parts.username or parts.password:
        raise BadOrigin(
            f"{raw!r} is not a web origin: no path, query or user, only scheme://host[:port]"
        )
    try:
        port = parts.port
    except ValueError as exc:
        raise BadOrigin(f"{raw!r} has an invalid port") from exc
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    default = {"http": 80, "https": 443}[parts.scheme]
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def parse_origins(value: str | Iterable[str]) -> tuple[str, ...]:
    """The setting's list (commas or spaces between origins), each checked and normalised."""
    items = _SEPARATORS.split(value) if isinstance(value, str) else list(value)
    out: list[str] = []
    for item in items:
        if not item.strip():
            continue
        if item.strip() == "*":
            raise BadOrigin("'*' is not accepted: list the sites allowed to embed the chat")
        origin = parse_origin(item)
        if origin not in out:
            out.append(origin)
    return tuple(out)


def own_origins(environ: Mapping[str, Any]) -> set[str]:
    """The origin(s) of the gateway itself for this request (its Host, and a proxy's)."""
    found: set[str] = set()
    host = environ.get("HTTP_HOST")
    scheme = environ.get("wsgi.url_scheme", "http")
    if host:
        found.add(f"{scheme}://{host}".lower())
        forwarded_host = str(environ.get("HTTP_X_FORWARDED_HOST", host)).split(",")[0].strip()
        forwarded_proto = str(environ.get("HTTP_X_FORWARDED_PROTO", scheme)).split(",")[0].strip()
        found.add(f"{forwarded_proto}://{forwarded_host}".lower())
    return found


class OriginPolicy:
    """Same origin always; other sites only when listed. Callable as engineio expects."""

    def __init__(self, allowed: Iterable[str] = ()) -> None:
        self.allowed = frozenset(allowed)
        self._refused: set[str] = set()

    def allows(self, origin: str | None, environ: Mapping[str, Any]) -> bool:
        if not origin:
            return True  # not a browser, or a same-origin request that sent no Origin
        try:
            normalised = parse_origin(origin)
        except BadOrigin:
            normalised = origin
        if normalised in self.allowed or origin.lower() in own_origins(environ):
            return True
        if normalised not in self._refused and len(self._refused) < 1000:
            self._refused.add(normalised)
            log.warning(
                "web chat: refused a connection from %s, which is not allowed to embed the chat "
                "(add it to RAPPORT_WEBCHAT_ORIGINS to allow it)",
                normalised,
            )
        return False

    def __call__(self, origin: str | None, environ: Mapping[str, Any]) -> bool:
        return self.allows(origin, environ)

    def frame_ancestors(self) -> str:
        """The CSP `frame-ancestors` value: the gateway's own pages and the listed sites."""
        return " ".join(["'self'", *sorted(self.allowed)])
