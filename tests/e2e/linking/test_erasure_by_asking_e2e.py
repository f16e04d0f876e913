"""The right to erasure by asking, end to end: a customer known on the web chat and by email
asks to be forgotten, says yes, and nothing of them is left in the profile database nor in
Rasa's tracker database (the raw files are searched for their id, addresses and words)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import aiosmtplib
import pytest

from channels.webchat import web_address
from rapport.stack import Stack
from tests.e2e.conftest import WebChatCustomer, export_profile, texts
from tests.e2e.email.helpers import SHOP, smtp_port
from tests.e2e.email.servers import Smarthost
from tests.e2e.email.test_email import mail
from tests.e2e.linking.test_linking_e2e import code_mailed_to, new_email

pytestmark = pytest.mark.e2e


def raw_dump(url: str) -> str:
    """Every byte of a SQLite database as text, and its SQL dump (what a thief would read)."""
    path = Path(url.removeprefix("sqlite:///"))
    with sqlite3.connect(path) as db:
        dump = "\n".join(db.iterdump())
    data = path.read_bytes()
    for extra in (Path(f"{path}-wal"), Path(f"{path}-journal")):
        if extra.exists():
            data += extra.read_bytes()
    return dump + "\n" + data.decode("utf-8", errors="replace")


async def test_forget_everything_leaves_nothing_in_either_database(
    stack: Stack, smarthost: Smarthost
) -> None:
    address = new_email()
    words = ["Pistachio ice cream is my weakness", "My neighbour Zebulon swears by it"]
    customer = WebChatCustomer(stack.gateway_url)
    session_id = await customer.connect()
    try:
        await customer.tell(words[0])
        await customer.say(f"link my email {address}")
        await customer.say(await code_mailed_to(smarthost, address))
        _, raw = mail(address, words[1])
        async with aiosmtplib.SMTP(hostname="127.0.0.1", port=smtp_port(stack)) as smtp:
            await smtp.sendmail(address, [SHOP], raw)
        await smarthost.wait_for(address, 2)
        profile = export_profile(stack, f"email:{address}")
        cid = profile["customer"]["id"]
        assert {i["channel"] for i in profile["identities"]} == {"web", "email"}

        asked = texts(await customer.say("forget everything you know about me"))
        assert "erase" in asked.lower()
        done = texts(await customer.say("yes"))
        assert "erased everything" in done
    finally:
        await customer.close()

    secrets = [cid, address, address.split("@")[0], web_address(session_id), *words]
    for url in (stack.database_url, stack.tracker_db_url):
        dump = raw_dump(url)
        left = [s for s in secrets if s in dump]
        assert not left, f"{left} still in {url}"
