"""Letting customers see what is stored about them, and erase any of it."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from bot.actions.context import catalogue, customer_id, in_transaction, latest_text, said_when
from bot.actions.facts import describe_habit
from bot.actions.linking import identities_words
from profile_store.linking import identities_of
from profile_store.repository import (
    active_preferences,
    ensure_customer,
    forget_preferences,
    habits,
)
from tastes import StatedHabit, describe, extract_forget_subjects


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

        def forget(session: Session) -> list[str]:
            ensure_customer(session, cid)
            return [describe(p) for p in forget_preferences(session, cid, subjects)]

        removed = await in_transaction(forget)
        if "*" in subjects:
            dispatcher.utter_message(response="utter_forgot_everything")
        elif not removed:
            dispatcher.utter_message(response="utter_forget_not_found", subject=", ".join(subjects))
        for fact in removed if "*" not in subjects else []:
            dispatcher.utter_message(response="utter_forgotten", fact=fact)
        return []
