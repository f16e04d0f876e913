"""Writing what the customer states about themselves, with their words, and confirming it.

A fact the extractor is not sure of (`confident` is False: an unknown subject, an ambiguous cue)
is not stored at once: it waits in the `pending_facts` slot while the bot asks "Just to be
sure: ...?" (utter_fact_to_confirm); a yes stores it, a no drops it (action_confirm_facts).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
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
from bot.actions.profiling import ask_one_question
from profile_store.repository import ensure_customer, record_habit, record_preference
from tastes import (
    StatedFact,
    StatedHabit,
    describe,
    describe_household,
    extract_facts,
    extract_habits,
    extract_household,
)

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
PENDING_SLOT = "pending_facts"
CONFIRMING_SLOT = "confirming_fact"
PENDING_TEXT_SLOT = "pending_fact"


def describe_habit(habit: StatedHabit) -> str:
    """The bot's words for a habit: 'you usually come to the shop on Saturday morning'."""
    household = describe_household(habit)
    if household is not None:
        return household
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


def _unique_habits(found: list[StatedHabit]) -> list[StatedHabit]:
    seen: set[str] = set()
    kept = []
    for habit in found:
        if habit.what not in seen:
            seen.add(habit.what)
            kept.append(habit)
    return kept


def _save_facts(
    session: Session, tracker: Tracker, facts: list[StatedFact], habits: list[StatedHabit]
) -> None:
    cid, via, conv = customer_id(tracker), channel(tracker), conversation_id(tracker)
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


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


async def _note(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    facts: list[StatedFact],
    habits: list[StatedHabit],
) -> list[EventType]:
    """Store the sure facts, ask about the unsure ones, then maybe one profiling question."""
    sure = [f for f in facts if f.confident]
    unsure = [f for f in facts if not f.confident]
    if sure or habits:
        await in_transaction(lambda s: _save_facts(s, tracker, sure, habits))
    for fact in sure:
        dispatcher.utter_message(response="utter_fact_noted", fact=describe(fact))
    for habit in habits:
        dispatcher.utter_message(response="utter_habit_noted", habit=describe_habit(habit))
    if unsure:
        words = _and([describe(f) for f in unsure])
        dispatcher.utter_message(response="utter_fact_to_confirm", fact=words)
        return [
            SlotSet(PENDING_SLOT, [asdict(f) for f in unsure]),
            SlotSet(PENDING_TEXT_SLOT, words),
            SlotSet(CONFIRMING_SLOT, True),
        ]
    return [*_clear_pending(), *await ask_one_question(dispatcher, tracker)]


def _clear_pending() -> list[EventType]:
    return [
        SlotSet(PENDING_SLOT, None),
        SlotSet(PENDING_TEXT_SLOT, None),
        SlotSet(CONFIRMING_SLOT, None),
    ]


class ActionSaveTastes(Action):
    def name(self) -> str:
        return "action_save_tastes"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        _, vocabulary = await catalogue()
        text = latest_text(tracker)
        facts = extract_facts(text, vocabulary)
        household = extract_household(text)
        if not facts and not household:
            dispatcher.utter_message(response="utter_taste_not_understood")
            return _clear_pending()
        return await _note(dispatcher, tracker, facts, household)


class ActionSaveHabit(Action):
    def name(self) -> str:
        return "action_save_habit"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        text = latest_text(tracker)
        habits = _unique_habits(extract_habits(text) + extract_household(text))
        # A habit sentence often says a taste too ("every Friday I buy Comté, I love it").
        _, vocabulary = await catalogue()
        facts = [f for f in extract_facts(text, vocabulary) if f.confident]
        if not habits and not facts:
            dispatcher.utter_message(response="utter_habit_not_understood")
            return _clear_pending()
        return await _note(dispatcher, tracker, facts, habits)


def _pending(tracker: Tracker) -> list[StatedFact]:
    kept = []
    for item in tracker.get_slot(PENDING_SLOT) or []:
        try:
            kept.append(StatedFact(**{**item, "confident": True}))
        except TypeError:
            continue
    return kept


class ActionConfirmFacts(Action):
    """The answer to "Just to be sure: ...?": a yes stores the pending facts, a no drops them."""

    def name(self) -> str:
        return "action_confirm_facts"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        facts = _pending(tracker)
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent == "affirm" and facts:
            await in_transaction(lambda s: _save_facts(s, tracker, facts, []))
            for fact in facts:
                dispatcher.utter_message(response="utter_fact_noted", fact=describe(fact))
        else:
            dispatcher.utter_message(response="utter_fact_dropped")
        return _clear_pending()
