"""Session start, greetings and the customer's name."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from bot.actions.context import customer_id, in_transaction, latest_text
from bot.actions.profiling import ASKED_SLOT, ask_one_question
from profile_store.repository import ensure_customer, set_name
from tastes import extract_name
from tastes.names import styled_name


def _known_name(session: Session, cid: str) -> str | None:
    return ensure_customer(session, cid).name


class ActionSessionStart(Action):
    """Start a short Rasa session; what lasts (the name, the tastes) comes from the profile."""

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        name = await in_transaction(lambda s: _known_name(s, customer_id(tracker)))
        # Slots carry over, but a profiling question and a pending confirmation are per session.
        return [
            SessionStarted(),
            SlotSet("customer_name", name),
            SlotSet(ASKED_SLOT, None),
            SlotSet("pending_facts", None),
            SlotSet("pending_fact", None),
            SlotSet("confirming_fact", None),
            SlotSet("consent_question", None),
            SlotSet("health_facts_waiting", None),
            ActionExecuted("action_listen"),
        ]


def greeted_this_visit(tracker: Tracker) -> bool:
    """Whether the bot already greeted in this Rasa session (a visit: until it expires)."""
    runs = 0
    for event in reversed(tracker.events):
        if event.get("event") == "session_started":
            break
        if event.get("event") == "action" and event.get("name") == "action_greet":
            runs += 1
    # The event of this very run is not in the tracker yet.
    return runs > 0


class ActionGreet(Action):
    """Welcome once per visit: a reloaded page or a second "hello" gets no second welcome."""

    def name(self) -> str:
        return "action_greet"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if greeted_this_visit(tracker):
            if not latest_text(tracker).startswith("/"):
                # Typed ("hello again"): answered, without a second welcome.
                dispatcher.utter_message(response="utter_greet_again")
            # The chat page's own greeting payload on a reload: the history is on screen.
            return []
        name = await in_transaction(lambda s: _known_name(s, customer_id(tracker)))
        if not name:
            # The welcome already asks for their name and tastes: no profiling question on top.
            dispatcher.utter_message(response="utter_greet_new")
            return [SlotSet("customer_name", name)]
        dispatcher.utter_message(response="utter_greet_known", name=name)
        return [SlotSet("customer_name", name), *await ask_one_question(dispatcher, tracker)]


def name_from(tracker: Tracker) -> str | None:
    """The name from the NLU entity, else from the words themselves."""
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == "name" and str(entity.get("value") or "").strip():
            return " ".join(styled_name(word) for word in str(entity["value"]).split())
    return extract_name(latest_text(tracker))


async def keep_name(tracker: Tracker, name: str) -> None:
    """Write the customer's name to their profile."""
    cid = customer_id(tracker)

    def save(session: Session) -> None:
        ensure_customer(session, cid)
        set_name(session, cid, name)

    await in_transaction(save)


class ActionSaveName(Action):
    def name(self) -> str:
        return "action_save_name"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if tracker.get_slot("name_heard"):
            return []  # the fact reader already kept and acknowledged it (bot/actions/facts.py)
        name = name_from(tracker)
        if not name:
            dispatcher.utter_message(response="utter_ask_name_again")
            return []
        await keep_name(tracker, name)
        dispatcher.utter_message(response="utter_name_noted", name=name)
        return [SlotSet("customer_name", name)]
