"""The one consent question that can be open at a time: "Shall I remember your allergy...?",
"May I write to you first...?". While it is open, a yes or no answers it (the rules read the
slot; bot/actions/consents.py records the answer with the question as the customer saw it)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from profile_store.consents import HEALTH_FACTS, PROACTIVE

QUESTION_SLOT = "consent_question"  # the purpose asked about, while the question is open
QUESTIONS = {HEALTH_FACTS: "utter_ask_keep_health", PROACTIVE: "utter_ask_write_first"}


def open_question(tracker: Tracker) -> str | None:
    value = tracker.get_slot(QUESTION_SLOT)
    return value if value in QUESTIONS else None


def ask_consent(dispatcher: CollectingDispatcher, purpose: str, **values: Any) -> list[EventType]:
    dispatcher.utter_message(response=QUESTIONS[purpose], **values)
    return [SlotSet(QUESTION_SLOT, purpose)]


def close_consent_question() -> list[EventType]:
    return [SlotSet(QUESTION_SLOT, None)]


def question_seen(tracker: Tracker, purpose: str) -> str:
    """The question as the customer saw it: the bot's last message asking it ("" if gone)."""
    response = QUESTIONS.get(purpose)
    for event in reversed(tracker.events):
        if event.get("event") != "bot":
            continue
        metadata = event.get("metadata") or {}
        if isinstance(metadata, dict) and metadata.get("utter_action") == response:
            return str(event.get("text") or "")
    return ""
