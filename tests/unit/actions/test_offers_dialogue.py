"""The offer dialogue against a real SQLite store: yes, no, why, something else, no more wine."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session, sessionmaker

from bot.actions.feedback import (
    ActionAcceptOffer,
    ActionConfirmCategoryStop,
    ActionDeclineOffer,
    ActionExplainOffer,
    ActionProposeCategoryStop,
    category_named,
)
from bot.actions.offering import ActionOffer, ActionOtherOffers
from offers.catalogue import load_catalogue
from offers.ranking import violates
from profile_store.consents import record_consent
from profile_store.export import export_customer
from profile_store.repository import (
    ensure_customer,
    offer_events,
    record_preference,
)
from rapport.settings import ROOT
from tests.unit.actions.conftest import say, tell

DEMO = load_catalogue(ROOT / "catalogue" / "demo.yml")


pytestmark = pytest.mark.usefixtures("tiny_encoder")


async def act(
    action: Any,
    text: str,
    *,
    intent: str,
    slots: dict[str, Any] | None = None,
    entities: list[dict[str, Any]] | None = None,
    events: list[dict[str, Any]] | None = None,
    sender: str = "cust-1",
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Run an action with slots; returns its messages and the slots it set."""
    tracker = Tracker(
        sender_id=sender,
        slots=slots or {},
        latest_message={
            "text": text,
            "intent": {"name": intent, "confidence": 0.99},
            "entities": entities or [],
            "metadata": {"channel": "web"},
        },
        events=[{"event": "session_started", "timestamp": 1_700_000_000.0}, *(events or [])],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )
    dispatcher = CollectingDispatcher()
    out = await action.run(dispatcher, tracker, {})
    return dispatcher.messages, {e["name"]: e["value"] for e in out if e.get("event") == "slot"}


def said(messages: list[dict[str, Any]]) -> list[str]:
    return [m["response"] for m in messages]


def events_of(shop: sessionmaker[Session], cid: str = "cust-1") -> list[tuple[str, str]]:
    with shop.begin() as s:
        return [(e.offer_id, e.event.value) for e in offer_events(s, cid)]


async def offers_for(slots: dict[str, Any] | None = None) -> tuple[list[dict], list[str]]:
    messages, set_slots = await act(ActionOffer(), "any offers?", intent="ask_offers", slots=slots)
    return [m for m in messages if m["response"] == "utter_offer"], set_slots["last_offer_ids"]


async def test_offers_are_remembered_in_a_slot_and_recorded(shop: sessionmaker[Session]) -> None:
    await say("I love Comté")
    offers, shown = await offers_for()
    assert [m["offer_id"] for m in offers] == shown and shown
    assert "Comté" in offers[0]["title"] and '"I love Comté"' in offers[0]["reason"]
    assert events_of(shop) == [(i, "presented") for i in shown]


async def test_yes_keep_one_for_me_accepts_the_offer_meant(shop: sessionmaker[Session]) -> None:
    _, shown = await offers_for()
    messages, _ = await act(
        ActionAcceptOffer(),
        "yes, keep one for me",
        intent="accept_offer",
        slots={"last_offer_ids": shown},
    )
    assert said(messages) == ["utter_offer_accepted", "utter_ask_write_first"]
    assert messages[0]["offer_id"] == shown[0]
    await act(
        ActionAcceptOffer(),
        "the second one please",
        intent="accept_offer",
        slots={"last_offer_ids": shown},
    )
    button = [{"entity": "offer_id", "value": shown[2]}]
    await act(
        ActionAcceptOffer(),
        "/accept_offer",
        intent="accept_offer",
        slots={"last_offer_ids": shown},
        entities=button,
    )
    accepted = [i for i, kind in events_of(shop) if kind == "accepted"]
    assert accepted == [shown[0], shown[1], shown[2]]


async def test_answers_without_offers_shown_say_so(shop: sessionmaker[Session]) -> None:
    for action in (ActionAcceptOffer(), ActionDeclineOffer(), ActionExplainOffer()):
        messages, _ = await act(action, "yes", intent="accept_offer")
        assert said(messages) == ["utter_no_offer_to_answer"]
    assert events_of(shop) == []


async def test_a_decline_changes_the_next_offers(shop: sessionmaker[Session]) -> None:
    await say("I love cheese")
    await say("I'm allergic to nuts")
    offers, shown = await offers_for()
    messages, slots = await act(
        ActionDeclineOffer(), "no thanks", intent="decline_offer", slots={"last_offer_ids": shown}
    )
    assert said(messages)[0] == "utter_offer_declined" and slots["last_offer_ids"] == []
    assert [i for i, kind in events_of(shop) if kind == "declined"] == shown
    _, again = await offers_for()
    assert again and not set(again) & set(shown)
    with shop.begin() as s:
        from bot.actions.offering import facts_of

        facts = facts_of(s, "cust-1")
    for offer_id in again:
        assert all(violates(p, facts) is None for p in DEMO.products_of(DEMO.offer(offer_id)))


async def test_why_this_one_quotes_the_customer(shop: sessionmaker[Session]) -> None:
    await say("I love veal paupiettes")
    _, shown = await offers_for()
    messages, _ = await act(
        ActionExplainOffer(),
        "why this one?",
        intent="ask_offer_reason",
        slots={"last_offer_ids": shown},
    )
    assert said(messages) == ["utter_offer_reason"]
    assert messages[0]["title"] == "Paupiettes week"
    assert 'that "I love veal paupiettes"' in messages[0]["reason"]
    await tell("I'm allergic to eggs")
    messages, _ = await act(
        ActionExplainOffer(),
        "why the paupiettes?",
        intent="ask_offer_reason",
        slots={"last_offer_ids": shown},
    )
    assert said(messages) == ["utter_offer_no_longer_fits"]


async def test_something_else_never_repeats_and_is_recorded(shop: sessionmaker[Session]) -> None:
    _, shown = await offers_for()
    messages, slots = await act(
        ActionOtherOffers(),
        "something else?",
        intent="ask_other_offers",
        slots={"last_offer_ids": shown},
    )
    assert said(messages)[0] == "utter_other_offers_intro"
    others = slots["last_offer_ids"]
    assert others and not set(others) & set(shown)
    assert [i for i, _ in events_of(shop)] == shown + others


async def test_withdrawn_consent_means_no_offers(shop: sessionmaker[Session]) -> None:
    with shop.begin() as s:
        ensure_customer(s, "cust-1")
        record_consent(s, "cust-1", purpose="offers", channel="whatsapp", granted=False)
    messages, slots = await act(ActionOffer(), "any offers?", intent="ask_offers")
    assert said(messages) == ["utter_offers_paused"] and slots["last_offer_ids"] == []
    assert events_of(shop) == []
    with shop.begin() as s:
        record_consent(s, "cust-1", purpose="offers", channel="whatsapp", granted=True)
    assert (await offers_for())[1]


def test_category_words() -> None:
    assert category_named("no more wine offers") == "wine"
    assert category_named("stop sending me fish deals") == "fishmonger"
    assert category_named("no more Champagne please") == "wine"
    assert category_named("no thanks") is None


async def test_no_more_wine_offers_is_confirmed_then_kept(shop: sessionmaker[Session]) -> None:
    events = [
        {"event": "user", "text": "no more wine offers"},
        {"event": "action", "name": "action_propose_category_stop"},
    ]
    messages, slots = await act(
        ActionProposeCategoryStop(), "no more wine offers", intent="stop_category_offers"
    )
    assert said(messages) == ["utter_propose_category_stop"] and messages[0]["category"] == "wine"
    assert slots == {"category_stop": "wine"}
    with shop.begin() as s:
        ensure_customer(s, "cust-1")
        assert export_customer(s, "cust-1")["preferences"] == []  # nothing before the yes
    messages, slots = await act(
        ActionConfirmCategoryStop(),
        "yes",
        intent="affirm",
        slots={"category_stop": "wine"},
        events=events,
    )
    assert said(messages) == ["utter_category_stop_done"] and slots == {"category_stop": None}
    with shop.begin() as s:
        (pref,) = export_customer(s, "cust-1")["preferences"]
    assert (pref["subject"], pref["polarity"], pref["category"]) == ("wine", "dislike", "wine")
    assert pref["stated"] == "no more wine offers"
    await say("I love champagne")
    for _ in range(3):  # every turn, whatever the frequency cap leaves
        offers, shown = await offers_for()
        for offer_id in shown:
            assert all(p.category != "wine" for p in DEMO.products_of(DEMO.offer(offer_id)))


async def test_no_to_the_proposal_stores_nothing(shop: sessionmaker[Session]) -> None:
    messages, slots = await act(
        ActionConfirmCategoryStop(), "no", intent="deny", slots={"category_stop": "cheese"}
    )
    assert said(messages) == ["utter_category_stop_cancelled"] and slots == {"category_stop": None}
    with shop.begin() as s:
        ensure_customer(s, "cust-1")
        assert export_customer(s, "cust-1")["preferences"] == []


async def test_repeated_declines_of_one_counter_lead_to_the_proposal(
    shop: sessionmaker[Session],
) -> None:
    await tell("I love cheese")
    proposals = []
    for _ in range(2):
        _, shown = await offers_for()
        first = [s for s in shown if s in ("OFF-005", "OFF-006", "OFF-007", "OFF-008")][:1]
        messages, slots = await act(
            ActionDeclineOffer(),
            "no thanks",
            intent="decline_offer",
            slots={"last_offer_ids": first},
        )
        proposals.append(slots.get("category_stop"))
    assert proposals == [None, "cheese"]


async def test_a_thin_profile_gets_one_open_question_after_its_offers(
    shop: sessionmaker[Session],
) -> None:
    await say("I love Comté")
    messages, slots = await act(ActionOffer(), "any offers?", intent="ask_offers")
    responses = said(messages)
    assert responses[-1].startswith("utter_ask_profile_")
    # Right after offers a bare yes or no answers them: never the yes/no question on constraints.
    assert responses[-1] != "utter_ask_profile_constraints"
    assert responses.index("utter_offer") < len(responses) - 1
    assert slots["profiling_asked"] is True
    # At most one per conversation: the next offers come without a question.
    messages, slots = await act(
        ActionOtherOffers(), "something else", intent="ask_other_offers", slots=slots
    )
    assert not any(r.startswith("utter_ask_profile_") for r in said(messages))


async def test_no_question_after_offers_once_the_profile_is_rich(
    shop: sessionmaker[Session],
) -> None:
    said_before = [
        ("Comté", "like", None),
        ("Champagne", "like", None),
        ("nuts", "avoid", "allergy"),
    ]
    with shop.begin() as s:
        ensure_customer(s, "cust-1")
        for subject, polarity, reason in said_before:
            record_preference(
                s, "cust-1", subject=subject, polarity=polarity, reason=reason,
                stated="I love Comté, I adore Champagne and I'm allergic to nuts", channel="web",
            )  # fmt: skip
    messages, _ = await act(ActionOffer(), "any offers?", intent="ask_offers")
    assert not any(r.startswith("utter_ask_profile_") for r in said(messages))


async def test_offers_close_an_open_fact_question_and_keep_a_waiting_avoid_out(
    shop: sessionmaker[Session],
) -> None:
    from datetime import UTC, datetime

    from bot.actions.pending import ask
    from offers.ranking import Fact
    from tastes import StatedFact

    await tell("I love cheese")
    await tell("I love natural wine")
    unsure = StatedFact(
        subject="cheese",
        polarity="avoid",
        reason="intolerance",
        strength=-2,
        stated="cheese upsets my stomach",
        category=None,
        confident=False,
    )
    waiting = {e["name"]: e["value"] for e in ask([unsure])}
    assert waiting["confirming_fact"] is True
    offers, slots = await act(ActionOffer(), "any offers?", intent="ask_offers", slots=waiting)
    assert slots["confirming_fact"] is None, "the offers are now the open question"
    shown = slots["last_offer_ids"]
    assert shown, "something without cheese is still offered"
    avoid = Fact("cheese", "avoid", "intolerance", unsure.stated, "web", datetime.now(UTC))
    for offer_id in shown:
        assert all(violates(p, [avoid]) is None for p in DEMO.products_of(DEMO.offer(offer_id)))
    with shop.begin() as s:
        from bot.actions.offering import facts_of

        assert all(f.polarity == "like" for f in facts_of(s, "cust-1")), "nothing stored"


async def test_what_the_customer_asks_for_is_offered_and_not_remembered(
    shop: sessionmaker[Session],
) -> None:
    events = [
        {"event": "user", "text": "any fish? what did you have last week"},
        {"event": "action", "name": "action_offer"},  # what came before was answered
        {"event": "user", "text": "looking for some goat's cheese for a warm salad tonight"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "any offers?"},
    ]
    messages, slots = await act(ActionOffer(), "any offers?", intent="ask_offers", events=events)
    offers = [m for m in messages if m["response"] == "utter_offer"]
    assert offers and offers[0]["offer_id"] == "OFF-008"  # Goat cheese week
    assert offers[0]["reason"].startswith("because you asked for goat")
    assert not any("fish" in m["reason"] for m in offers)
    with shop.begin() as s:
        assert export_customer(s, "cust-1")["preferences"] == []  # asked for, not a taste


async def test_a_like_nothing_answers_gets_no_padding(shop: sessionmaker[Session]) -> None:
    await tell("I love durian")
    messages, slots = await act(ActionOffer(), "any offers?", intent="ask_offers")
    assert said(messages)[0] == "utter_no_offer" and slots["last_offer_ids"] == []
