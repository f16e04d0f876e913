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
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from bot.actions.context import channel, customer_id, in_transaction
from profile_store.models import Preference
from profile_store.repository import HEALTH_FACTS, HEALTH_REASONS, record_consent

SESSION_ONLY = timedelta(hours=3)
ASKED_SLOT = "health_consent_asked"  # the question is open: a yes or no answers it
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
    waiting = waiting_of(tracker) + stored
    if tracker.get_slot(ASKED_SLOT):
        return [SlotSet(WAITING_SLOT, [list(w) for w in waiting])]
    dispatcher.utter_message(response="utter_ask_keep_health", fact=described)
    return [SlotSet(WAITING_SLOT, [list(w) for w in waiting]), SlotSet(ASKED_SLOT, True)]


class ActionAnswerHealthConsent(Action):
    """The yes or no to "Shall I remember ...?"; a yes keeps the waiting facts for good."""

    def name(self) -> str:
        return "action_answer_health_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        granted = (tracker.latest_message.get("intent") or {}).get("name") == "affirm"
        cid, via, waiting = customer_id(tracker), channel(tracker), waiting_of(tracker)

        def answer(session: Session) -> None:
            record_consent(session, cid, purpose=HEALTH_FACTS, channel=via, granted=granted)
            if not granted:
                return
            for pref_id, own_end in waiting:
                pref = session.get(Preference, pref_id)
                if pref is not None and pref.customer_id == cid:
                    pref.until = datetime.fromisoformat(own_end) if own_end else None

        await in_transaction(answer)
        dispatcher.utter_message(response="utter_health_kept" if granted else "utter_health_today")
        return [SlotSet(ASKED_SLOT, None), SlotSet(WAITING_SLOT, None)]
