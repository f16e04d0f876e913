"""Rasa-REST-compatible `POST /webhooks/rest/webhook` for integrations and load tests.

Callers send the gateway's token (RAPPORT_REST_TOKEN) as `Authorization: Bearer <token>`; with no
token configured the endpoint is off. Each sender is held to the gateway's burst limit
(channels/limits.py) before anything is written or sent to Rasa.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import uuid
import weakref
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from channels.conversation import (
    RESERVED_METADATA,
    RejectedMessage,
    check_address,
    handle_message,
)
from channels.http import BodyTooLarge, read_limited_body
from channels.keys import conversation_key, redis_key, settings_key
from channels.limits import BurstLimit, WindowFactory, in_seconds, whole_seconds
from channels.rasa_client import RasaError
from channels.shared import redis_windows
from rapport.settings import Settings

log = logging.getLogger(__name__)

CHANNEL = "rest"
MAX_BODY_BYTES = 64 * 1024
MAX_MESSAGE_ID_CHARS = 200
UNAVAILABLE = "The assistant is unavailable right now, please retry in a moment."
REALM = 'Bearer realm="rapport"'
OFF = (
    "The REST endpoint is off on this gateway: set RAPPORT_REST_TOKEN (or RAPPORT_REST_TOKEN_FILE)"
    " and send that token as `Authorization: Bearer <token>`."
)
MISSING_TOKEN = "This endpoint needs the gateway's REST token: `Authorization: Bearer <token>`."
WRONG_TOKEN = "The bearer token is not this gateway's REST token."


def _error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response({"error": message, "code": code}, status=status, headers=headers)


@dataclass
class RestGate:
    """Who may post here and how often; one per gateway, from its settings."""

    token: str
    allow_loopback: bool
    burst: BurstLimit

    @classmethod
    def from_settings(cls, settings: Settings, windows: WindowFactory | None = None) -> RestGate:
        if not settings.rest_token:
            log.info("REST endpoint off: set RAPPORT_REST_TOKEN to turn it on")
        if settings.rest_allow_loopback_without_token:
            log.warning(
                "REST: requests without a token are accepted from this machine "
                "(RAPPORT_REST_ALLOW_LOOPBACK_WITHOUT_TOKEN), for load tests only; never with a "
                "reverse proxy on this machine, whose requests all come from 127.0.0.1%s",
                "" if settings.rest_token else " (no effect while the endpoint is off)",
            )
        return cls(
            token=settings.rest_token,
            allow_loopback=settings.rest_allow_loopback_without_token,
            burst=BurstLimit(settings.burst_max_messages, settings.burst_window_s, windows=windows),
        )


# The app factory only routes to `webhook` (no set-up hook of ours runs at start-up), so each
# gateway's gate is built at its first REST request and lives as long as its app.
_gates: weakref.WeakKeyDictionary[web.Application, RestGate] = weakref.WeakKeyDictionary()


def gate_of(app: web.Application) -> RestGate:
    gate = _gates.get(app)
    if gate is None:
        redis = app.get(redis_key)
        windows = redis_windows(redis) if redis is not None else None
        gate = _gates[app] = RestGate.from_settings(app[settings_key], windows)
    return gate


def bearer_token(header: str | None) -> str | None:
    """The credentials of an `Authorization: Bearer <token>` header, else None."""
    scheme, _, credentials = (header or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return credentials.strip()


def token_matches(presented: str, expected: str) -> bool:
    """Constant-time comparison, so the time taken says nothing about how much matched."""
    return hmac.compare_digest(
        presented.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    )


def is_loopback_peer(peername: object) -> bool:
    """Whether a transport's peer, `(host, port, ...)`, is this machine (127.0.0.0/8, ::1)."""
    if not isinstance(peername, tuple) or not peername or not isinstance(peername[0], str):
        return False
    try:
        address = ipaddress.ip_address(peername[0].partition("%")[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def refusal(request: web.Request, gate: RestGate) -> web.Response | None:
    """Why this request may not post (403 off, 401 no or wrong token), or None when it may."""
    if not gate.token:
        return _error(403, "rest_disabled", OFF)
    header = request.headers.get("Authorization")
    presented = bearer_token(header)
    if presented is not None:
        if token_matches(presented, gate.token):
            return None
        return _error(
            401,
            "invalid_token",
            WRONG_TOKEN,
            {"WWW-Authenticate": f'{REALM}, error="invalid_token"'},
        )
    # The peer of the connection itself, never a forwarded-for header a client could write.
    transport = request.transport
    peer = transport.get_extra_info("peername") if transport is not None else None
    if header is None and gate.allow_loopback and is_loopback_peer(peer):
        return None
    return _error(401, "missing_token", MISSING_TOKEN, {"WWW-Authenticate": REALM})


def parse_rest_body(raw: bytes) -> tuple[str, object, dict[str, Any]]:
    """(sender, message, metadata) from a REST body, or RejectedMessage saying what is wrong."""
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RejectedMessage("invalid_body", "The body is not valid UTF-8.") from exc
    try:
        body = json.loads(decoded)
    except (ValueError, RecursionError) as exc:
        raise RejectedMessage("invalid_body", "The body is not valid JSON.") from exc
    if not isinstance(body, dict):
        raise RejectedMessage("invalid_body", "The body must be a JSON object.")
    if "sender" not in body:
        raise RejectedMessage("invalid_sender", "`sender` is missing.")
    if "message" not in body:
        raise RejectedMessage("invalid_message", "`message` is missing.")
    metadata = body.get("metadata")
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise RejectedMessage("invalid_metadata", "`metadata` must be an object.")
    return check_address(body["sender"]), body["message"], metadata


def message_id_from(metadata: dict[str, Any]) -> str:
    """The caller's `metadata.message_id` (so a retried delivery is answered once), else new."""
    given = metadata.get("message_id")
    if isinstance(given, str) and 0 < len(given) <= MAX_MESSAGE_ID_CHARS:
        return given
    return uuid.uuid4().hex


def for_caller(message: dict[str, Any], sender: str) -> dict[str, Any]:
    """Rasa's message addressed to the caller's sender rather than to the internal customer id."""
    return {"recipient_id": sender, **{k: v for k, v in message.items() if k != "recipient_id"}}


def too_many(burst: BurstLimit, wait_s: float) -> web.Response:
    message = (
        f"Too many messages from this sender (at most {burst.max_messages} in "
        f"{burst.window_s:g} seconds): retry in {in_seconds(wait_s)}."
    )
    headers = {"Retry-After": str(whole_seconds(wait_s))}
    return _error(429, "too_many_messages", message, headers)


async def webhook(request: web.Request) -> web.Response:
    """`{"sender", "message", "metadata"?}` → Rasa's messages, addressed to the caller's sender."""
    gate = gate_of(request.app)
    refused = refusal(request, gate)
    if refused is not None:
        return refused
    try:
        raw = await read_limited_body(request, MAX_BODY_BYTES)
    except BodyTooLarge:
        return _error(413, "body_too_large", f"The body is larger than {MAX_BODY_BYTES} bytes.")
    try:
        sender, message, metadata = parse_rest_body(raw)
        message_id = message_id_from(metadata)
        extra = {k: v for k, v in metadata.items() if k not in RESERVED_METADATA}
        wait_s = await gate.burst.take(CHANNEL, sender)
        if wait_s:
            return too_many(gate.burst, wait_s)
        messages = await handle_message(
            request.app[conversation_key], CHANNEL, sender, message, message_id, extra
        )
    except RejectedMessage as rejected:
        return _error(400, rejected.code, rejected.message)
    except RasaError:
        return _error(503, "assistant_unavailable", UNAVAILABLE)
    return web.json_response([for_caller(m, sender) for m in messages])
