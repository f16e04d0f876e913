"""Hearing what the customer states about themselves, in every message, and confirming it.

`action_validate_slot_mappings` is the one custom action Rasa runs after every user message,
before any dialogue prediction (it is called by the default action `action_extract_slots`):
so facts are read whatever the intent, and a greeting, a name or a question that also says
"I love Comté" is heard. The learned reader (tastes.reader) gives each fact a probability:
- sure facts are stored at once and acknowledged ("Noted: you love Comté");
- unsure ones wait in the `pending_facts` slot and the bot asks about them one at a time,
  avoids first ("Just to be sure: ...?", utter_fact_to_confirm); a yes stores that one, a no
  drops it, then the next is asked (action_confirm_facts).
The intent's own action follows (a greeting, an answer, offers).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction
from sqlalchemy.orm import Session

from bot.actions.consent_question import open_question
from bot.actions.context import (
    catalogue,
    channel,
    conversation_id,
    customer_id,
    in_transaction,
    intent_name,
    latest_text,
    today,
)
from bot.actions.greeting import keep_name, name_from
from bot.actions.health_consent import ask_to_keep, is_health_fact, kept_until
from bot.actions.pending import ask, clear_pending, confirming, pending
from bot.actions.profiling import ask_one_question
from profile_store.consents import HEALTH_FACTS, latest_consent
from profile_store.repository import (
    ensure_customer,
    record_habit,
    record_preference,
)
from tastes import (
    StatedFact,
    StatedHabit,
    describe,
    describe_household,
    extract_habits,
    extract_household,
)
from tastes.reader import shared_reader

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
HEARD_SLOT = "facts_heard"  # how many facts the reader heard in the latest message
NAME_HEARD_SLOT = "name_heard"  # the name the reader noted in the latest message, if any
# What these messages say about food is not a new fact: they name one to forget or ask to see.
NOT_READ_FOR_FACTS = frozenset({"forget_fact", "review_profile"})


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


def _save(
    session: Session, tracker: Tracker, facts: list[StatedFact], habits: list[StatedHabit]
) -> Kept:
    """Store facts and habits; health facts beyond the conversation only with consent."""
    cid, via, conv = customer_id(tracker), channel(tracker), conversation_id(tracker)
    ensure_customer(session, cid)
    consent = latest_consent(session, cid, HEALTH_FACTS)
    now = datetime.now(UTC)
    kept = Kept(consent)
    for fact in facts:
        health = is_health_fact(fact.polarity, fact.reason)
        pref = record_preference(
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
            member=fact.member,
            until=kept_until(fact.until, now, consent) if health else fact.until,
        )
        if health and consent is not True:
            own = fact.until.isoformat() if fact.until else None
            kept.for_now.append(((pref.id, own), describe(fact)))
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
    return kept


@dataclass
class Kept:
    """What _save kept for this conversation only, waiting for the customer's consent."""

    consent: bool | None
    for_now: list[tuple[tuple[int, str | None], str]] = field(default_factory=list)

    def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        """The question whether to keep them, when they never answered it."""
        if not self.for_now or self.consent is not None:
            return []
        stored = [ids for ids, _ in self.for_now]
        return ask_to_keep(dispatcher, tracker, stored, self.for_now[0][1])


async def _note(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    facts: list[StatedFact],
    habits: list[StatedHabit],
) -> list[EventType]:
    """Store the sure facts and habits, and ask about the unsure facts."""
    sure = [f for f in facts if f.confident]
    unsure = [f for f in facts if not f.confident]
    kept = Kept(None)
    if sure or habits:
        kept = await in_transaction(lambda s: _save(s, tracker, sure, habits))
    for fact in sure:
        dispatcher.utter_message(response="utter_fact_noted", fact=describe(fact))
    for habit in habits:
        dispatcher.utter_message(response="utter_habit_noted", habit=describe_habit(habit))
    if not unsure:
        # One question at a time: whether to keep a health fact, when none other is open.
        return [] if confirming(tracker) else kept.ask(dispatcher, tracker)
    # One question at a time, avoids first: a yes or a no then answers exactly one fact. Facts
    # already waiting keep their turn; if no question about them is open (offers came in
    # between), the first is asked again now.
    queue = pending(tracker) + sorted(unsure, key=lambda f: f.polarity != "avoid")
    if not confirming(tracker):
        dispatcher.utter_message(response="utter_fact_to_confirm", fact=describe(queue[0]))
    return ask(queue)


class ActionReadFacts(ValidationAction):
    """Reads every user message for facts (Rasa calls it action_validate_slot_mappings)."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        text = latest_text(tracker)
        # While a person has the conversation the bot neither speaks nor writes; a button's
        # payload ("/affirm") is not the customer's words.
        if tracker.is_paused() or not text.strip() or text.startswith("/"):
            return [SlotSet(HEARD_SLOT, 0), SlotSet(NAME_HEARD_SLOT, None)]
        events: list[EventType] = []
        intent = intent_name(tracker)
        facts: list[StatedFact] = []
        if intent not in NOT_READ_FOR_FACTS:
            _, vocabulary = await catalogue()
            reader = await asyncio.to_thread(shared_reader)
            facts = await asyncio.to_thread(reader.read, text, vocabulary, today())
        name = name_from(tracker) if intent not in NOT_READ_FOR_FACTS else None
        if name:
            # "hi, I'm Ottoline": the customer's name is no food they like.
            words = {w.casefold() for w in name.split()}
            facts = [f for f in facts if not set(f.subject.casefold().split()) <= words]
            # Whatever the intent ("hi I'm Marie, I love Comté"): the name first, then the facts.
            await keep_name(tracker, name)
            response = "utter_name_noted_briefly" if facts else "utter_name_noted"
            dispatcher.utter_message(response=response, name=name)
            events += [SlotSet("customer_name", name), SlotSet(NAME_HEARD_SLOT, name)]
        else:
            events.append(SlotSet(NAME_HEARD_SLOT, None))
        events += await _note(dispatcher, tracker, facts, [])
        return [*events, SlotSet(HEARD_SLOT, len(facts))]


class ActionSaveTastes(Action):
    """After a statement of taste: household words, or a word that nothing was understood."""

    def name(self) -> str:
        return "action_save_tastes"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        household = extract_household(latest_text(tracker))
        heard = int(tracker.get_slot(HEARD_SLOT) or 0)
        if not heard and not household:
            dispatcher.utter_message(response="utter_taste_not_understood")
            return []
        events = await _note(dispatcher, tracker, [], household)
        if confirming(tracker) or open_question(tracker):
            return (
                events  # one question at a time  # the question "just to be sure" is the last word
            )
        return [*events, *await ask_one_question(dispatcher, tracker)]


class ActionSaveHabit(Action):
    def name(self) -> str:
        return "action_save_habit"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        text = latest_text(tracker)
        habits = _unique_habits(extract_habits(text) + extract_household(text))
        heard = int(tracker.get_slot(HEARD_SLOT) or 0)
        if not habits and not heard:
            dispatcher.utter_message(response="utter_habit_not_understood")
            return []
        events = await _note(dispatcher, tracker, [], habits)
        if confirming(tracker) or open_question(tracker):
            return events  # one question at a time
        return [*events, *await ask_one_question(dispatcher, tracker)]


class ActionConfirmFacts(Action):
    """The answer to "Just to be sure: ...?": a yes stores that fact, a no drops it; next one."""

    def name(self) -> str:
        return "action_confirm_facts"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        queue = pending(tracker)
        if not queue:
            dispatcher.utter_message(response="utter_fact_dropped")
            return clear_pending()
        first, rest = queue[0], queue[1:]
        kept = Kept(None)
        if intent_name(tracker) == "affirm":
            kept = await in_transaction(lambda s: _save(s, tracker, [first], []))
            dispatcher.utter_message(response="utter_fact_noted", fact=describe(first))
        else:
            dispatcher.utter_message(response="utter_fact_dropped")
        if rest:
            dispatcher.utter_message(response="utter_fact_to_confirm", fact=describe(rest[0]))
            return ask(rest)
        return [*clear_pending(), *kept.ask(dispatcher, tracker)]
