"""Answering "any offers for me?" with offers that fit every constraint, each with its reason."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from bot.actions.context import catalogue, channel, conversation_id, customer_id, in_transaction
from bot.actions.context import today as current_day
from offers.ranking import Fact, RankedOffer, explain, rank_offers
from profile_store.repository import active_preferences, ensure_customer, record_offer_event


def facts_of(session: Session, cid: str) -> list[Fact]:
    ensure_customer(session, cid)
    return [
        Fact(
            subject=p.subject,
            polarity=p.polarity.value,
            reason=p.reason,
            stated=p.stated,
            channel=p.channel,
            at=p.at,
        )
        for p in active_preferences(session, cid)
    ]


class ActionOffer(Action):
    def name(self) -> str:
        return "action_offer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        cat, _ = await catalogue()
        cid, via, conv = customer_id(tracker), channel(tracker), conversation_id(tracker)
        facts = await in_transaction(lambda s: facts_of(s, cid))
        day = current_day()
        ranked: list[RankedOffer] = rank_offers(cat, facts, today=day, limit=3)
        if not ranked:
            dispatcher.utter_message(response="utter_no_offer")
            return []

        def presented(session: Session) -> None:
            for r in ranked:
                record_offer_event(
                    session,
                    cid,
                    offer_id=r.offer.id,
                    event="presented",
                    channel=via,
                    conversation_id=conv,
                )

        await in_transaction(presented)
        dispatcher.utter_message(response="utter_offers_intro")
        for r in ranked:
            dispatcher.utter_message(
                response="utter_offer",
                title=r.offer.title,
                description=r.offer.description,
                discount=r.offer.discount,
                reason=explain(r, today=day),
            )
        return []
