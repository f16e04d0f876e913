"""`GET|POST /webhooks/whatsapp`: Meta's verification handshake and its signed notifications."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging

from aiohttp import web

from channels.http import BodyTooLarge, read_limited_body
from channels.rasa_client import RasaError
from channels.whatsapp.payload import MalformedNotification, parse_notification
from channels.whatsapp.service import WhatsAppChannel
from channels.whatsapp.signature import SIGNATURE_HEADER, verify_signature

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/whatsapp"
# Meta's notifications are a few kilobytes; anything near this is not from Meta.
MAX_BODY_BYTES = 1024 * 1024
# How long the webhook waits for its messages before answering 200 anyway: long enough for a
# normal reply (so a Rasa outage can be answered 503 and Meta retries later), short enough that
# Meta never times out and resends while we are still working.
INLINE_BUDGET_S = 5.0

whatsapp_key = web.AppKey("whatsapp", WhatsAppChannel)
app_secret_key = web.AppKey("whatsapp_app_secret", str)
verify_token_key = web.AppKey("whatsapp_verify_token", str)


async def verify(request: web.Request) -> web.Response:
    """Meta's subscription check: echo `hub.challenge` when `hub.verify_token` is ours."""
    mode = request.query.get("hub.mode")
    token = request.query.get("hub.verify_token", "")
    challenge = request.query.get("hub.challenge", "")
    expected = request.app[verify_token_key]
    if mode == "subscribe" and expected and hmac.compare_digest(token, expected):
        return web.Response(text=challenge, content_type="text/plain")
    return web.Response(status=403, text="verification failed")


async def receive(request: web.Request) -> web.Response:
    """Verify, parse, then process each message; 200 once handled or still running at the budget.

    503 when Rasa could not answer a message: it was released, so Meta's retry processes it.
    """
    try:
        raw = await read_limited_body(request, MAX_BODY_BYTES)
    except BodyTooLarge:
        return web.Response(status=413, text="body too large")
    # The signature is checked on the exact bytes received, before anything reads them.
    if not verify_signature(
        raw, request.headers.get(SIGNATURE_HEADER), request.app[app_secret_key]
    ):
        log.warning("WhatsApp webhook with a missing or bad signature refused")
        return web.Response(status=401, text="bad signature")
    try:
        notification = parse_notification(json.loads(raw.decode("utf-8")))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        # MalformedNotification is a ValueError too.
        kind = (
            "not a WhatsApp notification" if isinstance(exc, MalformedNotification) else "bad JSON"
        )
        log.warning("WhatsApp webhook refused (%s): %s", kind, exc)
        return web.Response(status=400, text=kind)
    channel = request.app[whatsapp_key]
    tasks = channel.start(notification)
    if not tasks:
        return web.Response(text="ok")
    done, pending = await asyncio.wait(tasks, timeout=INLINE_BUDGET_S)
    channel.detach(pending)
    if any(not t.cancelled() and isinstance(t.exception(), RasaError) for t in done):
        return web.Response(status=503, text="assistant unavailable, retry later")
    return web.Response(text="ok")
