"""One customer on every channel: linking web chat, WhatsApp and email with a one-time code,
on the real stack (Rasa, actions, gateway); Meta and the mail provider are local stand-ins."""

from __future__ import annotations

import itertools
import re
import time
import uuid
from typing import Any

import aiohttp
import aiosmtplib
import pytest

from channels.webchat import web_address
from rapport.stack import Stack
from tests.e2e.conftest import WebChatCustomer, export_profile, texts
from tests.e2e.email.helpers import SHOP, smtp_port
from tests.e2e.email.servers import Smarthost, plain_body
from tests.e2e.email.test_email import mail
from tests.e2e.whatsapp import meta
from tests.e2e.whatsapp.meta import Meta, bodies
from tests.e2e.whatsapp.standin import GraphStandIn, problems

pytestmark = pytest.mark.e2e

_numbers = itertools.count(1)


def new_number() -> str:
    return f"4477009{int(time.time()) % 10000:04d}{next(_numbers):02d}"


def new_email() -> str:
    return f"jo.{uuid.uuid4().hex[:8]}@example.org"


async def web(stack: Stack) -> WebChatCustomer:
    customer = WebChatCustomer(stack.gateway_url)
    await customer.connect()
    return customer


def code_sent_to_whatsapp(graph: GraphStandIn, wa_id: str) -> str:
    """The code in the authentication template (or text) the shop sent to that number."""
    sent = graph.to(wa_id)
    assert sent, "a code went to WhatsApp"
    last = sent[-1]
    assert problems(last) == []
    if last["type"] == "template":
        [body] = [c for c in last["template"]["components"] if c["type"] == "body"]
        return str(body["parameters"][0]["text"])
    found = re.search(r"\b(\d{6})\b", last["text"]["body"])
    assert found
    return found.group(1)


async def code_mailed_to(smarthost: Smarthost, address: str, count: int = 1) -> str:
    [*_, sent] = await smarthost.wait_for(address, count)
    found = re.search(r"\b(\d{6})\b", plain_body(sent))
    assert found, "the mail carries a 6-digit code"
    return found.group(1)


def profile_of(stack: Stack, ref: str) -> dict[str, Any]:
    return export_profile(stack, ref)


async def test_a_taste_told_on_the_web_is_known_on_whatsapp_once_linked(
    stack: Stack, whatsapp: Meta, graph_api: GraphStandIn
) -> None:
    wa = new_number()
    browser = await web(stack)
    try:
        await browser.tell("I'm allergic to walnuts")
        await browser.tell("I love cheese")  # more cheese offers than one answer shows
        await browser.say("any offers for me?")
        asked = texts(await browser.say(f"link my WhatsApp +{wa}"))
        assert "code" in asked and wa in asked
        code = code_sent_to_whatsapp(graph_api, wa)
        assert code not in asked, "the code never shows in the chat that asked for it"
        # The number never wrote to the shop: outside the 24 hours, only a template may go.
        assert graph_api.to(wa)[-1]["type"] == "template"
        done = texts(await browser.say(code))
        assert "linked" in done.lower()
    finally:
        await browser.close()

    heard = bodies(await whatsapp.say(meta.text(wa, "what do you know about me?"), wa))
    assert "walnuts" in heard.lower(), heard
    profile = profile_of(stack, f"whatsapp:{wa}")
    channels = {i["channel"] for i in profile["identities"]}
    assert channels == {"web", "whatsapp"}
    [walnuts] = [p for p in profile["preferences"] if "walnut" in p["subject"].lower()]
    assert walnuts["channel"] == "web" and walnuts["polarity"] == "avoid"
    assert [(x["action"], x["channel"]) for x in profile["links"]] == [("link", "whatsapp")]

    # One relationship: offers shown on the web are not shown again on WhatsApp within the
    # cap, and both channels' messages are in one Rasa conversation.
    await whatsapp.say(meta.text(wa, "any offers for me?"), wa)
    events = profile_of(stack, f"whatsapp:{wa}")["offers"]
    on_web = {e["offer_id"] for e in events if e["channel"] == "web"}
    on_wa = {e["offer_id"] for e in events if e["channel"] == "whatsapp"}
    assert on_web and on_wa and not on_web & on_wa
    cid = profile["customer"]["id"]
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{stack.rasa_url}/conversations/{cid}/tracker") as response,
    ):
        tracker = await response.json()
    said = [
        ((e.get("metadata") or {}).get("channel"), e.get("text"))
        for e in tracker["events"]
        if e["event"] == "user"
    ]
    assert ("web", "I'm allergic to walnuts") in said
    assert ("whatsapp", "what do you know about me?") in said


async def test_a_whatsapp_customer_links_their_email_and_is_known_there(
    stack: Stack, whatsapp: Meta, smarthost: Smarthost
) -> None:
    wa, address = new_number(), new_email()
    await whatsapp.say(meta.text(wa, "I love Comté"), wa)
    asked = bodies(await whatsapp.say(meta.text(wa, f"link my email {address}"), wa))
    assert address in asked
    code = await code_mailed_to(smarthost, address)
    done = bodies(await whatsapp.say(meta.text(wa, f"the code is {code}"), wa))
    assert "linked" in done.lower()

    _, raw = mail(address, "what do you know about me?")
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=smtp_port(stack)) as smtp:
        await smtp.sendmail(address, [SHOP], raw)
    [*_, answer] = await smarthost.wait_for(address, 2)
    assert "comt" in plain_body(answer).lower()
    profile = profile_of(stack, f"email:{address}")
    assert {i["channel"] for i in profile["identities"]} == {"whatsapp", "email"}


async def test_a_second_browser_joins_with_a_code_and_sees_the_same_profile(
    stack: Stack, smarthost: Smarthost
) -> None:
    address = new_email()
    first = await web(stack)
    try:
        await first.tell("I love smoked salmon")
        await first.say("any offers for me?")
        await first.say(f"link my email {address}")
        await first.say(await code_mailed_to(smarthost, address))
    finally:
        await first.close()
    first_profile = profile_of(stack, f"email:{address}")
    shown = {e["offer_id"] for e in first_profile["offers"] if e["event"] == "presented"}

    second = await web(stack)
    try:
        asked = texts(await second.say("I've talked to you before"))
        assert "email" in asked.lower()
        await second.say(f"link my email {address}")
        done = texts(await second.say(await code_mailed_to(smarthost, address, 2)))
        assert "linked" in done.lower()
        review = texts(await second.say("what do you know about me?"))
        assert "smoked salmon" in review.lower()
    finally:
        await second.close()
    profile = profile_of(stack, f"email:{address}")
    assert [i["channel"] for i in profile["identities"]].count("web") == 2
    assert shown <= {e["offer_id"] for e in profile["offers"]}, "the offer history came along"


async def test_a_wrong_code_links_nothing(stack: Stack, smarthost: Smarthost) -> None:
    address = new_email()
    browser = await web(stack)
    try:
        await browser.say(f"link my email {address}")
        code = await code_mailed_to(smarthost, address)
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        answer = texts(await browser.say(wrong))
        assert "doesn't match" in answer and "4" in answer
    finally:
        await browser.close()
    assert browser.session_id is not None
    profile = profile_of(stack, f"web:{web_address(browser.session_id)}")
    assert [i["channel"] for i in profile["identities"]] == ["web"], "nothing was linked"
