"""HTTP helpers shared by the gateway's webhooks."""

from __future__ import annotations

from aiohttp import web


class BodyTooLarge(Exception):
    pass


async def read_limited_body(request: web.Request, max_bytes: int) -> bytes:
    """The raw body, refused as soon as it exceeds max_bytes (before reading it all)."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise BodyTooLarge
    body = bytearray()
    async for chunk in request.content.iter_any():
        body.extend(chunk)
        if len(body) > max_bytes:
            raise BodyTooLarge
    return bytes(body)
