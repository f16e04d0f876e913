"""The customer's consents by asking: answering the open consent question, "what have I agreed
to?", and changing any of them in their own words ("don't message me first", "remember my
allergies after all"). STOP and START are answered by the gateway before Rasa (channels)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from bot.actions.consent_question import close_consent_question, open_question, question_seen
from bot.actions.context import (
    channel,
    customer_id,
    in_transaction,
    intent_name,
    latest_text,
    said_when,
    sender_address,
)
from bot.actions.health_consent import WAITING_SLOT, keep_for_now_only, keep_waiting, waiting_of
from profile_store.consents import (
    HEALTH_FACTS,
    OFFERS,
    PROACTIVE,
    PURPOSES,
    Word,
    latest_words,
    record_consent,
    record_opt_word,
)
from profile_store.privacy import lift_suppression
from profile_store.repository import ensure_customer

PURPOSE_ENTITY = "consent_purpose"

# The customer's words for each purpose, most specific first: "message me first about offers"
# is about being written to first, "remember my allergies" about health facts.
_PURPOSE_WORDS = (
    (HEALTH_FACTS, ("allerg", "intoleran", "health", "medical", "coeliac", "celiac", "diet")),
    (
        PROACTIVE,
        (
            "first",
            "message me",
            "messages",
            "write to me",
            "contact me",
            "text me",
            "email me",
            "mail me",
            "newsletter",
            "news",
            "notif",
            "reach out",
            "let me know",
            "tell me when",
        ),
    ),
    (OFFERS, ("offer", "suggest", "recommend", "deal", "promo", "personal")),
)

LABELS = {
    OFFERS: "Offers picked for you",
    PROACTIVE: "Messages from us first (when something that fits you comes in)",
    HEALTH_FACTS: "Keeping your allergies and other health facts beyond a conversation",
}
NEVER_SAID = {
    OFFERS: "yes, until you say STOP",
    PROACTIVE: "not asked yet: I never write first without your yes",
    HEALTH_FACTS: "not asked yet: I keep them for one conversation only",
}


def purpose_in(text: str) -> str | None:
    """Which consent the customer speaks of, from their words; None if none is named."""
    lowered = text.casefold()
    for purpose, words in _PURPOSE_WORDS:
        if any(w in lowered for w in words):
            return purpose
    return None


def describe_words(words: dict[str, Word | None], *, now: datetime) -> list[str]:
    """One line per purpose: its state, and where and when the customer said so."""
    lines = []
    for purpose in PURPOSES:
        word = words.get(purpose)
        if word is None:
            state = NEVER_SAID[purpose]
        else:
            said = f' ("{word.answer}")' if word.answer else ""
            state = (
                f"{'yes' if word.granted else 'no'}: you said so{said} "
                f"{said_when(word.channel, word.at, on=now.date())}"
            )
        lines.append(f"- {LABELS[purpose]}: {state}.")
    return lines


class ActionAnswerConsent(Action):
    """The yes or no to the open consent question, recorded with the question as it was seen."""

    def name(self) -> str:
        return "action_answer_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        purpose = open_question(tracker)
        if purpose is None:
            dispatcher.utter_message(response="utter_no_consent_question")
            return close_consent_question()
        granted = intent_name(tracker) == "affirm"
        cid, via, waiting = customer_id(tracker), channel(tracker), waiting_of(tracker)
        asked, answer = question_seen(tracker, purpose), latest_text(tracker)

        def record(session: Session) -> None:
            ensure_customer(session, cid)
            record_consent(
                session,
                cid,
                purpose=purpose,
                channel=via,
                granted=granted,
                asked=asked,
                answer=answer,
            )
            if purpose == HEALTH_FACTS and granted:
                keep_waiting(session, cid, waiting)

        await in_transaction(record)
        dispatcher.utter_message(response=ANSWERS[(purpose, granted)])
        events = close_consent_question()
        if purpose == HEALTH_FACTS:
            events.append(SlotSet(WAITING_SLOT, None))
        return events


ANSWERS = {
    (OFFERS, True): "utter_consent_offers_granted",
    (OFFERS, False): "utter_consent_offers_withdrawn",
    (PROACTIVE, True): "utter_consent_proactive_granted",
    (PROACTIVE, False): "utter_consent_proactive_withdrawn",
    (HEALTH_FACTS, True): "utter_consent_health_facts_granted",
    (HEALTH_FACTS, False): "utter_consent_health_facts_withdrawn",
}


class ActionShowConsents(Action):
    """ "What have I agreed to?": each purpose, its state, where and when it was said."""

    def name(self) -> str:
        return "action_show_consents"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        cid = customer_id(tracker)

        def read(session: Session) -> dict[str, Word | None]:
            ensure_customer(session, cid)
            return latest_words(session, cid)

        words = await in_transaction(read)
        lines = describe_words(words, now=datetime.now(UTC))
        dispatcher.utter_message(response="utter_consents", consents="\n".join(lines))
        return []


class ActionChangeConsent(Action):
    """ "Don't message me first", "remember my allergies after all": one purpose changed, in
    the customer's words; if they name none, they are asked which one (buttons)."""

    def name(self) -> str:
        return "action_change_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        intent = intent_name(tracker)
        granted = intent == "grant_consent"
        named = next(tracker.get_latest_entity_values(PURPOSE_ENTITY), None)
        purpose = named if named in PURPOSES else purpose_in(latest_text(tracker))
        if purpose is None:
            dispatcher.utter_message(
                response="utter_ask_which_consent",
                buttons=[
                    {
                        "title": LABELS[p].split(" (")[0],
                        "payload": f'/{intent}{{"{PURPOSE_ENTITY}": "{p}"}}',
                    }
                    for p in PURPOSES
                ],
            )
            return []
        cid, via, waiting = customer_id(tracker), channel(tracker), waiting_of(tracker)
        answer = latest_text(tracker) if not named else f"{intent}: {purpose}"
        given = sender_address(tracker)

        def change(session: Session) -> None:
            ensure_customer(session, cid)
            if purpose == OFFERS:
                record_opt_word(session, cid, channel=via, granted=granted, answer=answer)
                if granted and given is not None:
                    lift_suppression(session, via, given)
                return
            record_consent(
                session, cid, purpose=purpose, channel=via, granted=granted, answer=answer
            )
            if purpose == HEALTH_FACTS:
                if granted:
                    keep_waiting(session, cid, waiting)
                else:
                    keep_for_now_only(session, cid, datetime.now(UTC))

        await in_transaction(change)
        dispatcher.utter_message(response=ANSWERS[(purpose, granted)])
        events: list[EventType] = []
        if open_question(tracker) == purpose:
            events += close_consent_question()
        if purpose == HEALTH_FACTS:
            events.append(SlotSet(WAITING_SLOT, None))
        return events
