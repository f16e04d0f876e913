"""Rasa-REST-compatible `POST /webhooks/rest/webhook` for integrations and load tests."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from aiohttp import web

from channels.conversation import (
    RESERVED_METADATA,
    RejectedMessage,
    check_address,
    handle_message,
)
from channels.http import BodyTooLarge, read_limited_body
from channels.keys import conversation_key
from channels.rasa_client import RasaError

log = logging.getLogger(__name__)

CHANNEL = "rest"
MAX_BODY_BYTES = 64 * 1024
MAX_MESSAGE_ID_CHARS = 200
UNAVAILABLE = "The assistant is unavailable right now, please retry in a moment."


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": message, "code": code}, status=status)


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


async def webhook(request: web.Request) -> web.Response:
    """`{"sender", "message", "metadata"?}` → Rasa's messages, addressed to the caller's sender."""
    try:
        raw = await read_limited_body(request, MAX_BODY_BYTES)
    except BodyTooLarge:
        return _error(413, "body_too_large", f"The body is larger than {MAX_BODY_BYTES} bytes.")
    try:
        sender, message, metadata = parse_rest_body(raw)
        message_id = message_id_from(metadata)
        extra = {k: v for k, v in metadata.items() if k not in RESERVED_METADATA}
        messages = await handle_message(
            request.app[conversation_key], CHANNEL, sender, message, message_id, extra
        )
    except RejectedMessage as rejected:
        return _error(400, rejected.code, rejected.message)
    except RasaError:
        return _error(503, "assistant_unavailable", UNAVAILABLE)
    return web.json_response([for_caller(m, sender) for m in messages])
