"""Linking channels in conversation: what the customer types, what the bot answers, what is
linked (real SQLite store; the gateway's part, sending the code, is played by issue_code)."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session, sessionmaker

from bot.actions.linking import (
    LINK_CODE_KEY,
    ActionCheckLinkCode,
    ActionLinkIdentity,
    ActionUnlinkIdentity,
    addresses_in,
    channel_named,
    code_in,
    response_text,
)
from bot.actions.review import ActionReviewProfile
from profile_store.export import export_customer
from profile_store.linking import issue_code
from profile_store.repository import record_preference, resolve_customer

DOMAIN = {
    "responses": {
        "utter_link_code_sent": [{"text": "I've sent a code to {where} ({minutes} minutes)."}],
        "utter_link_code_failed": [{"text": "Could not send to {where}."}],
        "utter_link_code_message": [{"text": "Your code for {shop} is {code}."}],
    }
}


def test_addresses_and_codes_are_read_from_what_is_typed() -> None:
    assert addresses_in("link my email Jane.Doe@Example.com please.") == [
        ("email", "Jane.Doe@Example.com")
    ]
    assert addresses_in("connect my WhatsApp +33 6 12 34 56 78!") == [
        ("whatsapp", "+33 6 12 34 56 78")
    ]
    assert addresses_in("we are 6 on Saturday, call me at 10") == []
    assert code_in("the code is 420 981") == "420981"
    assert code_in("004211") == "004211"
    assert code_in("12345") is None and code_in("1234567") is None
    assert channel_named("I usually chat on the website") == "web"
    assert channel_named("I also write to you on WhatsApp") == "whatsapp"
    assert channel_named("I've talked to you before") is None


def test_responses_are_read_from_the_domain() -> None:
    text = response_text(DOMAIN, "utter_link_code_sent", where="your email x@y.org", minutes=10)
    assert text == "I've sent a code to your email x@y.org (10 minutes)."


def tracker(cid: str, text: str, *, channel: str = "web", address: str = "sess-1") -> Tracker:
    return Tracker(
        sender_id=cid,
        slots={},
        latest_message={
            "text": text,
            "intent": {"name": "link_identity", "confidence": 0.99},
            "entities": [],
            "metadata": {"channel": channel, "address": address},
        },
        events=[{"event": "session_started", "timestamp": 1_700_000_000.0}],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


async def run(action: Any, cid: str, text: str, **kw: Any) -> list[dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    await action.run(dispatcher, tracker(cid, text, **kw), DOMAIN)
    return dispatcher.messages


@pytest.fixture
def web_customer(shop: sessionmaker[Session]) -> str:
    with shop.begin() as s:
        cid = resolve_customer(s, "web", "sess-1").id
        record_preference(
            s, cid, subject="walnuts", polarity="avoid", reason="allergy",
            stated="I'm allergic to walnuts", channel="web",
        )  # fmt: skip
        return cid


def gateway_sends_code(shop: sessionmaker[Session], messages: list[dict[str, Any]]) -> str:
    [payload] = [m["custom"][LINK_CODE_KEY] for m in messages if m.get("custom")]
    with shop.begin() as s:
        code = issue_code(s, payload["request"])
    assert code is not None
    assert "{code}" not in payload["message"].replace("{code}", code)
    return code


async def test_link_my_whatsapp_sends_a_code_and_the_code_links_it(
    shop: sessionmaker[Session], web_customer: str
) -> None:
    messages = await run(ActionLinkIdentity(), web_customer, "link my WhatsApp +44 7700 900123")
    payload = messages[0]["custom"][LINK_CODE_KEY]
    assert payload["sent"] == "I've sent a code to your WhatsApp +447700900123 (10 minutes)."
    assert "code" not in {k for m in messages for k in m if m.get("text")}, "no code in the chat"
    code = gateway_sends_code(shop, messages)

    said = await run(ActionCheckLinkCode(), web_customer, f"here: {code}")
    assert [m["response"] for m in said] == ["utter_link_done"]
    with shop.begin() as s:
        profile = export_customer(s, web_customer)
    assert {(i["channel"], i["address"]) for i in profile["identities"]} == {
        ("web", "sess-1"),
        ("whatsapp", "447700900123"),
    }
    # The same code twice links nothing more.
    again = await run(ActionCheckLinkCode(), web_customer, code)
    assert [m["response"] for m in again] == ["utter_link_no_request"]

    review = await run(ActionReviewProfile(), web_customer, "what do you know about me?")
    linked = [m for m in review if m["response"] == "utter_profile_identities"]
    assert linked and "your WhatsApp +447700900123" in linked[0]["identities"]


async def test_without_an_address_the_bot_asks_for_one(
    shop: sessionmaker[Session], web_customer: str
) -> None:
    said = await run(ActionLinkIdentity(), web_customer, "I've talked to you before")
    assert [m["response"] for m in said] == ["utter_link_ask_address"]
    on_whatsapp = await run(
        ActionLinkIdentity(), web_customer, "it's me, I usually chat on the website",
        channel="whatsapp", address="447700900555",
    )  # fmt: skip
    assert [m["response"] for m in on_whatsapp] == ["utter_link_web_target"]


async def test_a_wrong_code_then_refusals(shop: sessionmaker[Session], web_customer: str) -> None:
    messages = await run(ActionLinkIdentity(), web_customer, "link my email jo@example.org")
    code = gateway_sends_code(shop, messages)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    said = await run(ActionCheckLinkCode(), web_customer, wrong)
    assert said[0]["response"] == "utter_link_wrong_code" and said[0]["tries"] == 4
    said = await run(ActionCheckLinkCode(), web_customer, "the code is 12")
    assert said[0]["response"] == "utter_link_no_request"
    with shop.begin() as s:
        assert len(export_customer(s, web_customer)["identities"]) == 1


async def test_rate_limited_and_invalid_addresses_are_refused_clearly(
    shop: sessionmaker[Session], web_customer: str
) -> None:
    responses = []
    for _ in range(4):
        said = await run(ActionLinkIdentity(), web_customer, "link my email flood@example.org")
        responses.append(said[0].get("response") or "code")
    assert responses == ["code", "code", "code", "utter_link_refused_rate"]
    said = await run(ActionLinkIdentity(), web_customer, "link my whatsapp +1 234")
    assert said[0]["response"] == "utter_link_ask_address"


async def test_unlink_keeps_the_facts_and_never_the_last_identity(
    shop: sessionmaker[Session], web_customer: str
) -> None:
    said = await run(ActionUnlinkIdentity(), web_customer, "unlink my email")
    assert said[0]["response"] == "utter_unlink_last"
    code = gateway_sends_code(
        shop, await run(ActionLinkIdentity(), web_customer, "link my email jo@example.org")
    )
    await run(ActionCheckLinkCode(), web_customer, code)
    said = await run(ActionUnlinkIdentity(), web_customer, "please unlink my email")
    assert said[0]["response"] == "utter_unlink_done"
    assert said[0]["where"] == "Your email jo@example.org"
    with shop.begin() as s:
        profile = export_customer(s, web_customer)
    assert [i["channel"] for i in profile["identities"]] == ["web"]
    assert [p["subject"] for p in profile["preferences"]] == ["walnuts"]
    assert [x["action"] for x in profile["links"]] == ["link", "unlink"]


async def test_nothing_is_linked_by_a_mail_whose_sender_nobody_proved(
    shop: sessionmaker[Session],
) -> None:
    with shop.begin() as s:
        cid = resolve_customer(s, "email", "victim@example.org").id
    for action, text in (
        (ActionLinkIdentity(), "link my email attacker@example.net"),
        (ActionCheckLinkCode(), "the code is 123456"),
        (ActionUnlinkIdentity(), "unlink my email"),
    ):
        said = await run(action, cid, text, channel="email", address="victim@example.org")
        assert [m.get("response") for m in said] == ["utter_link_not_by_mail"]


async def test_a_mail_the_relay_proved_may_ask_for_a_link(shop: sessionmaker[Session]) -> None:
    with shop.begin() as s:
        cid = resolve_customer(s, "email", "jo@example.org").id
    t = tracker(cid, "link my whatsapp +44 7700 900777", channel="email", address="jo@example.org")
    t.latest_message["metadata"]["authenticated"] = True
    dispatcher = CollectingDispatcher()
    await ActionLinkIdentity().run(dispatcher, t, DOMAIN)
    assert LINK_CODE_KEY in dispatcher.messages[0]["custom"]
