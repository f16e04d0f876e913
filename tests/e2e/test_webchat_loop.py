"""The core loop on web chat, through the real stack: tell, be remembered, get offers that fit."""

from __future__ import annotations

import pytest

from offers.catalogue import load_catalogue
from rapport.settings import ROOT
from rapport.stack import Stack
from tests.e2e.conftest import WebChatCustomer, export_profile, texts

pytestmark = pytest.mark.e2e


def _web_ref(session_id: str) -> str:
    import hashlib

    return "web:" + hashlib.sha256(session_id.encode()).hexdigest()


async def test_a_customer_is_remembered_and_offered_what_fits(stack: Stack) -> None:
    customer = WebChatCustomer(stack.gateway_url)
    session_id = await customer.connect()

    greeting = texts(await customer.say("/greet"))
    assert greeting, "the bot greets a new customer"

    assert "Philippe" in texts(await customer.say("hi, I'm Philippe"))
    assert (
        "you love veal paupiettes" in texts(await customer.tell("I love veal paupiettes")).lower()
    )
    assert "liver pâté" in texts(await customer.tell("I can't stand liver pâté")).lower()
    assert "nuts" in texts(await customer.tell("I'm allergic to nuts")).lower()
    assert "saturday" in texts(await customer.say("I usually come on Saturday mornings")).lower()

    offers = texts(await customer.say("any offers for me?"))
    assert "paupiette" in offers.lower(), offers
    assert "I love veal paupiettes" in offers, "the offer quotes the customer's own words"
    await customer.close()

    profile = export_profile(stack, _web_ref(session_id))
    assert profile["customer"]["name"] == "Philippe"
    prefs = {(p["subject"], p["polarity"]): p for p in profile["preferences"]}
    assert prefs[("veal paupiettes", "like")]["stated"] == "I love veal paupiettes"
    assert prefs[("veal paupiettes", "like")]["channel"] == "web"
    assert ("liver pâté", "dislike") in prefs
    assert prefs[("nuts", "avoid")]["reason"] == "allergy"
    assert profile["habits"] and "saturday" in (profile["habits"][0]["when"] or "").lower()

    presented = [e["offer_id"] for e in profile["offers"] if e["event"] == "presented"]
    assert presented, "the offers shown are recorded as offer events"
    catalogue = load_catalogue(ROOT / "catalogue" / "demo.yml")
    by_id = {o.id: o for o in catalogue.offers}
    for offer_id in presented:
        for product in catalogue.products_of(by_id[offer_id]):
            assert "nuts" not in product.allergens, f"{offer_id} offers {product.name} (nuts)"
            assert "liver" not in product.name.lower(), f"{offer_id} offers {product.name}"


async def test_reloading_the_page_keeps_the_customer(stack: Stack) -> None:
    first = WebChatCustomer(stack.gateway_url)
    session_id = await first.connect()
    await first.say("/greet")
    await first.say("my name is Anne-Marie")
    await first.tell("I adore Comté")
    await first.close()

    again = WebChatCustomer(stack.gateway_url)
    assert await again.connect(session_id) == session_id, "a signed session id is resumed"
    said = [m["text"] for m in again.history or [] if m["from"] == "customer"]
    assert said[-2:] == ["my name is Anne-Marie", "I adore Comté"], again.history
    assert any("Anne-Marie" in m["text"] for m in again.history or [] if m["from"] == "bot")
    assert await again.say("/greet") == [], "no second welcome"
    hello = texts(await again.say("hello again"))
    assert hello and "Welcome back" not in hello, hello
    review = texts(await again.say("What do you know about me?"))
    assert "Comté" in review and "I adore Comté" in review, review
    await again.close()


async def test_forgetting_one_fact_removes_it_from_the_profile(stack: Stack) -> None:
    customer = WebChatCustomer(stack.gateway_url)
    session_id = await customer.connect()
    await customer.tell("I love veal paupiettes")
    await customer.tell("I quite like lamb")
    reply = texts(await customer.say("forget that I like paupiettes"))
    assert "paupiettes" in reply.lower(), reply
    await customer.close()

    subjects = {p["subject"] for p in export_profile(stack, _web_ref(session_id))["preferences"]}
    assert "veal paupiettes" not in subjects
    assert "lamb" in subjects


async def test_a_forged_session_id_gets_a_new_customer(stack: Stack) -> None:
    victim = WebChatCustomer(stack.gateway_url)
    victim_id = await victim.connect()
    await victim.say("my name is Victoria")
    await victim.close()

    forged = victim_id.split(".")[0] + ".forgedsignature"
    attacker = WebChatCustomer(stack.gateway_url)
    issued = await attacker.connect(forged)
    assert issued != forged and issued != victim_id
    assert "Victoria" not in texts(await attacker.say("/greet"))
    await attacker.close()
