"""Writing what the customer states about themselves, with their words, and confirming it."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from bot.actions.context import (
    catalogue,
    channel,
    conversation_id,
    customer_id,
    in_transaction,
    latest_text,
)
from profile_store.repository import ensure_customer, record_habit, record_preference
from tastes import StatedHabit, describe, extract_facts, extract_habits

# The habit extractor speaks of the customer in the third person ("buys a case of wine").
SECOND_PERSON = {
    "shops": "come to the shop",
    "comes": "come",
    "has": "have",
    "buys": "buy",
    "gets": "get",
    "picks": "pick",
    "orders": "order",
    "stocks": "stock",
    "treats themselves": "treat yourself",
}
FREQUENCY_WORDS = {
    "weekly": "every week",
    "monthly": "every month",
    "daily": "every day",
    "fortnightly": "every other week",
}


def describe_habit(habit: StatedHabit) -> str:
    """The bot's words for a habit: 'you usually come to the shop on Saturday morning'."""
    what = habit.what
    for third, second in SECOND_PERSON.items():
        if what == third or what.startswith(third + " "):
            what = second + what[len(third) :]
            break
    parts = [f"you usually {what}"]
    if habit.when:
        parts.append(f"on {habit.when}")
    elif habit.frequency:
        parts.append(FREQUENCY_WORDS.get(habit.frequency, habit.frequency))
    return " ".join(parts)


class ActionSaveTastes(Action):
    def name(self) -> str:
        return "action_save_tastes"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        _, vocabulary = await catalogue()
        facts = extract_facts(latest_text(tracker), vocabulary)
        if not facts:
            dispatcher.utter_message(response="utter_taste_not_understood")
            return []
        cid, via, conv = customer_id(tracker), channel(tracker), conversation_id(tracker)

        def save(session: Session) -> None:
            ensure_customer(session, cid)
            for fact in facts:
                record_preference(
                    session,
                    cid,
                    subject=fact.subject,
                    polarity=fact.polarity,
                    reason=fact.reason,
                    category=fact.category,
                    strength=fact.strength,
                    stated=fact.stated,
                    channel=via,
                    conversation_id=conv,
                )

        await in_transaction(save)
        for fact in facts:
            dispatcher.utter_message(response="utter_fact_noted", fact=describe(fact))
        return []


class ActionSaveHabit(Action):
    def name(self) -> str:
        return "action_save_habit"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        text = latest_text(tracker)
        habits = extract_habits(text)
        if not habits:
            dispatcher.utter_message(response="utter_habit_not_understood")
            return []
        cid, via, conv = customer_id(tracker), channel(tracker), conversation_id(tracker)

        def save(session: Session) -> None:
            ensure_customer(session, cid)
            for habit in habits:
                record_habit(
                    session,
                    cid,
                    what=habit.what,
                    when=habit.when,
                    frequency=habit.frequency,
                    stated=habit.stated,
                    channel=via,
                    conversation_id=conv,
                )

        await in_transaction(save)
        for habit in habits:
            dispatcher.utter_message(response="utter_habit_noted", habit=describe_habit(habit))
        return []
