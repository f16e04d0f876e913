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
        assert "today only" in answer and "Sorry" not in answer, answer
    finally:
        await customer.close()
    profile = export_profile(stack, f"web:{web_address(session_id)}")
    [walnuts] = [p for p in profile["preferences"] if "walnut" in p["subject"].lower()]
    until = datetime.fromisoformat(walnuts["until"].replace("Z", "+00:00"))
    assert until - datetime.now(UTC) <= timedelta(hours=3), "kept for this conversation only"
    assert [(c["purpose"], c["granted"]) for c in profile["consents"]] == [("health_facts", False)]
