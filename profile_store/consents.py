"""The customer's word on each purpose: what was asked, what they answered, where and when.

Purposes (each a yes or a no; the latest word on any channel decides):
- `offers`: offers picked for them, in conversation and in any message we send;
- `proactive`: messages we send first (offers, news), asked in context after an offer they took;
- `health_facts`: keeping allergies and other health facts beyond the conversation.

Every row keeps its provenance: the question as the customer saw it (`asked`, empty when they
spoke up unasked, as with STOP) and their own words (`answer`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from profile_store.models import Consent

OFFERS = "offers"
PROACTIVE = "proactive"
HEALTH_FACTS = "health_facts"
PURPOSES = (OFFERS, PROACTIVE, HEALTH_FACTS)
HEALTH_REASONS = frozenset({"allergy", "intolerance", "health"})

# Bounded like the columns: a question or an answer longer than this is cut, not refused.
MAX_WORDS = 2000


@dataclass(frozen=True)
class Word:
    """The latest word on one purpose."""

    purpose: str
    granted: bool
    channel: str
    at: datetime
    asked: str
    answer: str


def latest_consent(session: Session, customer_id: str, purpose: str) -> bool | None:
    """The customer's latest word on a purpose, on any channel; None if they never said."""
    latest = _latest(session, customer_id, purpose)
    return None if latest is None else latest.granted


def latest_words(session: Session, customer_id: str) -> dict[str, Word | None]:
    """Each purpose's latest word (None: never asked nor said), in PURPOSES order."""
    out: dict[str, Word | None] = {}
    for purpose in PURPOSES:
        row = _latest(session, customer_id, purpose)
        out[purpose] = (
            None
            if row is None
            else Word(purpose, row.granted, row.channel, row.at, row.asked or "", row.answer or "")
        )
    return out


def record_consent(
    session: Session,
    customer_id: str,
    *,
    purpose: str,
    channel: str,
    granted: bool,
    asked: str = "",
    answer: str = "",
) -> Consent:
    """A yes or no, with the question asked (empty if none was) and the customer's words."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown consent purpose {purpose!r}; expected one of {PURPOSES}")
    consent = Consent(
        customer_id=customer_id,
        purpose=purpose,
        channel=channel,
        granted=granted,
        asked=" ".join(asked.split())[:MAX_WORDS],
        answer=" ".join(answer.split())[:MAX_WORDS],
    )
    session.add(consent)
    session.flush()
    return consent


def record_opt_word(
    session: Session, customer_id: str, *, channel: str, granted: bool, answer: str, asked: str = ""
) -> None:
    """STOP or START, said on any channel: a no to offers also takes back a yes to messages we
    send first (STOP ends all marketing); a yes restores offers only, the rest is asked again."""
    record_consent(
        session,
        customer_id,
        purpose=OFFERS,
        channel=channel,
        granted=granted,
        asked=asked,
        answer=answer,
    )
    if not granted and latest_consent(session, customer_id, PROACTIVE) is True:
        record_consent(
            session,
            customer_id,
            purpose=PROACTIVE,
            channel=channel,
            granted=False,
            asked=asked,
            answer=answer,
        )


def may_contact_first(session: Session, customer_id: str) -> bool:
    """Whether we may send this customer a message they did not ask for: only after a yes to
    messages we send first, and never after a no to offers (STOP wins over everything)."""
    return (
        latest_consent(session, customer_id, PROACTIVE) is True
        and latest_consent(session, customer_id, OFFERS) is not False
    )


def _latest(session: Session, customer_id: str, purpose: str) -> Consent | None:
    return session.scalars(
        select(Consent)
        .where(Consent.customer_id == customer_id, Consent.purpose == purpose)
        .order_by(Consent.at.desc(), Consent.id.desc())
        .limit(1)
    ).first()
