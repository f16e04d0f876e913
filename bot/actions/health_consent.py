"""Keeping health-related facts only with the customer's consent, asked once, in context.

An allergy, an intolerance or another health reason is used at once (it keeps its food out of
offers from the first message), but kept beyond the conversation only if the customer agrees:
"Shall I remember that you're allergic to walnuts, to keep them out of your offers?". Until they
say yes, such a fact is stored for SESSION_ONLY and then forgotten (profile_store.retention
deletes it once past); a no is remembered (consent purpose `health_facts`) and the question is
not asked again; a yes keeps the facts waiting, and every later one, for good.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from bot.actions.consent_question import ask_consent, open_question
from profile_store.consents import HEALTH_FACTS, HEALTH_REASONS
from profile_store.models import Preference
from profile_store.repository import active_preferences

SESSION_ONLY = timedelta(hours=3)
WAITING_SLOT = "health_facts_waiting"  # [[preference id, its own end or None], ...]


def is_health_fact(polarity: str, reason: str | None) -> bool:
    return polarity == "avoid" and reason in HEALTH_REASONS


def kept_until(own: datetime | None, now: datetime, consent: bool | None) -> datetime | None:
    """When a health fact stops being kept: its own end, or the conversation's without consent."""
    if consent is True:
        return own
    cap = now + SESSION_ONLY
    return cap if own is None or own > cap else own


def waiting_of(tracker: Tracker) -> list[tuple[int, str | None]]:
    out = []
    for item in tracker.get_slot(WAITING_SLOT) or []:
        if isinstance(item, list | tuple) and len(item) == 2 and isinstance(item[0], int):
            out.append((item[0], item[1] if isinstance(item[1], str) else None))
    return out


def ask_to_keep(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    stored: list[tuple[int, str | None]],
    described: str,
) -> list[EventType]:
    """Ask (once) whether to keep the health facts just stored for this conversation only."""
    waiting = [SlotSet(WAITING_SLOT, [list(w) for w in waiting_of(tracker) + stored])]
    if open_question(tracker):
        return waiting
    return [*waiting, *ask_consent(dispatcher, HEALTH_FACTS, fact=described)]


def keep_waiting(session: Session, cid: str, waiting: list[tuple[int, str | None]]) -> None:
    """The customer said yes: the health facts kept for this conversation are kept for good
    (or until their own end)."""
    for pref_id, own_end in waiting:
        pref = session.get(Preference, pref_id)
        if pref is not None and pref.customer_id == cid:
            pref.until = datetime.fromisoformat(own_end) if own_end else None


def keep_for_now_only(session: Session, cid: str, now: datetime) -> int:
    """The customer took their yes back: their health facts are kept for this conversation
    only, then forgotten (as if they had never said yes). How many there were."""
    cap = now + SESSION_ONLY
    rows = [
        p
        for p in active_preferences(session, cid, now=now)
        if is_health_fact(p.polarity.value, p.reason) and (p.until is None or p.until > cap)
    ]
    for pref in rows:
        pref.until = cap
    return len(rows)
