"""Retention: transcripts are kept for a set period, then pruned; facts are never pruned.

Transcripts are what was said and where it went: Rasa's tracker events (every message, the
customer's and ours), the inbound and outbound message logs (addresses, ids, delivery status),
the mails we sent (subject, numbered choices) and linking requests (addresses a code went to).
Facts (preferences, habits, consents, offers, identities, the link log) stay until the customer
corrects them or asks for erasure, except health facts kept for one conversation only (no
consent to keep them: bot/actions/health_consent.py), forgotten once their time is past.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from profile_store.consents import HEALTH_FACTS, HEALTH_REASONS, latest_consent
from profile_store.email import SentEmail
from profile_store.linking import LinkRequest
from profile_store.messages import InboundMessage, OutboundMessage
from profile_store.models import Preference
from profile_store.privacy import TRACKER_EVENTS_TABLE, has_tracker_events, secure_delete

DEFAULT_DAYS = 180


def prune_transcripts(
    session: Session, tracker_engine: Engine | None, *, now: datetime, days: int
) -> dict[str, int]:
    """Delete the transcripts older than `days` days before `now`: {what: rows deleted}.

    The profile rows are deleted in `session` (the caller commits); the tracker events are
    deleted and committed here (`tracker_engine` None leaves the tracker alone). Raises
    ValueError for fewer than one day, which would prune the conversations going on now.
    """
    if days < 1:
        raise ValueError("the retention period must be at least one day")
    if now.tzinfo is None:
        raise ValueError("naive `now` given to prune_transcripts; use timezone-aware UTC")
    cutoff = now - timedelta(days=days)
    counts: dict[str, int] = {}
    with secure_delete(session):
        for name, model, column in (
            ("inbound_messages", InboundMessage, InboundMessage.received_at),
            ("outbound_messages", OutboundMessage, OutboundMessage.created_at),
            ("sent_emails", SentEmail, SentEmail.sent_at),
            ("link_requests", LinkRequest, LinkRequest.created_at),
        ):
            result = session.execute(
                delete(model).where(column < cutoff).execution_options(synchronize_session=False)
            )
            counts[name] = int(getattr(result, "rowcount", 0) or 0)
    counts["tracker_events"] = (
        0 if tracker_engine is None else prune_tracker(tracker_engine, before=cutoff)
    )
    return counts


def forget_expired_health_facts(session: Session, *, now: datetime) -> int:
    """Delete the health facts (allergy, intolerance, health) whose time is past, of customers
    who did not agree to keep such facts: used for one conversation, then forgotten."""
    expired = session.scalars(
        select(Preference).where(
            Preference.until.is_not(None),
            Preference.until < now,
            Preference.reason.in_(HEALTH_REASONS),
        )
    ).all()
    owners = {p.customer_id for p in expired}
    keepers = {c for c in owners if latest_consent(session, c, HEALTH_FACTS) is True}
    gone = [p for p in expired if p.customer_id not in keepers]
    with secure_delete(session):
        for pref in gone:
            session.delete(pref)
        session.flush()
    return len(gone)


def prune_tracker(engine: Engine, *, before: datetime) -> int:
    """Delete Rasa's tracker events older than `before` (committed); how many went."""
    if not has_tracker_events(engine):
        return 0
    events = TRACKER_EVENTS_TABLE
    # Rasa stores each event's time as seconds since the epoch.
    with engine.begin() as connection, secure_delete(connection):
        result = connection.execute(delete(events).where(events.c.timestamp < before.timestamp()))
        return int(result.rowcount or 0)
