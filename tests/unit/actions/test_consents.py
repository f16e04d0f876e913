"""Consents by asking: "may I write to you first?" asked once after an offer taken, answered
with its provenance; "what have I agreed to?"; and each consent changed in the customer's words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.actions.consents import (
    ActionAnswerConsent,
    ActionChangeConsent,
    ActionShowConsents,
    purpose_in,
)
from bot.actions.feedback import ActionAcceptOffer
from bot.actions.health_consent import SESSION_ONLY
from bot.actions.offering import ActionOffer
from profile_store.consents import may_contact_first
from profile_store.export import export_customer
from profile_store.repository import ensure_customer
from tests.unit.actions.conftest import say
from tests.unit.actions.test_offers_dialogue import act, offers_for, said

pytestmark = pytest.mark.usefixtures("tiny_encoder")

QUESTION = "May I write to you first now and then, when something that fits you comes in?"
ASKED = {"event": "bot", "text": QUESTION, "metadata": {"utter_action": "utter_ask_write_first"}}


def consents(shop: sessionmaker[Session]) -> list[dict[str, Any]]:
    with shop.begin() as s:
        ensure_customer(s, "cust-1")
        return export_customer(s, "cust-1")["consents"]


async def test_after_the_first_offer_taken_the_customer_is_asked_once_whether_we_may_write_first(
    shop: sessionmaker[Session],
) -> None:
    _, shown = await offers_for()
    messages, slots = await act(
        ActionAcceptOffer(), "yes please", intent="affirm", slots={"last_offer_ids": shown}
    )
    assert said(messages) == ["utter_offer_accepted", "utter_ask_write_first"]
    assert slots == {"consent_question": "proactive"}
    with shop.begin() as s:
        assert not may_contact_first(s, "cust-1"), "asked is not answered"

    messages, slots = await act(
        ActionAnswerConsent(),
        "yes, go ahead",
        intent="affirm",
        slots=slots,
        events=[ASKED],
    )
    assert said(messages) == ["utter_consent_proactive_granted"]
    assert slots == {"consent_question": None}
    [word] = consents(shop)
    assert (word["purpose"], word["channel"], word["granted"]) == ("proactive", "web", True)
    assert word["asked"] == QUESTION and word["answer"] == "yes, go ahead"
    with shop.begin() as s:
        assert may_contact_first(s, "cust-1")

    messages, slots = await act(
        ActionAcceptOffer(),
        "the second one",
        intent="accept_offer",
        slots={"last_offer_ids": shown},
    )
    assert said(messages) == ["utter_offer_accepted"] and slots == {}, "asked once"


async def test_the_question_waits_while_another_consent_question_is_open(
    shop: sessionmaker[Session],
) -> None:
    _, shown = await offers_for()
    messages, slots = await act(
        ActionAcceptOffer(),
        "yes",
        intent="affirm",
        slots={"last_offer_ids": shown, "consent_question": "health_facts"},
    )
    assert said(messages) == ["utter_offer_accepted"] and slots == {}


async def test_what_have_i_agreed_to_lists_every_purpose_with_where_and_when_it_was_said(
    shop: sessionmaker[Session],
) -> None:
    messages, _ = await act(ActionShowConsents(), "what have I agreed to?", intent="ask_consents")
    [listing] = messages
    assert listing["response"] == "utter_consents"
    lines = listing["consents"].splitlines()
    assert lines == [
        "- Offers picked for you: yes, until you say STOP.",
        "- Messages from us first (when something that fits you comes in): not asked yet: "
        "I never write first without your yes.",
        "- Keeping your allergies and other health facts beyond a conversation: not asked "
        "yet: I keep them for one conversation only.",
    ]
    await act(ActionChangeConsent(), "don't message me first", intent="withdraw_consent")
    messages, _ = await act(ActionShowConsents(), "and now?", intent="ask_consents")
    second = messages[0]["consents"].splitlines()[1]
    assert second.startswith("- Messages from us first")
    assert 'no: you said so ("don\'t message me first") on the website on ' in second, second


async def test_taking_back_the_yes_to_health_facts_keeps_them_for_this_conversation_only(
    shop: sessionmaker[Session],
) -> None:
    out = await say("I'm allergic to walnuts")
    slots = {e["event"]["name"]: e["event"]["value"] for e in out if "event" in e}
    await act(ActionAnswerConsent(), "yes", intent="affirm", slots=slots)
    with shop.begin() as s:
        [walnuts] = export_customer(s, "cust-1")["preferences"]
    assert walnuts["until"] is None, "kept for good after the yes"

    messages, _ = await act(
        ActionChangeConsent(), "actually don't keep my allergies", intent="withdraw_consent"
    )
    assert said(messages) == ["utter_consent_health_facts_withdrawn"]
    later = datetime.now(UTC) + SESSION_ONLY + timedelta(minutes=1)
    with shop.begin() as s:
        exported = export_customer(s, "cust-1", now=later)
    assert exported["preferences"] == [], "forgotten once the conversation is over"
    assert [(c["purpose"], c["granted"]) for c in exported["consents"]] == [
        ("health_facts", True),
        ("health_facts", False),
    ]

    out = await say("I'm also allergic to sesame")
    assert "utter_ask_keep_health" not in [m.get("response") for m in out], "a no is not re-asked"
    messages, _ = await act(
        ActionChangeConsent(), "remember my allergies after all", intent="grant_consent"
    )
    assert said(messages) == ["utter_consent_health_facts_granted"]


async def test_no_more_offers_in_words_stops_offers_and_messages_first(
    shop: sessionmaker[Session],
) -> None:
    await act(ActionChangeConsent(), "you may message me first", intent="grant_consent")
    with shop.begin() as s:
        assert may_contact_first(s, "cust-1")
    messages, _ = await act(
        ActionChangeConsent(),
        "I don't want personalised offers any more",
        intent="withdraw_consent",
    )
    assert said(messages) == ["utter_consent_offers_withdrawn"]
    with shop.begin() as s:
        assert not may_contact_first(s, "cust-1"), "no offers means no offers written first"
    messages, slots = await act(ActionOffer(), "any offers?", intent="ask_offers")
    assert "utter_offer" not in said(messages)


async def test_an_unnamed_consent_is_asked_about_with_a_button_for_each(
    shop: sessionmaker[Session],
) -> None:
    messages, _ = await act(
        ActionChangeConsent(), "I withdraw my consent", intent="withdraw_consent"
    )
    [question] = messages
    assert question["response"] == "utter_ask_which_consent"
    payloads = [b["payload"] for b in question["buttons"]]
    assert payloads == [
        '/withdraw_consent{"consent_purpose": "offers"}',
        '/withdraw_consent{"consent_purpose": "proactive"}',
        '/withdraw_consent{"consent_purpose": "health_facts"}',
    ]
    assert consents(shop) == [], "nothing changed before they say which"
    button = [{"entity": "consent_purpose", "value": "proactive"}]
    messages, _ = await act(
        ActionChangeConsent(), payloads[1], intent="withdraw_consent", entities=button
    )
    assert said(messages) == ["utter_consent_proactive_withdrawn"]
    assert [(c["purpose"], c["granted"]) for c in consents(shop)] == [("proactive", False)]


@pytest.mark.parametrize(
    ("text", "purpose"),
    [
        ("remember my nut allergy for next time", "health_facts"),
        ("please don't store my intolerances", "health_facts"),
        ("don't message me first", "proactive"),
        ("you can email me about new arrivals", "proactive"),
        ("I'd like offers again", "offers"),
        ("I withdraw my consent", None),
    ],
)
def test_the_purpose_is_read_from_the_customers_words(text: str, purpose: str | None) -> None:
    assert purpose_in(text) == purpose
