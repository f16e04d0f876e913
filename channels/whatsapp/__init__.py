"""WhatsApp Cloud API channel: webhook, signature check, Graph API client, rendering, window."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from channels import delivery
from channels.keys import conversation_key, http_client_key, sessionmaker_key, settings_key
from channels.whatsapp.graph import GraphClient
from channels.whatsapp.service import (
    NoOfferConsent,
    OutsideServiceWindow,
    WhatsAppChannel,
)
from channels.whatsapp.webhook import (
    WEBHOOK_PATH,
    app_secret_key,
    receive,
    verify,
    verify_token_key,
    whatsapp_key,
)

__all__ = [
    "WEBHOOK_PATH",
    "NoOfferConsent",
    "OutsideServiceWindow",
    "WhatsAppChannel",
    "install",
    "whatsapp_key",
]


async def whatsapp_channel(app: web.Application) -> AsyncIterator[None]:
    settings = app[settings_key]
    graph = GraphClient(
        app[http_client_key],
        settings.whatsapp_api_base,
        settings.whatsapp_phone_number_id,
        settings.whatsapp_access_token,
    )
    channel = WhatsAppChannel(
        graph=graph,
        conversation=app[conversation_key],
        sessionmaker=app[sessionmaker_key],
        phone_number_id=settings.whatsapp_phone_number_id,
    )
    app[whatsapp_key] = channel
    delivery.register(app, "whatsapp", channel.deliver)
    codes = app[conversation_key].link_codes
    if codes is not None:
        template = settings.whatsapp_code_template
        codes.register(
            "whatsapp", lambda address, code, text: channel.send_code(address, code, text, template)
        )
    yield
    # Finish what Meta was already told is handled before the HTTP client and DB go away.
    await channel.close()


def install(app: web.Application) -> None:
    """Add the webhook and its resources, when the settings configure the channel (after the
    database, HTTP client and conversation contexts)."""
    settings = app[settings_key]
    if not settings.whatsapp_enabled:
        return
    app[app_secret_key] = settings.whatsapp_app_secret
    app[verify_token_key] = settings.whatsapp_verify_token
    app.cleanup_ctx.append(whatsapp_channel)
    app.router.add_get(WEBHOOK_PATH, verify)
    app.router.add_post(WEBHOOK_PATH, receive)
