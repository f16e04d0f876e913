"""Answering "any offers for me?" with offers that fit every constraint, each with its reason."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from bot.actions.consent_question import close_consent_question
from bot.actions.context import catalogue, channel, conversation_id, customer_id, in_transaction
from bot.actions.context import today as current_day
from bot.actions.pending import close_question, pending
from bot.actions.profiling import ask_one_question
from offers.catalogue import Catalogue
from offers.embeddings import DEFAULT_CACHE_DIR, Encoder, SemanticIndex, semantic_index
from offers.occasions import for_whom_note
from offers.ranking import (
    ASKED,
    Fact,
    Habit,
    OfferEvent,
    RankedOffer,
    rank_offers,
)
from offers.reasons import explain, narrowing_note
from profile_store.consents import OFFERS, latest_consent
from profile_store.repository import (
    active_preferences,
    ensure_customer,
    habits,
    offer_events,
    record_offer_event,
)
from tastes.encoder import EncoderMissing
from tastes.reader import shared_reader
from tastes.vocabulary import Vocabulary

log = logging.getLogger(__name__)
LAST_OFFERS_SLOT = "last_offer_ids"
OFFER_ACTIONS = ("action_offer", "action_other_offers")
ASKED_MESSAGES = 3  # the customer's last messages read for what they ask for

_semantic_lock = threading.Lock()
_semantic_enabled = True
_encoder: Encoder | None = None


def configure_semantic(*, enabled: bool = True, encoder: Encoder | None = None) -> None:
    """Use another encoder than the bundled model (tests), or none at all (lexical only)."""
    global _semantic_enabled, _encoder
    with _semantic_lock:
        _semantic_enabled, _encoder = enabled, encoder


def _semantic_now(cat: Catalogue) -> SemanticIndex | None:
    with _semantic_lock:
        enabled, encoder = _semantic_enabled, _encoder
    if not enabled or not cat.products:
        return None
    return semantic_index(cat, encoder=encoder, cache_dir=DEFAULT_CACHE_DIR)


async def semantic_for(cat: Catalogue) -> SemanticIndex | None:
    """The catalogue's embeddings; the first call of a process loads the model, off the loop."""
    return await asyncio.to_thread(_semantic_now, cat)


@dataclass(frozen=True)
class CustomerView:
    """Everything ranking needs to know about one customer, read in one transaction."""

    facts: list[Fact]
    habits: list[Habit]
    history: list[OfferEvent]
    consent: bool


def facts_of(session: Session, cid: str) -> list[Fact]:
    """What holds now, the household's included: members' avoids filter like the customer's."""
    ensure_customer(session, cid)
    return [
        Fact(
            subject=p.subject,
            polarity=p.polarity.value,
            reason=p.reason,
            stated=p.stated,
            channel=p.channel,
            at=p.at,
            member=p.member,
            strength=p.strength,
        )
        for p in active_preferences(session, cid)
    ]


def consents_to_offers(session: Session, cid: str) -> bool:
    """The latest word on offers, on any channel, decides; no word yet means the customer may
    ask for offers in conversation."""
    return latest_consent(session, cid, OFFERS) is not False


def offers_take_the_floor() -> list[EventType]:
    """Offers are now the open question: a fact waiting for a yes, or a consent question, is
    asked again another time."""
    return [*close_question(), *close_consent_question()]


def waiting_avoids(tracker: Tracker, now: datetime) -> list[Fact]:
    """Avoids the customer may have stated and not yet confirmed: until they say no, their
    foods stay out of offers (nothing is stored)."""
    return [
        Fact(
            subject=f.subject,
            polarity=f.polarity,
            reason=f.reason,
            stated=f.stated,
            channel=channel(tracker),
            at=now,
            member=f.member,
        )
        for f in pending(tracker)
        if f.polarity == "avoid"
    ]


def recent_requests(tracker: Tracker) -> list[str]:
    """The customer's words since offers were last shown in this session (at most the last
    ASKED_MESSAGES): "looking for goat's cheese for a salad tonight", then "any offers?"."""
    texts: list[str] = []
    for event in reversed(tracker.events):
        name = event.get("event")
        if name == "session_started" or (name == "action" and event.get("name") in OFFER_ACTIONS):
            break
        text = str(event.get("text") or "") if name == "user" else ""
        if text.strip() and not text.startswith("/"):
            texts.append(text)
            if len(texts) == ASKED_MESSAGES:
                break
    return texts[::-1]


async def asked_now(tracker: Tracker, vocabulary: Vocabulary, now: datetime) -> list[Fact]:
    """What the customer asks for in those words, with no taste stated ("any deals on blue
    cheese?"): offered this time as "you asked for blue cheese", never stored."""
    texts = recent_requests(tracker)
    if not texts:
        return []
    try:
        reader = await asyncio.to_thread(shared_reader)
    except EncoderMissing as exc:
        log.warning("offers without what was asked for: %s", exc)
        return []
    asked: list[Fact] = []
    for text in texts:
        for subject in await asyncio.to_thread(reader.asked_for, text, vocabulary):
            asked.append(Fact(subject, ASKED, None, text, channel(tracker), now))
    return asked


def customer_view(session: Session, cid: str) -> CustomerView:
    facts = facts_of(session, cid)
    return CustomerView(
        facts=facts,
        habits=[Habit(h.what, h.when, h.stated, h.channel, h.at) for h in habits(session, cid)],
        history=[OfferEvent(e.offer_id, e.event.value, e.at) for e in offer_events(session, cid)],
        consent=consents_to_offers(session, cid),
    )


def last_offer_ids(tracker: Tracker) -> list[str]:
    value = tracker.get_slot(LAST_OFFERS_SLOT)
    return [str(v) for v in value] if isinstance(value, list) else []


def record_events(
    session: Session, cid: str, offer_ids: Sequence[str], event: str, via: str, conv: str
) -> None:
    for offer_id in offer_ids:
        record_offer_event(
            session, cid, offer_id=offer_id, event=event, channel=via, conversation_id=conv
        )


def offer_vars(
    r: RankedOffer, reason: str, habits: Sequence[Habit] = (), day: date | None = None
) -> dict[str, Any]:
    """The variables every offer response gets. The description says what a narrowed offer
    is for them, and for whom and how much when they prepare an occasion or cook for several."""
    notes = [narrowing_note(r)]
    if day is not None:
        notes.append(for_whom_note(r.products, habits, day))
    return {
        "offer_id": r.offer.id,
        "title": r.offer.title,
        "description": " ".join([r.offer.description, *(n for n in notes if n)]),
        "discount": r.offer.discount,
        "reason": reason,
    }


class ActionOffer(Action):
    """Rank, record what is presented, say each offer with its reason, remember what was shown."""

    intro = "utter_offers_intro"
    nothing = "utter_no_offer"

    def name(self) -> str:
        return "action_offer"

    def excluded(self, tracker: Tracker) -> list[str]:
        return []

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        cat, vocabulary = await catalogue()
        cid, via, conv = customer_id(tracker), channel(tracker), conversation_id(tracker)
        view = await in_transaction(lambda s: customer_view(s, cid))
        if not view.consent:
            dispatcher.utter_message(response="utter_offers_paused")
            return [SlotSet(LAST_OFFERS_SLOT, []), *offers_take_the_floor()]
        semantic = await semantic_for(cat)
        day = current_day()
        now = datetime.now(UTC)
        ranked = rank_offers(
            cat,
            [
                *view.facts,
                *waiting_avoids(tracker, now),
                *await asked_now(tracker, vocabulary, now),
            ],
            today=day,
            exclude_offer_ids=self.excluded(tracker),
            history=view.history,
            habits=view.habits,
            semantic=semantic,
        )
        if not ranked:
            dispatcher.utter_message(response=self.nothing)
            # Nothing fits: the moment to learn one more thing (progressive profiling).
            return [
                SlotSet(LAST_OFFERS_SLOT, []),
                *offers_take_the_floor(),
                *await ask_one_question(dispatcher, tracker, open_only=True),
            ]
        shown = [r.offer.id for r in ranked]
        await in_transaction(lambda s: record_events(s, cid, shown, "presented", via, conv))
        dispatcher.utter_message(response=self.intro)
        for r in ranked:
            reason = explain(r, today=day)
            dispatcher.utter_message(
                response="utter_offer", **offer_vars(r, reason, view.habits, day)
            )
        # The offers are now the open question (a fact waiting to be confirmed is asked again
        # with the next unsure one). A thin profile gets one open question after its offers,
        # so the next ones fit better.
        return [
            SlotSet(LAST_OFFERS_SLOT, shown),
            *offers_take_the_floor(),
            *await ask_one_question(dispatcher, tracker, open_only=True),
        ]


class ActionOtherOffers(ActionOffer):
    """ "Something else": the next offers, never the ones just shown."""

    intro = "utter_other_offers_intro"
    nothing = "utter_no_other_offer"

    def name(self) -> str:
        return "action_other_offers"

    def excluded(self, tracker: Tracker) -> list[str]:
        return last_offer_ids(tracker)
