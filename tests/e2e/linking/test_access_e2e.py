"""The right of access by asking, on each channel: the customer asks, receives a link on that
channel, and the file behind it is the export the CLI gives."""

from __future__ import annotations

import json
import re
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
from tests.e2e.linking.test_linking_e2e import new_email, new_number
from tests.e2e.whatsapp import meta
from tests.e2e.whatsapp.meta import Meta, bodies

pytestmark = pytest.mark.e2e
ASK = "send me everything you know about me"


async def fetch_export(said: str) -> tuple[dict[str, Any], str]:
    """The JSON behind the link in what the bot said, and the readable page."""
    found = re.search(r"(https?://\S+/export/[\w.\-]+)", said)
    assert found, f"a link in: {said}"
    async with aiohttp.ClientSession() as http:
        async with http.get(found.group(1)) as response:
            assert response.status == 200
            data = await response.json(content_type=None)
        async with http.get(found.group(1) + "/page") as response:
            page = await response.text()
    return data, page


async def test_on_the_web_chat(stack: Stack) -> None:
    customer = WebChatCustomer(stack.gateway_url)
    session_id = await customer.connect()
    try:
        await customer.tell("I'm allergic to walnuts")
        said = texts(await customer.say(ASK))
    finally:
        await customer.close()
    data, page = await fetch_export(said)
    assert data == export_profile(stack, f"web:{web_address(session_id)}")
    assert "allergic to walnuts" in page


async def test_on_whatsapp(stack: Stack, whatsapp: Meta) -> None:
    wa = new_number()
    await whatsapp.say(meta.text(wa, "I love Comté"), wa)
    data, _ = await fetch_export(bodies(await whatsapp.say(meta.text(wa, ASK), wa)))
    assert data == export_profile(stack, f"whatsapp:{wa}")
    assert any("Comt" in p["subject"] for p in data["preferences"])


async def test_by_email(stack: Stack, smarthost: Smarthost) -> None:
    address = new_email()
    _, raw = mail(address, f"Hello, I love smoked salmon. Please {ASK}.")
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=smtp_port(stack)) as smtp:
        await smtp.sendmail(address, [SHOP], raw)
    [answer] = await smarthost.wait_for(address, 1)
    [attached] = [p for p in answer.iter_attachments() if p.get_filename() == "my-data.json"]
    data = json.loads(attached.get_content())
    assert data == export_profile(stack, f"email:{address}")
    assert "/export/" in plain_body(answer), "and the readable page"
