"""Parsing Meta's webhook notifications into what the shop cares about (pure, no I/O)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

# What the customer's message was, for the cases the bot can read.
READABLE = ("text", "button_reply", "list_reply", "button")


class MalformedNotification(ValueError):
    """The body is JSON but not a WhatsApp Business Account notification."""


@dataclass(frozen=True)
class CustomerMessage:
    """One message a customer sent to the shop's number."""

    wa_id: str
    message_id: str
    kind: str  # text, button_reply, list_reply, button, reaction, or the unsupported type's name
    text: str | None = None  # what to hand to the bot: the body, or a tapped choice's id
    title: str | None = None  # the label the customer tapped, for replies to choices
    profile_name: str | None = None
    phone_number_id: str | None = None

    @property
    def readable(self) -> bool:
        return self.kind in READABLE and bool(self.text)


@dataclass(frozen=True)
class DeliveryStatus:
    """Meta telling us what became of a message we sent."""

    provider_id: str
    status: str  # sent, delivered, read, failed (and "deleted"/"warning", which we ignore)
    recipient_id: str | None = None
    error: str | None = None
    phone_number_id: str | None = None


@dataclass
class Notification:
    messages: list[CustomerMessage] = field(default_factory=list)
    statuses: list[DeliveryStatus] = field(default_factory=list)


def _str(value: object) -> str | None:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _dicts(value: object) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _obj(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _message(
    raw: dict[str, Any], names: dict[str, str], phone_number_id: str | None
) -> CustomerMessage | None:
    wa_id, message_id = _str(raw.get("from")), _str(raw.get("id"))
    kind = _str(raw.get("type")) or "unknown"
    if wa_id is None or message_id is None:
        log.warning("WhatsApp message without sender or id skipped: %.200r", raw)
        return None

    def make(kind: str, text: str | None = None, title: str | None = None) -> CustomerMessage:
        return CustomerMessage(
            wa_id=wa_id,
            message_id=message_id,
            kind=kind,
            text=text,
            title=title,
            profile_name=names.get(wa_id),
            phone_number_id=phone_number_id,
        )

    body = _obj(raw.get(kind))
    if kind == "text":
        return make("text", _str(body.get("body")))
    if kind == "interactive":
        reply_kind = _str(body.get("type")) or "unknown"
        reply = _obj(body.get(reply_kind))
        if reply_kind in ("button_reply", "list_reply"):
            title = _str(reply.get("title"))
            return make(reply_kind, _str(reply.get("id")) or title, title)
        return make(f"interactive:{reply_kind}")
    if kind == "button":  # a quick-reply button of a template message
        title = _str(body.get("text"))
        return make("button", _str(body.get("payload")) or title, title)
    return make(kind)


def _status(raw: dict[str, Any], phone_number_id: str | None) -> DeliveryStatus | None:
    provider_id, status = _str(raw.get("id")), _str(raw.get("status"))
    if provider_id is None or status is None:
        log.warning("WhatsApp status without id or status skipped: %.200r", raw)
        return None
    errors = _dicts(raw.get("errors"))
    error = None
    if errors:
        first = errors[0]
        error = f"{first.get('code')}: {first.get('title') or first.get('message') or ''}".strip()
    return DeliveryStatus(
        provider_id=provider_id,
        status=status,
        recipient_id=_str(raw.get("recipient_id")),
        error=error,
        phone_number_id=phone_number_id,
    )


def parse_notification(body: object) -> Notification:
    """Messages and statuses of a `whatsapp_business_account` notification, in their order.

    Unknown fields are ignored (Meta adds fields over time); a message or status missing its
    ids is skipped with a warning rather than failing the whole notification.
    """
    if not isinstance(body, dict):
        raise MalformedNotification("the body must be a JSON object")
    if body.get("object") != "whatsapp_business_account":
        raise MalformedNotification(f"not a WhatsApp notification: object={body.get('object')!r}")
    if not isinstance(body.get("entry"), list):
        raise MalformedNotification("`entry` must be a list")
    found = Notification()
    for entry in _dicts(body["entry"]):
        for change in _dicts(entry.get("changes")):
            if change.get("field") not in (None, "messages"):
                continue
            value = change.get("value")
            if not isinstance(value, dict):
                continue
            phone_number_id = _str(_obj(value.get("metadata")).get("phone_number_id"))
            names: dict[str, str] = {}
            for contact in _dicts(value.get("contacts")):
                wa_id = _str(contact.get("wa_id"))
                name = _str(_obj(contact.get("profile")).get("name"))
                if wa_id and name:
                    names[wa_id] = name
            for raw in _dicts(value.get("messages")):
                message = _message(raw, names, phone_number_id)
                if message is not None:
                    found.messages.append(message)
            for raw in _dicts(value.get("statuses")):
                status = _status(raw, phone_number_id)
                if status is not None:
                    found.statuses.append(status)
    return found
