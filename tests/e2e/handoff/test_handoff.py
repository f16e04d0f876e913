"""Human handoff through the real stack: a customer on web chat, an agent in a real browser."""

from __future__ import annotations

import hashlib
import json
import urllib.request
from typing import Any

import pytest
from playwright.async_api import expect

from rapport.stack import Stack
from tests.e2e.conftest import STAFF, WebChatCustomer, export_profile, texts

pytestmark = pytest.mark.e2e


def _tracker_events(stack: Stack, customer_id: str) -> list[dict[str, Any]]:
    url = f"{stack.rasa_url}/conversations/{customer_id}/tracker?include_events=ALL"
    with urllib.request.urlopen(url, timeout=10) as response:
        return list(json.load(response)["events"])


def _customer_id(stack: Stack, session_id: str) -> str:
    from profile_store.db import make_engine, make_sessionmaker
    from profile_store.repository import find_customer

    address = hashlib.sha256(session_id.encode()).hexdigest()
    engine = make_engine(stack.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            customer = find_customer(session, f"web:{address}")
            assert customer is not None
            return customer.id
    finally:
        engine.dispose()


async def test_an_agent_takes_over_replies_and_hands_back_in_a_real_browser(
    stack: Stack, browser: Any
) -> None:
    stack = stack
    customer = WebChatCustomer(stack.gateway_url)
    session_id = await customer.connect()
    await customer.say("hi, I'm Hélène")

    handing_over = texts(await customer.say("can I talk to a person?"))
    assert "member of our team" in handing_over, handing_over
    assert "handoff" not in handing_over, "the hand-over payload is never shown"
    customer_id = _customer_id(stack, session_id)

    page = await (await browser.new_context()).new_page()
    await page.goto(f"{stack.gateway_url}/console")
    username, _first, password = STAFF
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("#login-button")
    item = page.locator(f'#waiting .queue-item[data-customer-id="{customer_id}"]')
    await item.wait_for(timeout=10_000)
    assert "web" in await item.inner_text()
    await item.click()
    await page.click("#take")
    await expect(page.locator("#status")).to_have_text("agent", timeout=10_000)
    await page.locator("#live", has_text="live").wait_for(timeout=10_000)

    # While the agent has it, the bot says nothing, and the console shows the message live
    # as text (a <script> is not run, a tag is not an element).
    hostile = "<script>window.pwned = 1</script><b>bold?</b> my order is late"
    assert await customer.say(hostile) == []
    last_line = page.locator("#transcript li.customer").last
    await last_line.locator(".text", has_text="my order is late").wait_for(timeout=10_000)
    assert await last_line.locator(".text").text_content() == hostile
    assert await page.locator("#transcript b").count() == 0
    assert await page.evaluate("window.pwned") is None

    await page.fill("#reply-text", "So sorry Hélène, I'm looking into it now.")
    await page.click("#reply-send")
    reply = texts(await customer.replies(timeout_s=10))
    assert reply == "Anne (staff): So sorry Hélène, I'm looking into it now.", reply

    await page.click("#hand-back")
    back = texts(await customer.replies(timeout_s=10))
    assert "I'm back" in back, back
    await expect(page.locator("#status")).to_have_text("bot", timeout=10_000)

    answered = texts(await customer.say("What do you know about me?"))
    assert answered, "after hand-back the bot answers again"
    await customer.close()
    await page.close()

    events = _tracker_events(stack, customer_id)
    said = [e.get("text") or "" for e in events if e.get("event") == "user"]
    bot = [e.get("text") or "" for e in events if e.get("event") == "bot"]
    assert said[-3:] == ["can I talk to a person?", hostile, "What do you know about me?"]
    assert any("member of our team" in t for t in bot)
    assert "Anne (staff): So sorry Hélène, I'm looking into it now." in bot
    assert any("I'm back" in t for t in bot)
    assert any(t and t in answered for t in bot[-3:]), "the bot's last answer is in the tracker"
    kinds = [e["event"] for e in events]
    assert "pause" in kinds and "resume" in kinds


async def test_the_bot_offers_a_person_after_two_misunderstandings(stack: Stack) -> None:
    customer = WebChatCustomer(stack.gateway_url)
    await customer.connect()
    await customer.say("hello")
    # "/intent" messages skip the NLU: two misunderstandings whatever the classifier makes of
    # any particular gibberish (char n-grams often read it as a taste, with confidence).
    first = await customer.say("/nlu_fallback")
    second = await customer.say("/nlu_fallback")
    assert "rephrase" in texts(first).lower(), texts(first)
    assert "member of our team" in texts(second), texts(second)
    buttons = [q["payload"] for r in second for q in r.get("quick_replies", [])]
    assert "/ask_human" in buttons
    accepted = texts(await customer.say("yes"))
    assert "passing you to a member of our team" in accepted, accepted
    await customer.close()


def _link_email(stack: Stack, customer_id: str, address: str) -> None:
    """The customer links an email address the way the bot does it: request, code, code back."""
    from profile_store.db import make_engine, make_sessionmaker
    from profile_store.linking import check_code, issue_code, request_link

    engine = make_engine(stack.database_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            request = request_link(session, customer_id, "email", address)
            code = issue_code(session, request.id)
            assert code is not None
            assert check_code(session, customer_id, code).outcome == "linked"
    finally:
        engine.dispose()


async def test_an_agent_unlinks_an_identity_in_a_real_browser(stack: Stack, browser: Any) -> None:
    stack = stack
    customer = WebChatCustomer(stack.gateway_url)
    session_id = await customer.connect()
    assert texts(await customer.say("hello")), "the bot answers"
    await customer.close()
    customer_id = _customer_id(stack, session_id)
    email = f"jo.{session_id[:8]}@example.org"
    _link_email(stack, customer_id, email)

    page = await (await browser.new_context()).new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # "Detach ... from this customer?"
    await page.goto(f"{stack.gateway_url}/console")
    username, _first, password = STAFF
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("#login-button")
    item = page.locator(f'#active .queue-item[data-customer-id="{customer_id}"]')
    await item.wait_for(timeout=10_000)
    await item.click()

    identities = page.locator("#identities li")
    await expect(identities).to_have_count(2, timeout=10_000)
    emailed = page.locator(f'#identities li[data-channel="email"][data-address="{email}"]')
    await expect(emailed).to_contain_text("verified")
    await expect(page.locator("#identities button.unlink")).to_have_count(2)
    await expect(page.get_by_role("button", name="Link", exact=True)).to_have_count(0)
    await expect(page.locator("#links li")).to_have_count(1)

    await emailed.locator("button.unlink").click()

    await expect(identities).to_have_count(1, timeout=10_000)
    await expect(page.locator('#identities li[data-channel="web"]')).to_have_count(1)
    await expect(page.locator("#identities button.unlink")).to_have_count(0)  # the last stays
    unlinked = page.locator("#links li", has_text="unlink")
    await expect(unlinked).to_contain_text(f"staff:{username}")
    await expect(unlinked).to_contain_text(email)
    assert await page.locator("#action-error").text_content() == ""
    await page.close()

    kept = export_profile(stack, customer_id)
    assert [i["channel"] for i in kept["identities"]] == ["web"]
    assert [(e["action"], e["address"], e["by"]) for e in kept["links"]][-1] == (
        "unlink",
        email,
        f"staff:{username}",
    )
    detached = export_profile(stack, f"email:{email}")
    assert detached["customer"]["id"] != customer_id
    assert [(i["channel"], i["address"]) for i in detached["identities"]] == [("email", email)]
