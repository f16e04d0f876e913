"""The profile-store side of the channel: synchronous, one transaction each, run off the loop."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from profile_store.consents import OFFERS, PROACTIVE, may_contact_first, record_opt_word
from profile_store.messages import (
    OutboundMessage,
    claim_inbound,
    last_inbound_at,
    record_outbound,
    update_outbound,
)
from profile_store.models import Consent, utcnow
from profile_store.privacy import is_suppressed, lift_suppression
from profile_store.repository import (
    find_customer,
    resolve_customer,
    set_name,
)

CHANNEL = "whatsapp"

# Later statuses win; an older one arriving late (webhooks are not ordered) changes nothing.
_STATUS_RANK = {"pending": 0, "accepted": 1, "sent": 2, "delivered": 3, "read": 4}


@dataclass(frozen=True)
class Contact:
    customer_id: str
    name: str | None


def contact(sm: sessionmaker[Session], wa_id: str, profile_name: str | None) -> Contact:
    """The customer for this number, created on first contact and named after their profile."""
    with sm.begin() as session:
        customer = resolve_customer(session, CHANNEL, wa_id)
        if not customer.name and profile_name and profile_name.strip():
            set_name(session, customer.id, profile_name)
        return Contact(customer.id, customer.name)


def claim(sm: sessionmaker[Session], wa_id: str, message_id: str, customer_id: str) -> bool:
    """True the first time this message id is seen (it also opens the 24-hour window)."""
    with sm.begin() as session:
        return claim_inbound(session, CHANNEL, message_id, wa_id, customer_id)


def claim_and_consent(
    sm: sessionmaker[Session],
    wa_id: str,
    message_id: str,
    customer_id: str,
    granted: bool,
    said: str,
) -> bool:
    """Record a STOP/START once per message id; False for Meta's retry of the same message."""
    with sm.begin() as session:
        if not claim_inbound(session, CHANNEL, message_id, wa_id, customer_id):
            return False
        record_opt_word(session, customer_id, channel=CHANNEL, granted=granted, answer=said)
        if granted:  # a yes of their own outweighs an erased customer's no on this number
            lift_suppression(session, CHANNEL, wa_id)
        return True


def reserve(sm: sessionmaker[Session], key: str, wa_id: str, customer_id: str | None) -> bool:
    """True when nothing was ever sent (or is being sent) under this key: we may send it now."""
    with sm.begin() as session:
        _, new = record_outbound(session, CHANNEL, key, wa_id, customer_id)
        return new


def mark(
    sm: sessionmaker[Session],
    key: str,
    status: str,
    *,
    provider_id: str | None = None,
    error: str | None = None,
) -> None:
    with sm.begin() as session:
        update_outbound(
            session,
            CHANNEL,
            idempotency_key=key,
            status=status,
            error=error,
            new_provider_id=provider_id,
        )


def apply_status(
    sm: sessionmaker[Session], provider_id: str, status: str, error: str | None
) -> bool:
    """Record Meta's delivery status for one of our messages; False if unknown or outdated."""
    with sm.begin() as session:
        row = session.scalar(
            select(OutboundMessage).where(
                OutboundMessage.channel == CHANNEL, OutboundMessage.provider_id == provider_id
            )
        )
        if row is None:
            return False
        if status == "failed":
            if row.status == "read":
                return False
        elif status not in _STATUS_RANK or _STATUS_RANK[status] <= _STATUS_RANK.get(row.status, 0):
            return False
        row.status = status
        row.error = error
        row.updated_at = utcnow()
        return True


def last_message_at(sm: sessionmaker[Session], wa_id: str) -> datetime | None:
    with sm.begin() as session:
        return last_inbound_at(session, CHANNEL, wa_id)


def customer_of(sm: sessionmaker[Session], wa_id: str) -> str | None:
    with sm.begin() as session:
        customer = find_customer(session, f"{CHANNEL}:{wa_id}")
        return None if customer is None else customer.id


def may_write_first(sm: sessionmaker[Session], wa_id: str) -> tuple[str | None, bool]:
    """(customer id, whether we may message this number first): they said yes to messages we
    send first and no later word on any channel took it back (profile_store.consents), and
    their latest word on WhatsApp itself is a yes, as Meta requires an opt-in to WhatsApp."""
    with sm.begin() as session:
        customer = find_customer(session, f"{CHANNEL}:{wa_id}")
        if customer is None:
            return None, False
        if is_suppressed(session, CHANNEL, wa_id):
            return customer.id, False  # an erased customer said no from this number
        said_here = session.scalar(
            select(Consent.granted)
            .where(
                Consent.customer_id == customer.id,
                Consent.purpose.in_((OFFERS, PROACTIVE)),
                Consent.channel == CHANNEL,
            )
            .order_by(Consent.at.desc(), Consent.id.desc())
            .limit(1)
        )
        return customer.id, bool(said_here) and may_contact_first(session, customer.id)
