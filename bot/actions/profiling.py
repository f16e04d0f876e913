"""Progressive profiling: one question per conversation, in context, about what is not known yet."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from bot.actions.context import customer_id, in_transaction
from profile_store.models import Polarity
from profile_store.repository import active_preferences, ensure_customer, habits
from tastes.household import describe_household
from tastes.models import StatedHabit

# Fewer facts and habits than this: the profile is thin, and one question may be asked.
THIN_PROFILE = 3
ASKED_SLOT = "profiling_asked"


@dataclass(frozen=True)
class Known:
    """What the profile already says, by topic."""

    facts: int
    constraints: bool
    household: bool
    routine: bool
    categories: frozenset[str]


# In order of use to the shop: a constraint keeps wrong offers away, then who they cook for,
# then when they come, then the two counters with the most offers.
QUESTIONS: Sequence[tuple[str, str]] = (
    ("constraints", "utter_ask_profile_constraints"),
    ("household", "utter_ask_profile_household"),
    ("routine", "utter_ask_profile_routine"),
    ("cheese", "utter_ask_profile_cheese"),
    ("wine", "utter_ask_profile_wine"),
)


# Asked as a yes/no ("anything you can't eat?"): not where a bare yes or no already means
# something else, such as right after offers (a rule turns it into accepting or declining them).
YES_NO_TOPICS = frozenset({"constraints"})


def next_question(known: Known, *, open_only: bool = False) -> str | None:
    """The response asking about the first topic the profile says nothing about, if it is thin."""
    if known.facts >= THIN_PROFILE:
        return None
    for topic, response in QUESTIONS:
        if open_only and topic in YES_NO_TOPICS:
            continue
        answered = {
            "constraints": known.constraints,
            "household": known.household,
            "routine": known.routine,
        }.get(topic, topic in known.categories)
        if not answered:
            return response
    return None


def _known(session: Session, cid: str) -> Known:
    ensure_customer(session, cid)
    prefs = active_preferences(session, cid)
    routine = household = False
    known_habits = habits(session, cid)
    for h in known_habits:
        stated = StatedHabit(what=h.what, when=h.when, frequency=h.frequency, stated=h.stated)
        if describe_household(stated) is not None:
            household = True
        else:
            routine = True
    return Known(
        facts=len(prefs) + len(known_habits),
        constraints=any(p.polarity == Polarity.AVOID for p in prefs),
        household=household,
        routine=routine,
        categories=frozenset(p.category for p in prefs if p.category),
    )


async def ask_one_question(
    dispatcher: CollectingDispatcher, tracker: Tracker, *, open_only: bool = False
) -> list[EventType]:
    """Ask the profiling question, unless one was asked in this conversation or none is needed.

    `open_only`: only a question a bare yes or no cannot answer (see YES_NO_TOPICS).
    """
    if tracker.get_slot(ASKED_SLOT):
        return []
    cid = customer_id(tracker)
    known = await in_transaction(lambda s: _known(s, cid))
    response = next_question(known, open_only=open_only)
    if response is None:
        return []
    dispatcher.utter_message(response=response)
    return [SlotSet(ASKED_SLOT, True)]
