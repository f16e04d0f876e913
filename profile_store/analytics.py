"""What happened in conversations, as Rasa's event broker tells it, kept for the shop's figures.

Rasa publishes every tracker event to RabbitMQ (endpoints.yml `event_broker`, rapport.events
consumes them). A line keeps what the figures need and no words of the customer: what was
understood (the intent and its confidence), what the bot did (the action), on which channel,
when. Each line names the customer by id, so an erased customer's lines go with them (the
erasure finds every row referring to a customer); an event arriving for a customer who is not
(or no longer) in the store is dropped. The same event delivered twice is kept once (its key is
a hash of the event as published).
"""

from __future__ import annotations

import enum
import hashlib
import json
from datetime import UTC, datetime

from sqlalchemy import Float, ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from profile_store.models import Base, Customer, UTCDateTime

# Actions every turn runs that say nothing about the conversation.
_ROUTINE_ACTIONS = frozenset({"action_listen", "action_session_start", "action_unlikely_intent"})


class Recorded(enum.StrEnum):
    STORED = "stored"
    DUPLICATE = "duplicate"
    NOT_KEPT = "not_kept"  # an event type the figures do not use
    UNKNOWN_CUSTOMER = "unknown_customer"  # nobody, or an erased customer
    MALFORMED = "malformed"


class AnalyticsEvent(Base):
    """One event of a conversation: a message understood, an action taken, a bot message."""

    __tablename__ = "analytics_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[str] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # "user" | "action" | "bot"
    name: Mapped[str | None] = mapped_column(String(120))  # the intent, or the action
    confidence: Mapped[float | None] = mapped_column(Float)
    channel: Mapped[str | None] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


def _line(event: dict[str, object]) -> tuple[str, str | None, float | None] | None:
    kind = event.get("event")
    if kind == "user":
        parse = event.get("parse_data")
        intent = parse.get("intent") if isinstance(parse, dict) else None
        if isinstance(intent, dict):
            confidence = intent.get("confidence")
            return (
                "user",
                str(intent.get("name") or "") or None,
                float(confidence) if isinstance(confidence, int | float) else None,
            )
        return "user", None, None
    if kind == "action":
        name = str(event.get("name") or "")
        return None if not name or name in _ROUTINE_ACTIONS else ("action", name, None)
    if kind == "bot":
        return "bot", None, None
    return None


def record_rasa_event(session: Session, body: bytes) -> Recorded:
    """Keep one event as Rasa's broker published it (JSON with its `sender_id`)."""
    try:
        event = json.loads(body)
        sender = event["sender_id"]
        at = datetime.fromtimestamp(float(event["timestamp"]), UTC)
    except (ValueError, KeyError, TypeError, OverflowError):
        return Recorded.MALFORMED
    if not isinstance(sender, str) or not isinstance(event, dict):
        return Recorded.MALFORMED
    line = _line(event)
    if line is None:
        return Recorded.NOT_KEPT
    if session.get(Customer, sender) is None:
        return Recorded.UNKNOWN_CUSTOMER
    key = hashlib.sha256(body).hexdigest()
    if session.scalar(select(AnalyticsEvent.id).where(AnalyticsEvent.key == key)) is not None:
        return Recorded.DUPLICATE
    metadata = event.get("metadata")
    channel = metadata.get("channel") if isinstance(metadata, dict) else None
    kind, name, confidence = line
    session.add(
        AnalyticsEvent(
            key=key,
            customer_id=sender,
            kind=kind,
            name=name,
            confidence=confidence,
            channel=str(channel)[:16] if channel else None,
            at=at,
        )
    )
    session.flush()
    return Recorded.STORED
