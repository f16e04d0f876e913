"""The customer's word on offers: STOP and START on the web chat, as on WhatsApp and by email,
take effect at once and are confirmed; the offers stop in conversation too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from channels.webchat import web_address
from rapport.stack import Stack
from tests.e2e.conftest import WebChatCustomer, export_profile, texts

pytestmark = pytest.mark.e2e


async def test_stop_on_the_web_chat_stops_offers_at_once_and_start_brings_them_back(
    stack: Stack,
) -> None:
    customer = WebChatCustomer(stack.gateway_url)
    session_id = await customer.connect()
    try:
        await customer.tell("I love Comté")
        stopped = texts(await customer.say("STOP"))
        assert "won't receive any more offers" in stopped
        answer = await customer.say("any offers for me?")
        assert not any("buttons" in r or "quick_replies" in r for r in answer), answer
        consents = export_profile(stack, f"web:{web_address(session_id)}")["consents"]
        assert [(c["purpose"], c["channel"], c["granted"]) for c in consents] == [
            ("offers", "web", False)
        ]
        assert "offers picked for you" in texts(await customer.say("start"))
        again = await customer.say("any offers for me?")
        assert any("buttons" in r or "quick_replies" in r for r in again), again
    finally:
        await customer.close()


async def test_an_allergy_is_kept_beyond_the_conversation_only_after_a_yes(stack: Stack) -> None:
    customer = WebChatCustomer(stack.gateway_url)
    session_id = await customer.connect()
    try:
        said = texts(await customer.tell("I'm allergic to walnuts"))
        assert "Shall I remember" in said
        answer = texts(await customer.say("no"))
        assert "one conversation only" in answer and "Sorry" not in answer, answer
    finally:
        await customer.close()
    profile = export_profile(stack, f"web:{web_address(session_id)}")
    [walnuts] = [p for p in profile["preferences"] if "walnut" in p["subject"].lower()]
    until = datetime.fromisoformat(walnuts["until"].replace("Z", "+00:00"))
    assert until - datetime.now(UTC) <= timedelta(hours=3), "kept for this conversation only"
    assert [(c["purpose"], c["granted"]) for c in profile["consents"]] == [("health_facts", False)]


async def test_being_written_first_is_asked_once_after_an_offer_taken_and_changed_by_asking(
    stack: Stack,
) -> None:
    customer = WebChatCustomer(stack.gateway_url)
    session_id = await customer.connect()
    try:
        await customer.tell("I love Comté")
        await customer.say("any offers for me?")
        taken = texts(await customer.say("yes please"))
        assert "May I write to you first" in taken, taken
        assert "write first only when" in texts(await customer.say("yes"))

        listing = texts(await customer.say("what have I agreed to?"))
        assert "Messages from us first" in listing and 'yes: you said so ("yes")' in listing
        assert "Keeping your allergies" in listing, listing

        changed = texts(await customer.say("don't message me first"))
        assert "won't write to you first" in changed, changed
        await customer.say("any other offers for me?")
        again = texts(await customer.say("yes please"))
        assert "aside for you" in again or "kept for you" in again, again
        assert "May I write to you first" not in again, "asked once"
    finally:
        await customer.close()
    consents = export_profile(stack, f"web:{web_address(session_id)}")["consents"]
    assert [(c["purpose"], c["granted"]) for c in consents] == [
        ("proactive", True),
        ("proactive", False),
    ]
    assert consents[0]["asked"].startswith("May I write to you first")
    assert consents[0]["answer"] == "yes" and consents[1]["answer"] == "don't message me first"
