"""Web chat over socket.io, speaking Rasa's socketio protocol so Rasa's web widgets work unchanged.

Events (the names of Rasa's `SocketIOInput` defaults):
  client → server  `session_request` {"session_id": str | null}
  server → client  `session_confirm` "<session id>"
  client → server  `user_uttered`    {"message": str, "session_id": str, "customData"?: {...}}
  server → client  `bot_uttered`     one per bot message part (see render_bot_message)
  server → client  `rapport_error`   {"code": str, "message": str}; `too_many_messages` when a
                   session sends more than RAPPORT_BURST_MAX_MESSAGES in RAPPORT_BURST_WINDOW_S
  server → client  `rapport_history` {"messages": [...]} before `session_confirm` when a
                   signed session comes back (a reload): the recent conversation, see
                   channels/history.py. Widgets that do not know the event ignore it.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import re
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import socketio
from aiohttp import web

from channels.conversation import RejectedMessage, handle_message
from channels.delivery import register
from channels.handoff.rasa_tracker import RasaTracker
from channels.history import recent_history
from channels.keys import (
    conversation_key,
    http_client_key,
    redis_key,
    sessionmaker_key,
    settings_key,
)
from channels.limits import BurstLimit, in_seconds
from channels.rasa_client import RasaError
from channels.shared import redis_windows
from profile_store.repository import find_customer
from rapport.origins import OriginPolicy

log = logging.getLogger(__name__)

CHANNEL = "web"
USER_MESSAGE_EVT = "user_uttered"
BOT_MESSAGE_EVT = "bot_uttered"
SESSION_REQUEST_EVT = "session_request"
SESSION_CONFIRM_EVT = "session_confirm"
ERROR_EVT = "rapport_error"
HISTORY_EVT = "rapport_history"
# After the last reply to one user_uttered (or its error): the widget stops showing "typing".
TURN_END_EVT = "rapport_turn_end"
MAX_PAYLOAD_BYTES = 64 * 1024

UNAVAILABLE = "The assistant is unavailable right now, please retry in a moment."

_NONCE_BYTES = 16  # 128 bits
_MAC_BYTES = 16  # HMAC-SHA256 truncated to 128 bits
_SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}$")
# Domain separation: the same secret may one day sign other things.
_MAC_CONTEXT = b"rapport/webchat-session/v1:"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _mac(secret: str, nonce: str) -> str:
    digest = hmac.new(secret.encode(), _MAC_CONTEXT + nonce.encode(), hashlib.sha256).digest()
    return _b64(digest[:_MAC_BYTES])


def issue_session_id(secret: str) -> str:
    """A new session id: `<128-bit random urlsafe>.<truncated HMAC-SHA256 of it>`."""
    nonce = _b64(secrets.token_bytes(_NONCE_BYTES))
    return f"{nonce}.{_mac(secret, nonce)}"


def verify_session_id(secret: str, session_id: object) -> bool:
    """True only for a session id this server signed with `secret`."""
    if not isinstance(session_id, str) or not _SESSION_ID.match(session_id):
        return False
    nonce, _, mac = session_id.partition(".")
    return hmac.compare_digest(mac, _mac(secret, nonce))


def web_address(session_id: str) -> str:
    """The identity address of a web chat session; the bearer id itself is never stored."""
    return hashlib.sha256(session_id.encode()).hexdigest()


def confirm_session(secret: str, requested: object) -> str:
    """The id to confirm for a `session_request`: the requested one if we signed it, else new."""
    if isinstance(requested, str) and verify_session_id(secret, requested):
        return requested
    return issue_session_id(secret)


@dataclass(frozen=True)
class UserUttered:
    """A well-formed `user_uttered` payload (the text itself is validated later)."""

    message: str
    session_id: str
    custom_data: dict[str, Any] | None


def parse_user_uttered(data: object) -> UserUttered:
    """Check the payload's shape or raise RejectedMessage("malformed_payload")."""
    if not isinstance(data, dict):
        raise RejectedMessage("malformed_payload", "The message payload must be an object.")
    message = data.get("message")
    if not isinstance(message, str):
        raise RejectedMessage("malformed_payload", "`message` must be a string.")
    session_id = data.get("session_id")
    if not isinstance(session_id, str):
        raise RejectedMessage("malformed_payload", "`session_id` must be a string.")
    custom_data = data.get("customData")
    if custom_data is not None and not isinstance(custom_data, dict):
        raise RejectedMessage("malformed_payload", "`customData` must be an object.")
    return UserUttered(message=message, session_id=session_id, custom_data=custom_data)


def _text_parts(text: str) -> list[str]:
    # Rasa's socketio output sends each paragraph as its own bubble.
    return text.strip().split("\n\n")


def render_bot_message(message: dict[str, Any]) -> list[Any]:
    """The `bot_uttered` payloads for one message of Rasa's REST channel, as Rasa's socketio
    channel would emit them (rasa/core/channels/socketio.py, SocketIOOutput)."""
    payloads: list[Any] = []
    text = message.get("text")
    buttons = message.get("buttons")
    if isinstance(buttons, list) and buttons:
        parts = _text_parts(text) if isinstance(text, str) else [""]
        rendered: list[dict[str, Any]] = [{"text": part, "quick_replies": []} for part in parts]
        rendered[-1]["quick_replies"] = [
            {
                "content_type": "text",
                "title": str(button.get("title", "")),
                "payload": str(button.get("payload", "")),
            }
            for button in buttons
            if isinstance(button, dict)
        ]
        payloads.extend(rendered)
    elif isinstance(text, str):
        payloads.extend({"text": part} for part in _text_parts(text))
    custom = message.get("custom")
    if custom is not None:
        # Rasa emits a custom payload's keys as emit() arguments, so `{"data": x}` reaches the
        # widget as `x`; anything else is passed on as is.
        if isinstance(custom, dict) and set(custom) == {"data"}:
            payloads.append(custom["data"])
        else:
            payloads.append(custom)
    image = message.get("image")
    if isinstance(image, str):
        payloads.append({"attachment": {"type": "image", "payload": {"src": image}}})
    attachment = message.get("attachment")
    if attachment is not None:
        payloads.append({"attachment": attachment})
    return payloads


def error_payload(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message}


class WebChat:
    """The socket.io handlers; each socket's confirmed session lives here, keyed by sid."""

    def __init__(self, app: web.Application, sio: socketio.AsyncServer, secret: str) -> None:
        self._app = app
        self._sio = sio
        self._secret = secret
        settings = app[settings_key]
        redis = app.get(redis_key)
        self._burst = BurstLimit(
            settings.burst_max_messages,
            settings.burst_window_s,
            windows=redis_windows(redis) if redis is not None else None,
        )
        # Each socket's confirmed session, on the gateway holding the socket. The sockets of one
        # web address share a room, so that a staff answer reaches every tab of the customer,
        # on whichever gateway replica it is open (through Redis, with RAPPORT_REDIS_URL).
        self._sessions: dict[str, str] = {}
        register(app, CHANNEL, self.deliver)
        sio.on("connect", self.connect)
        sio.on("disconnect", self.disconnect)
        sio.on(SESSION_REQUEST_EVT, self.session_request)
        sio.on(USER_MESSAGE_EVT, self.user_uttered)

    async def connect(self, sid: str, environ: dict[str, Any], auth: object = None) -> bool:
        return True

    async def disconnect(self, sid: str, *args: object) -> None:
        self._sessions.pop(sid, None)  # socket.io takes it out of its rooms

    async def _forget_socket(self, sid: str) -> None:
        session_id = self._sessions.pop(sid, None)
        if session_id is not None:
            await self._sio.leave_room(sid, address_room(web_address(session_id)))

    async def deliver(self, address: str, messages: list[dict[str, Any]]) -> None:
        """Emit messages (e.g. a staff answer) to every socket open on this web address."""
        for message in messages:
            for payload in render_bot_message(message):
                await self._sio.emit(BOT_MESSAGE_EVT, payload, to=address_room(address))

    async def _error(self, sid: str, code: str, message: str) -> None:
        await self._sio.emit(ERROR_EVT, error_payload(code, message), to=sid)

    def _customer_of(self, address: str) -> str | None:
        with self._app[sessionmaker_key]() as session:
            customer = find_customer(session, f"{CHANNEL}:{address}")
            return customer.id if customer is not None else None

    async def history(self, session_id: str) -> list[dict[str, Any]] | None:
        """The recent conversation of a returning session; None when Rasa cannot say."""
        customer_id = await asyncio.to_thread(self._customer_of, web_address(session_id))
        if customer_id is None:
            return []
        settings = self._app[settings_key]
        tracker = RasaTracker(
            self._app[http_client_key], settings.rasa_url, settings.rasa_timeout_s
        )
        try:
            return recent_history(await tracker.events(customer_id))
        except RasaError as exc:
            log.warning("no history for a returning web chat session: %s", exc)
            return None

    async def session_request(self, sid: str, data: object = None) -> None:
        try:
            if data is not None and not isinstance(data, dict):
                await self._error(sid, "malformed_payload", "session_request takes an object.")
                return
            requested = (data or {}).get("session_id")
            session_id = confirm_session(self._secret, requested)
            await self._forget_socket(sid)
            self._sessions[sid] = session_id
            await self._sio.enter_room(sid, address_room(web_address(session_id)))
            if session_id == requested:
                messages = await self.history(session_id)
                if messages is not None:
                    await self._sio.emit(HISTORY_EVT, {"messages": messages}, to=sid)
            await self._sio.emit(SESSION_CONFIRM_EVT, session_id, to=sid)
        except Exception:
            log.exception("session_request failed on socket %s", sid)
            await self._error(sid, "internal_error", "Something went wrong, please retry.")

    async def user_uttered(self, sid: str, data: object = None) -> None:
        try:
            await self._user_uttered(sid, data)
        except RejectedMessage as rejected:
            await self._error(sid, rejected.code, rejected.message)
        except RasaError:
            await self._error(sid, "assistant_unavailable", UNAVAILABLE)
        except Exception:
            log.exception("user_uttered failed on socket %s", sid)
            await self._error(sid, "internal_error", "Something went wrong, please retry.")
        finally:
            await self._sio.emit(TURN_END_EVT, {}, to=sid)

    async def _user_uttered(self, sid: str, data: object) -> None:
        uttered = parse_user_uttered(data)
        confirmed = self._sessions.get(sid)
        if confirmed is None:
            raise RejectedMessage("no_session", "Send a session_request before any message.")
        if not hmac.compare_digest(uttered.session_id.encode(), confirmed.encode()):
            raise RejectedMessage(
                "session_mismatch", "This message's session_id is not this socket's session."
            )
        address = web_address(confirmed)
        wait_s = await self._burst.take(CHANNEL, address)
        if wait_s:
            raise RejectedMessage(
                "too_many_messages",
                f"You are sending messages faster than we can read them: "
                f"please wait {in_seconds(wait_s)}.",
            )
        extra: dict[str, Any] = {}
        if uttered.custom_data:
            extra["custom_data"] = uttered.custom_data
        messages = await handle_message(
            self._app[conversation_key],
            CHANNEL,
            address,
            uttered.message,
            uuid.uuid4().hex,
            extra,
        )
        for message in messages:
            for payload in render_bot_message(message):
                await self._sio.emit(BOT_MESSAGE_EVT, payload, to=sid)


def address_room(address: str) -> str:
    """The socket.io room of every socket open on one web address."""
    return f"web:{address}"


def make_socketio_server(
    app: web.Application, secret: str, origins: OriginPolicy, redis_url: str = ""
) -> socketio.AsyncServer:
    """Create the socket.io server, register the web chat handlers and attach it to `app`.
    With `redis_url`, emits to a room reach its sockets on every gateway replica."""
    manager = (
        socketio.AsyncRedisManager(redis_url, channel="rapport-socketio") if redis_url else None
    )
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        client_manager=manager,
        # The gateway's own pages, and the sites listed in RAPPORT_WEBCHAT_ORIGINS.
        cors_allowed_origins=origins,
        max_http_buffer_size=MAX_PAYLOAD_BYTES,
        logger=False,
        engineio_logger=False,
    )
    WebChat(app, sio, secret)
    sio.attach(app)
    return sio
