"""The stable JSON export of one customer (also what they receive for the right of access)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from profile_store.linking import link_events
from profile_store.models import Consent, Identity
from profile_store.repository import active_preferences, get_customer, habits, offer_events

EXPORT_VERSION = 1


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _iso_or_none(value: datetime | None) -> str | None:
    return None if value is None else _iso(value)


def export_customer(
    session: Session, customer_id: str, *, now: datetime | None = None
) -> dict[str, Any]:
    """The customer's document; `preferences` are the facts that hold `now` (default: now).

    Each preference says `who` it is about (the customer's word for a household member, null
    for the customer) and `until` when it stops holding (null: no end). `links` is the log of
    addresses linked to or unlinked from the customer, oldest first.
    """
    customer = get_customer(session, customer_id)
    identities = session.scalars(
        select(Identity).where(Identity.customer_id == customer_id).order_by(Identity.id)
    )
    consents = session.scalars(
        select(Consent).where(Consent.customer_id == customer_id).order_by(Consent.at, Consent.id)
    )
    return {
        "customer": {
            "id": customer.id,
            "name": customer.name,
            "created_at": _iso(customer.created_at),
        },
        "identities": [
            {"channel": i.channel, "address": i.address, "verified": i.verified} for i in identities
        ],
        "preferences": [
            {
                "subject": p.subject,
                "polarity": p.polarity.value,
                "reason": p.reason,
                "category": p.category,
                "who": p.member,
                "until": _iso_or_none(p.until),
                "stated": p.stated,
                "channel": p.channel,
                "at": _iso(p.at),
            }
            for p in active_preferences(session, customer_id, now=now)
        ],
        "habits": [
            {
                "what": h.what,
                "when": h.when,
                "frequency": h.frequency,
                "stated": h.stated,
                "channel": h.channel,
                "at": _iso(h.at),
            }
            for h in habits(session, customer_id)
        ],
        "consents": [
            {
                "purpose": c.purpose,
                "channel": c.channel,
                "granted": c.granted,
                "at": _iso(c.at),
                "asked": c.asked or "",
                "answer": c.answer or "",
            }
            for c in consents
        ],
        "offers": [
            {"offer_id": e.offer_id, "event": e.event.value, "channel": e.channel, "at": _iso(e.at)}
            for e in offer_events(session, customer_id)
        ],
        "links": [
            {
                "action": e.action,
                "channel": e.channel,
                "address": e.address,
                "by": e.by,
                "at": _iso(e.at),
            }
            for e in link_events(session, customer_id)
        ],
    }
