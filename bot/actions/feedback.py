"""The customer's answers to the offers just shown: yes, no, why, and "no more wine offers"."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from bot.actions.consent_question import ask_consent, open_question
from bot.actions.context import (
    catalogue,
    channel,
    conversation_id,
    customer_id,
    in_transaction,
    intent_name,
    latest_text,
)
from bot.actions.context import today as current_day
from bot.actions.offering import (
    CustomerView,
    customer_view,
    last_offer_ids,
    offer_vars,
    record_events,
    semantic_for,
)
from offers.catalogue import CATEGORIES, Catalogue, Offer
from offers.ranking import DECLINED, DISLIKE, assess_offer
from offers.reasons import explain
from offers.vocabulary import fold, phrase
from profile_store.consents import PROACTIVE, latest_consent
from profile_store.repository import ensure_customer, record_preference

CATEGORY_STOP_SLOT = "category_stop"
# After this many declined offers of one counter within DECLINES_WINDOW, the bot asks whether
# to stop offering that counter at all.
DECLINES_BEFORE_ASKING = 2
DECLINES_WINDOW = timedelta(days=30)

# What customers call each counter; the stored dislike's subject is the category itself, so it
# reaches every product of the counter (ranking matches a dislike against the category).
CATEGORY_WORDS: dict[str, str] = {
    **{c: c for c in CATEGORIES},
    **dict.fromkeys(["meat", "butcher s", "butchery", "steak"], "butcher"),
    **dict.fromkeys(["cold cut", "cured meat", "sausage", "ham", "pate"], "charcuterie"),
    **dict.fromkeys(["fish", "seafood", "fishmonger s", "shellfish"], "fishmonger"),
    **dict.fromkeys(["bread", "pastry", "cake", "baker s"], "bakery"),
    **dict.fromkeys(["veg", "vegetable", "fruit and veg"], "vegetables"),
    **dict.fromkeys(["ready meal", "deli counter", "traiteur"], "deli"),
    **dict.fromkeys(["groceries", "pantry"], "grocery"),
    **dict.fromkeys(["wine", "red wine", "white wine", "champagne", "alcohol"], "wine"),
}
# How the bot names each counter back to the customer ("no more {label} offers").
CATEGORY_LABELS: dict[str, str] = {
    "butcher": "butcher's",
    "charcuterie": "charcuterie",
    "cheese": "cheese",
    "wine": "wine",
    "fishmonger": "fish",
    "bakery": "bakery",
    "grocery": "grocery",
    "deli": "deli",
    "vegetables": "vegetable",
}
_ORDINALS = {
    "first": 0,
    "1st": 0,
    "one": 0,
    "1": 0,
    "second": 1,
    "2nd": 1,
    "two": 1,
    "2": 1,
    "third": 2,
    "3rd": 2,
    "three": 2,
    "3": 2,
}


# Only unambiguous words: "keep one for me" must not be read as "the first one".
_POSITION_WORDS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2}


def _entity(tracker: Tracker, name: str) -> str | None:
    for e in tracker.latest_message.get("entities") or []:
        if e.get("entity") == name and str(e.get("value") or "").strip():
            return str(e["value"]).strip()
    return None


def referenced_offer(tracker: Tracker, cat: Catalogue, shown: list[str]) -> str | None:
    """The offer the customer means among those just shown: by id (buttons send it), by
    position ("the second one", "the last"), or by the words of its title; else None."""
    known = [i for i in shown if _has_offer(cat, i)]
    given = _entity(tracker, "offer_id")
    if given and _has_offer(cat, given):
        return given
    words = fold(latest_text(tracker)).split()
    if known:
        if "last" in words:
            return known[-1]
        for w in words:
            if w in _POSITION_WORDS and _POSITION_WORDS[w] < len(known):
                return known[_POSITION_WORDS[w]]
        position = _entity(tracker, "ordinal")
        if position and fold(position) in _ORDINALS and _ORDINALS[fold(position)] < len(known):
            return known[_ORDINALS[fold(position)]]
        said = set(phrase(latest_text(tracker)))
        best, best_overlap = None, 0
        for offer_id in known:
            title = set(phrase(cat.offer(offer_id).title)) - {"offer", "week", "the", "for"}
            overlap = len(said & title)
            if overlap > best_overlap:
                best, best_overlap = offer_id, overlap
        return best
    return None


def _has_offer(cat: Catalogue, offer_id: str) -> bool:
    try:
        cat.offer(offer_id)
    except KeyError:
        return False
    return True


def category_named(text: str) -> str | None:
    """The counter a customer names: "no more wine offers" → "wine"; longest words first."""
    folded = " " + " ".join(phrase(text)) + " "
    for word in sorted(CATEGORY_WORDS, key=len, reverse=True):
        if f" {' '.join(phrase(word))} " in folded:
            return CATEGORY_WORDS[word]
    return None


def main_category(cat: Catalogue, offer: Offer) -> str:
    """The counter most of an offer's products come from."""
    counts: dict[str, int] = {}
    for p in cat.products_of(offer):
        counts[p.category] = counts.get(p.category, 0) + 1
    return max(counts, key=lambda c: counts[c]) if counts else offer.category or ""


def _already_stopped(view: CustomerView, category: str) -> bool:
    return any(f.polarity != "like" and fold(f.subject) == category for f in view.facts)


def _declines_call_for_asking(cat: Catalogue, view: CustomerView, category: str, day: date) -> bool:
    since = day - DECLINES_WINDOW
    declined = [
        e
        for e in view.history
        if e.event == DECLINED
        and e.at.date() >= since
        and _has_offer(cat, e.offer_id)
        and main_category(cat, cat.offer(e.offer_id)) == category
    ]
    return len(declined) >= DECLINES_BEFORE_ASKING and not _already_stopped(view, category)


def _propose(dispatcher: CollectingDispatcher, category: str) -> list[EventType]:
    dispatcher.utter_message(
        response="utter_propose_category_stop",
        category=CATEGORY_LABELS.get(category, category),
    )
    return [SlotSet(CATEGORY_STOP_SLOT, category)]


class _AnswerAction:
    """Mixin for answers to the offers just shown (not an Action itself: rasa-sdk would register
    every Action subclass, and this one has no name)."""

    async def shown(
        self, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> tuple[Catalogue, list[str], str | None] | None:
        """The catalogue, the offers just shown, and the one the customer means (if they name
        one); None, after saying so, when no offer is there to answer."""
        cat, _ = await catalogue()
        shown = [i for i in last_offer_ids(tracker) if _has_offer(cat, i)]
        if not shown:
            dispatcher.utter_message(response="utter_no_offer_to_answer")
            return None
        return cat, shown, referenced_offer(tracker, cat, shown)


class ActionAcceptOffer(_AnswerAction, Action):
    """ "Yes, keep one for me": the offer meant (or the first shown) is accepted."""

    def name(self) -> str:
        return "action_accept_offer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        found = await self.shown(dispatcher, tracker)
        if found is None:
            return []
        cat, shown, meant = found
        offer_id = meant or shown[0]
        cid, via, conv = customer_id(tracker), channel(tracker), conversation_id(tracker)

        def accept(session: Session) -> bool | None:
            record_events(session, cid, [offer_id], "accepted", via, conv)
            return latest_consent(session, cid, PROACTIVE)

        write_first = await in_transaction(accept)
        offer = cat.offer(offer_id)
        dispatcher.utter_message(
            response="utter_offer_accepted",
            offer_id=offer.id,
            title=offer.title,
            discount=offer.discount,
        )
        if write_first is None and open_question(tracker) is None:
            # Asked once, in context: before we ever write first, and after an offer they liked.
            return ask_consent(dispatcher, PROACTIVE)
        return []


class ActionDeclineOffer(_AnswerAction, Action):
    """ "No thanks": the offer meant, or all just shown, are declined (similar ones drop)."""

    def name(self) -> str:
        return "action_decline_offer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        found = await self.shown(dispatcher, tracker)
        if found is None:
            return []
        cat, shown, meant = found
        declined = [meant] if meant else shown
        cid, via, conv = customer_id(tracker), channel(tracker), conversation_id(tracker)

        def decline(session: Session) -> CustomerView:
            record_events(session, cid, declined, "declined", via, conv)
            return customer_view(session, cid)

        view = await in_transaction(decline)
        titles = [cat.offer(i).title for i in declined]
        dispatcher.utter_message(
            response="utter_offer_declined",
            title=titles[0] if len(titles) == 1 else ", ".join(titles[:-1]) + " and " + titles[-1],
        )
        remaining = [i for i in shown if i not in declined]
        events: list[EventType] = [SlotSet("last_offer_ids", remaining)]
        for category in dict.fromkeys(main_category(cat, cat.offer(i)) for i in declined):
            if _declines_call_for_asking(cat, view, category, current_day()):
                events += _propose(dispatcher, category)
                break
        return events


class ActionExplainOffer(_AnswerAction, Action):
    """ "Why this one?": the reason of the offer meant (or the first shown), from its facts."""

    def name(self) -> str:
        return "action_explain_offer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        found = await self.shown(dispatcher, tracker)
        if found is None:
            return []
        cat, shown, meant = found
        offer_id = meant or shown[0]
        cid = customer_id(tracker)
        view = await in_transaction(lambda s: customer_view(s, cid))
        semantic = await semantic_for(cat)
        day = current_day()
        assessed = assess_offer(
            cat,
            offer_id,
            view.facts,
            today=day,
            history=view.history,
            habits=view.habits,
            semantic=semantic,
        )
        offer = cat.offer(offer_id)
        if assessed is None or not view.consent:
            # Something said since it was shown rules it out now: say so rather than defend it.
            dispatcher.utter_message(
                response="utter_offer_no_longer_fits", offer_id=offer.id, title=offer.title
            )
            return []
        dispatcher.utter_message(
            response="utter_offer_reason", **offer_vars(assessed, explain(assessed, today=day))
        )
        return []


class ActionProposeCategoryStop(Action):
    """ "No more wine offers": propose a dislike of the whole counter; nothing is stored yet."""

    def name(self) -> str:
        return "action_propose_category_stop"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        named = _entity(tracker, "category")
        category = category_named(named) if named else None
        category = category or category_named(latest_text(tracker))
        if category is None:
            cat, _ = await catalogue()
            meant = referenced_offer(tracker, cat, last_offer_ids(tracker))
            category = main_category(cat, cat.offer(meant)) if meant else None
        if category is None:
            dispatcher.utter_message(response="utter_ask_category_stop")
            return [SlotSet(CATEGORY_STOP_SLOT, None)]
        return _propose(dispatcher, category)


def _words_that_asked(tracker: Tracker) -> str | None:
    """The customer's message that led to the proposal: it is stored as their own words."""
    proposed = False
    for event in reversed(tracker.events):
        if event.get("event") == "action" and event.get("name") in (
            "action_propose_category_stop",
            "action_decline_offer",
        ):
            proposed = True
        elif proposed and event.get("event") == "user" and event.get("text"):
            return str(event["text"])
    return None


class ActionConfirmCategoryStop(Action):
    """On yes, the proposed counter becomes a dislike in the customer's words; on no, nothing."""

    def name(self) -> str:
        return "action_confirm_category_stop"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        category = tracker.get_slot(CATEGORY_STOP_SLOT)
        intent = intent_name(tracker)
        if not isinstance(category, str) or category not in CATEGORIES:
            dispatcher.utter_message(response="utter_ask_category_stop")
            return [SlotSet(CATEGORY_STOP_SLOT, None)]
        label = CATEGORY_LABELS.get(category, category)
        if intent != "affirm":
            dispatcher.utter_message(response="utter_category_stop_cancelled", category=label)
            return [SlotSet(CATEGORY_STOP_SLOT, None)]
        cid, via, conv = customer_id(tracker), channel(tracker), conversation_id(tracker)
        asked = _words_that_asked(tracker)
        stated = asked if asked and category_named(asked) == category else None
        stated = stated or f'{latest_text(tracker)} (to "no more {label} offers?")'

        def save(session: Session) -> None:
            ensure_customer(session, cid)
            record_preference(
                session,
                cid,
                subject=category,
                polarity=DISLIKE,
                stated=re.sub(r"\s+", " ", stated).strip(),
                channel=via,
                category=category,
                conversation_id=conv,
            )

        await in_transaction(save)
        dispatcher.utter_message(response="utter_category_stop_done", category=label)
        return [SlotSet(CATEGORY_STOP_SLOT, None)]
