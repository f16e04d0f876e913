"""The customer's word on offers: STOP and START on the web chat, as on WhatsApp and by email,
take effect at once and are confirmed; the offers stop in conversation too."""

from __future__ import annotations

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
