"""The gateway's aiohttp application: web chat (socket.io), REST, our chat page, health."""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
from aiohttp import web
from redis.asyncio import Redis

from channels import console, export, rest, unsubscribe, whatsapp
from channels.conversation import ConversationContext
from channels.delivery import deliverers_key
from channels.email import email_channel
from channels.erasure import Erasures
from channels.keys import (
    conversation_key,
    http_client_key,
    rasa_key,
    redis_key,
    sessionmaker_key,
    settings_key,
    sio_key,
)
from channels.linking import LinkCodes
from channels.rasa_client import RasaClient
from channels.retention import scheduled_prune
from channels.shared import RedisLocks, check
from channels.webchat import make_socketio_server
from profile_store.db import make_engine, make_sessionmaker
from rapport.origins import OriginPolicy
from rapport.settings import Settings

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
_index_key = web.AppKey("index_html", str)

_headers_key = web.AppKey("page_headers", dict[str, str])


def page_headers(origins: OriginPolicy) -> dict[str, str]:
    """The page only talks to this gateway; nothing inline, nothing from elsewhere. It may be
    framed only by the gateway itself and the sites allowed to embed the chat."""
    return {
        "Content-Security-Policy": (
            "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' https: data:; "
            f"object-src 'none'; base-uri 'none'; frame-ancestors {origins.frame_ancestors()}"
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


async def shared_state(app: web.Application) -> AsyncIterator[None]:
    """Redis, when gateway replicas share their state (RAPPORT_REDIS_URL): checked at start-up
    (a wrong URL fails loudly), closed at the end."""
    redis = app.get(redis_key)
    if redis is None:
        yield
        return
    await check(redis, app[settings_key].redis_url)
    yield
    await redis.aclose()


async def conversation(app: web.Application) -> AsyncIterator[None]:
    ctx = ConversationContext(
        sessionmaker=app[sessionmaker_key],
        rasa=app[rasa_key],
        max_message_chars=app[settings_key].max_message_chars,
        link_codes=LinkCodes(app[sessionmaker_key]),
        erasures=Erasures(app[sessionmaker_key], app[settings_key].tracker_db_url),
    )
    if (redis := app.get(redis_key)) is not None:
        # One customer's messages in order whichever replica takes them.
        ctx.identity_locks = RedisLocks(redis, "identity")  # type: ignore[assignment]
        ctx.customer_locks = RedisLocks(redis, "customer")  # type: ignore[assignment]
    app[conversation_key] = ctx
    yield


async def socketio_server(app: web.Application) -> AsyncIterator[None]:
    yield
    # Close the sockets before the HTTP client and the database go away under them.
    await app[sio_key].shutdown()


async def index(request: web.Request) -> web.Response:
    return web.Response(
        text=request.app[_index_key], content_type="text/html", headers=request.app[_headers_key]
    )


async def actions_status(app: web.Application, timeout_s: float = 2.0) -> str:
    """The action server's own word: "ready", "loading", "failed", or "unreachable"."""
    url = f"{app[settings_key].action_url}/health"
    try:
        async with app[http_client_key].get(
            url, timeout=aiohttp.ClientTimeout(total=timeout_s)
        ) as response:
            if response.status == 200:
                return "ready"
            body = await response.json(content_type=None)
            status = body.get("status") if isinstance(body, dict) else None
            return status if status in ("loading", "failed") else "unreachable"
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return "unreachable"


async def readiness(app: web.Application) -> dict[str, object]:
    rasa = app[rasa_key]
    rasa_reachable = await rasa.is_reachable()
    actions = await actions_status(app)
    # Rasa's first message after loading a model takes seconds: spent here, not by a customer.
    ready = rasa_reachable and actions == "ready" and await rasa.warm_up()
    return {
        "status": "ok" if ready else "starting",
        "ready": ready,
        "rasa_reachable": rasa_reachable,
        "actions": actions,
    }


async def health(request: web.Request) -> web.Response:
    """Always 200 while the gateway runs; `ready` says whether customers get answered at speed
    (Rasa has its model, the action server has loaded its models and the catalogue)."""
    return web.json_response(await readiness(request.app))


async def announce_ready(app: web.Application) -> AsyncIterator[None]:
    """Log once when the whole assistant is ready (what `make run` users wait for)."""

    async def watch() -> None:
        settings = app[settings_key]
        waited = 0.0
        while not (state := await readiness(app))["ready"]:
            if waited and waited % 30 == 0:
                log.info("still starting: %s", state)
            await asyncio.sleep(1.0)
            waited += 1.0
        log.info(
            "Rapport is ready: web chat at http://%s:%d/",
            settings.gateway_host,
            settings.gateway_port,
        )

    task = asyncio.create_task(watch())
    yield
    task.cancel()


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
    if settings.redis_url:
        # Connected on first use; what shares state through it is built with it below.
        app[redis_key] = Redis.from_url(settings.redis_url)
    app[deliverers_key] = {}
    shop_name = settings.shop_name
    app[_index_key] = render_index(shop_name, settings.max_message_chars)
    app.cleanup_ctx.append(database)
    app.cleanup_ctx.append(http_client)
    app.cleanup_ctx.append(shared_state)
    app.cleanup_ctx.append(conversation)
    app.cleanup_ctx.append(announce_ready)
    app.cleanup_ctx.append(scheduled_prune)  # transcripts past their retention, daily
    console.setup(app)  # staff console + human handoff (needs the conversation context)
    app.cleanup_ctx.append(email_channel)
    whatsapp.install(app)  # webhook + Graph client, when the WHATSAPP_* settings are set
    origins = OriginPolicy(settings.webchat_origins)
    app[_headers_key] = page_headers(origins)
    app[sio_key] = make_socketio_server(app, settings.session_secret, origins, settings.redis_url)
    app.cleanup_ctx.append(socketio_server)
    app.router.add_get("/", index)
    app.router.add_get("/health", health)
    app.router.add_post("/webhooks/rest/webhook", rest.webhook)
    rest.gate_of(app)  # says at start-up whether REST is on, and how it is guarded
    unsubscribe.setup(app)  # one-click unsubscribe links of the shop's mails
    export.setup(app)  # the customer's own export, behind the signed link the bot sends
    app.router.add_static("/static/", STATIC_DIR)
    return app
