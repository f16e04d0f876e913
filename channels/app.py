"""The gateway's aiohttp application: web chat (socket.io), REST, our chat page, health."""

from __future__ import annotations

import html
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
from aiohttp import web

from channels import console, rest, whatsapp
from channels.conversation import ConversationContext
from channels.delivery import deliverers_key
from channels.email import email_channel
from channels.keys import (
    conversation_key,
    http_client_key,
    rasa_key,
    sessionmaker_key,
    settings_key,
    sio_key,
)
from channels.rasa_client import RasaClient
from channels.webchat import make_socketio_server
from profile_store.db import make_engine, make_sessionmaker
from rapport.settings import Settings

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
_index_key = web.AppKey("index_html", str)

# The page only talks to this gateway; nothing inline, nothing from elsewhere.
_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' https: data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


async def database(app: web.Application) -> AsyncIterator[None]:
    engine = make_engine(app[settings_key].database_url)
    app[sessionmaker_key] = make_sessionmaker(engine)
    yield
    engine.dispose()


async def http_client(app: web.Application) -> AsyncIterator[None]:
    settings = app[settings_key]
    async with aiohttp.ClientSession() as session:
        app[http_client_key] = session
        app[rasa_key] = RasaClient(session, settings.rasa_url, settings.rasa_timeout_s)
        yield


async def conversation(app: web.Application) -> AsyncIterator[None]:
    app[conversation_key] = ConversationContext(
        sessionmaker=app[sessionmaker_key],
        rasa=app[rasa_key],
        max_message_chars=app[settings_key].max_message_chars,
    )
    yield


async def socketio_server(app: web.Application) -> AsyncIterator[None]:
    yield
    # Close the sockets before the HTTP client and the database go away under them.
    await app[sio_key].shutdown()


async def index(request: web.Request) -> web.Response:
    return web.Response(
        text=request.app[_index_key], content_type="text/html", headers=_PAGE_HEADERS
    )


async def health(request: web.Request) -> web.Response:
    reachable = await request.app[rasa_key].is_reachable()
    return web.json_response({"status": "ok", "rasa_reachable": reachable})


def render_index(shop_name: str, max_message_chars: int) -> str:
    """Our chat page with the shop's name (escaped: it is text, not markup)."""
    page = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    page = page.replace("{{max_message_chars}}", str(max_message_chars))
    return page.replace("{{shop_name}}", html.escape(shop_name))


def create_app(settings: Settings) -> web.Application:
    """The gateway; resources open on startup and close on cleanup, in reverse order."""
    if not settings.session_secret:
        # An empty HMAC key would let anyone forge a web chat session id.
        raise ValueError("settings.session_secret must be set to sign web chat sessions")
    app = web.Application()
    app[settings_key] = settings
    app[deliverers_key] = {}
    shop_name = settings.shop_name
    app[_index_key] = render_index(shop_name, settings.max_message_chars)
    app.cleanup_ctx.append(database)
    app.cleanup_ctx.append(http_client)
    app.cleanup_ctx.append(conversation)
    console.setup(app)  # staff console + human handoff (needs the conversation context)
    app.cleanup_ctx.append(email_channel)
    whatsapp.install(app)  # webhook + Graph client, when the WHATSAPP_* settings are set
    app[sio_key] = make_socketio_server(app, settings.session_secret)
    app.cleanup_ctx.append(socketio_server)
    app.router.add_get("/", index)
    app.router.add_get("/health", health)
    app.router.add_post("/webhooks/rest/webhook", rest.webhook)
    app.router.add_static("/static/", STATIC_DIR)
    return app
