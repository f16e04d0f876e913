"""Letting customers see what is stored about them, and erase any of it."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from bot.actions.context import (
    catalogue,
    channel,
    customer_id,
    in_transaction,
    intent_name,
    latest_text,
    said_when,
)
from bot.actions.facts import describe_habit
from bot.actions.linking import identities_words, response_text
from profile_store.linking import identities_of
from profile_store.repository import (
    active_preferences,
    ensure_customer,
    forget_preferences,
    habits,
)
from rapport.export_links import export_url
from rapport.settings import Settings
from tastes import StatedHabit, describe, extract_forget_subjects

ERASE_SLOT = "erase_pending"
ERASE_KEY = "rapport_erase"  # the gateway erases the customer once the turn is over


class ActionReviewProfile(Action):
    def name(self) -> str:
        return "action_review_profile"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        cid = customer_id(tracker)

        def read(session: Session) -> tuple[str | None, list[tuple[str, str]], str | None]:
            customer = ensure_customer(session, cid)
            mine = identities_of(session, cid)
            linked = identities_words(mine) if len(mine) > 1 else None
            lines = [
                (describe(p), f'you said "{p.stated}" {said_when(p.channel, p.at)}')
                for p in active_preferences(session, cid)
            ]
            lines += [
                (
                    describe_habit(StatedHabit(h.what, h.when, h.frequency, h.stated)),
                    f'you said "{h.stated}" {said_when(h.channel, h.at)}',
                )
                for h in habits(session, cid)
            ]
            return customer.name, lines, linked

        name, lines, linked = await in_transaction(read)
        if not lines and not name:
            dispatcher.utter_message(response="utter_profile_empty")
            return []
        dispatcher.utter_message(response="utter_profile_intro")
        if name:
            dispatcher.utter_message(
                response="utter_profile_fact", fact=f"your name is {name}", source="you told me"
            )
        for fact, source in lines:
            dispatcher.utter_message(response="utter_profile_fact", fact=fact, source=source)
        if linked:
            dispatcher.utter_message(response="utter_profile_identities", identities=linked)
        return []


class ActionForget(Action):
    def name(self) -> str:
        return "action_forget"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        _, vocabulary = await catalogue()
        subjects = extract_forget_subjects(latest_text(tracker), vocabulary)
        cid = customer_id(tracker)
        if not subjects:
            dispatcher.utter_message(response="utter_forget_which")
            return []
        if "*" in subjects:
            # Everything: the right to erasure, which cannot be undone, so only after a yes.
            dispatcher.utter_message(response="utter_erase_confirm")
            return [SlotSet(ERASE_SLOT, True)]

        def forget(session: Session) -> list[str]:
            ensure_customer(session, cid)
            return [describe(p) for p in forget_preferences(session, cid, subjects)]

        removed = await in_transaction(forget)
        if not removed:
            dispatcher.utter_message(response="utter_forget_not_found", subject=", ".join(subjects))
        for fact in removed:
            dispatcher.utter_message(response="utter_forgotten", fact=fact)
        return [SlotSet(ERASE_SLOT, None)]


class ActionAnswerErase(Action):
    """The yes or no to "Shall I erase it all?". The erasure itself is the gateway's, once this
    turn is over (channels/erasure.py): the tracker this turn is written to goes too."""

    def name(self) -> str:
        return "action_answer_erase"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        intent = intent_name(tracker)
        if not tracker.get_slot(ERASE_SLOT) or intent != "affirm":
            dispatcher.utter_message(response="utter_erase_cancelled")
            return [SlotSet(ERASE_SLOT, None)]
        done = response_text(domain, "utter_erased")
        dispatcher.utter_message(json_message={ERASE_KEY: {"done": done}})
        return [SlotSet(ERASE_SLOT, None)]


class ActionSendExport(Action):
    """The right of access by asking: a signed link to the whole export, on this channel."""

    def name(self) -> str:
        return "action_send_export"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        cid = customer_id(tracker)
        await in_transaction(lambda s: ensure_customer(s, cid))
        settings = Settings.from_env()
        link = export_url(settings.gateway_public_url, settings.session_secret, cid)
        if channel(tracker) == "email":
            # By mail, the file itself comes attached (channels/email/channel.py).
            dispatcher.utter_message(response="utter_export_attached", page=f"{link}/page")
            dispatcher.utter_message(json_message={"rapport_export_file": True})
        else:
            dispatcher.utter_message(response="utter_export_ready", link=link, page=f"{link}/page")
        return []
