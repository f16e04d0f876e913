"""Email through the real stack: SMTP in, IMAP in, answers out through a local smarthost."""

from __future__ import annotations

import asyncio
import time
import uuid
from email.utils import formatdate

import aiohttp
import aiosmtplib
import pytest

from rapport.stack import Stack
from tests.e2e.conftest import export_profile
from tests.e2e.email.helpers import SHOP, restart_gateway, smtp_port
from tests.e2e.email.servers import Dovecot, Smarthost, plain_body

pytestmark = pytest.mark.e2e


def customer() -> str:
    return f"Customer.{uuid.uuid4().hex[:8]}@Example.COM"


def normalised(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local}@{domain.lower()}"


def mail(
    sender: str,
    body: str,
    *,
    subject: str = "Hello",
    extra: str = "",
    message_id: str | None = None,
) -> tuple[str, bytes]:
    message_id = message_id or f"<{uuid.uuid4().hex}@example.com>"
    raw = (
        f"From: A customer <{sender}>\r\nTo: The Gourmet Butcher <{SHOP}>\r\n"
        f"Subject: {subject}\r\nDate: {formatdate()}\r\nMessage-ID: {message_id}\r\n"
        f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Transfer-Encoding: 8bit\r\n{extra}\r\n{body}\r\n"
    )
    return message_id, raw.encode()


async def send(stack: Stack, sender: str, raw: bytes, envelope_from: str | None = None) -> None:
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=smtp_port(stack), timeout=90) as smtp:
        await smtp.sendmail(sender if envelope_from is None else envelope_from, [SHOP], raw)


async def test_a_conversation_by_email_is_answered_in_thread_and_stores_facts(
    stack: Stack, smarthost: Smarthost
) -> None:
    who = customer()
    address = normalised(who)
    first_id, first = mail(who, "Hi, I'm Philippe", subject="Hello shop")
    await send(stack, who, first)
    [answer] = await smarthost.wait_for(address, 1)
    assert answer["In-Reply-To"] == first_id
    assert first_id in str(answer["References"])
    assert answer["Subject"] == "Re: Hello shop"
    assert "Philippe" in plain_body(answer)

    quoted = "\n".join("> " + line for line in plain_body(answer).splitlines())
    second_id, second = mail(
        who,
        f"I love veal paupiettes\n\nOn Mon, 3 Mar 2025 at 10:12, Shop <{SHOP}> wrote:\n{quoted}",
        subject="Re: Hello shop",
        extra=f"In-Reply-To: {answer['Message-ID']}\r\nReferences: {first_id} "
        f"{answer['Message-ID']}\r\n",
    )
    await send(stack, who, second)
    answers = await smarthost.wait_for(address, 2)
    assert len(answers) == 2, "one answer per email"
    assert answers[1]["In-Reply-To"] == second_id
    assert "veal paupiettes" in plain_body(answers[1]).lower()

    profile = export_profile(stack, f"email:{address}")
    assert profile["customer"]["name"] == "Philippe"
    # Staff type the address as the customer wrote it (`...@Example.COM`): the same customer.
    assert export_profile(stack, f"email:{who}") == profile
    prefs = {(p["subject"], p["polarity"]): p for p in profile["preferences"]}
    like = prefs[("veal paupiettes", "like")]
    assert like["channel"] == "email"
    assert like["stated"] == "I love veal paupiettes", "the quoted history never reached Rasa"


def raw_header(raw: bytes, name: str) -> str:
    """A header's value as it went on the wire: unfolded, not decoded."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ")
    [line] = [h for h in unfolded.split("\r\n") if h.lower().startswith(name.lower() + ":")]
    return line.split(":", 1)[1].strip()


def long_id(length: int, domain: str) -> str:
    """A unique message id of exactly `length` characters, as a big mail client makes them."""
    local = (uuid.uuid4().hex.upper() * 4)[: length - 3 - len(domain)]
    return f"<{local}@{domain}>"


@pytest.mark.parametrize("length", [80, 120])
async def test_replies_thread_under_long_message_ids(
    stack: Stack, smarthost: Smarthost, length: int
) -> None:
    """Outlook's ids are ~80 characters; the reply must carry them byte for byte."""
    who = customer()
    address = normalised(who)
    first_id = long_id(length, "VI1PR08MB5325.eurprd08.prod.outlook.com")
    assert len(first_id) == length
    _, first = mail(who, "Hello, do you deliver?", subject="Delivery", message_id=first_id)
    await send(stack, who, first)
    await smarthost.wait_for(address, 1)
    [raw] = smarthost.raw_to(address)
    assert raw_header(raw, "In-Reply-To") == first_id
    assert raw_header(raw, "References") == first_id

    second_id = long_id(length, "mail.gmail.com")
    _, second = mail(
        who,
        "And on Saturdays?",
        subject="Re: Delivery",
        message_id=second_id,
        extra=f"In-Reply-To: {first_id}\r\nReferences: {first_id}\r\n",
    )
    await send(stack, who, second)
    await smarthost.wait_for(address, 2)
    raw_second = smarthost.raw_to(address)[1]
    assert raw_header(raw_second, "In-Reply-To") == second_id
    assert raw_header(raw_second, "References").split(" ")[-1] == second_id
    assert first_id in raw_header(raw_second, "References").split(" ")


async def test_an_allergy_given_as_the_reason_to_stop_offers_is_stored(
    stack: Stack, smarthost: Smarthost
) -> None:
    who = customer()
    address = normalised(who)
    _, message = mail(
        who,
        "Hello,\n\nPlease stop sending me the seafood offers, I'm allergic to shellfish."
        "\n\nBest regards,\nTom",
        subject="Re: This week's offers",
    )
    await send(stack, who, message)
    [answer] = await smarthost.wait_for(address, 1)
    body = plain_body(answer).lower()
    assert "allergic to shellfish" in body
    profile = export_profile(stack, f"email:{address}")
    avoids = {
        (p["subject"], p["reason"]) for p in profile["preferences"] if p["polarity"] == "avoid"
    }
    # Stored, or asked about first ("Just to be sure: you are allergic to shellfish?"): never
    # dropped silently.
    assert ("shellfish", "allergy") in avoids or "just to be sure" in body


async def test_unsubscribe_by_mail_or_by_the_one_click_link_stops_offers(
    stack: Stack, smarthost: Smarthost
) -> None:
    who = customer()
    address = normalised(who)
    _, message = mail(who, "Hi, I love Comté")
    await send(stack, who, message)
    [answer] = await smarthost.wait_for(address, 1)
    # RFC 8058: the mail client's own button posts to the link; the gateway honours it.
    link = str(answer["List-Unsubscribe"]).strip("<>")
    assert answer["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link.startswith(stack.gateway_url + "/unsubscribe/")
    async with (
        aiohttp.ClientSession() as http,
        http.post(link, data={"List-Unsubscribe": "One-Click"}) as response,
    ):
        assert response.status == 200
    consents = export_profile(stack, f"email:{address}")["consents"]
    assert [(c["channel"], c["granted"]) for c in consents] == [("email", False)]

    _, message = mail(who, "START")
    await send(stack, who, message)
    [_, started] = await smarthost.wait_for(address, 2)
    assert "offers picked for you" in plain_body(started)
    _, message = mail(who, "Unsubscribe")
    await send(stack, who, message)
    [*_, stopped] = await smarthost.wait_for(address, 3)
    assert "won't receive any more offers" in plain_body(stopped)
    consents = export_profile(stack, f"email:{address}")["consents"]
    assert [c["granted"] for c in consents] == [False, True, False]


async def test_auto_replies_and_bounces_get_no_answer(stack: Stack, smarthost: Smarthost) -> None:
    who = customer()
    address = normalised(who)
    _, vacation = mail(who, "I am out of the office.", extra="Auto-Submitted: auto-replied\r\n")
    await send(stack, who, vacation)
    _, bulk = mail(who, "Newsletter", extra="Precedence: bulk\r\nList-Id: <news.example.com>\r\n")
    await send(stack, who, bulk)
    _, bounce = mail(who, "Delivery failed")
    await send(stack, who, bounce, envelope_from="")
    person_id, person = mail(who, "hello")
    await send(stack, who, person)
    answers = await smarthost.wait_for(address, 1)
    await asyncio.sleep(1.0)
    answers = smarthost.to(address)
    assert [a["In-Reply-To"] for a in answers] == [person_id]


async def test_oversized_and_malformed_mail_are_refused_cleanly(
    stack: Stack, smarthost: Smarthost
) -> None:
    who = customer()
    _, huge = mail(who, "x" * (20 * 1024 * 1024))
    started = time.monotonic()
    with pytest.raises(aiosmtplib.SMTPResponseException) as too_big:
        await send(stack, who, huge)
    assert too_big.value.code == 552
    print(f"20 MB mail refused with 552 in {time.monotonic() - started:.2f} s")
    with pytest.raises(aiosmtplib.SMTPDataError) as broken:
        await send(stack, who, b"Subject: no sender\r\n\r\n\x00\xff garbage\r\n")
    assert broken.value.code == 554
    # The gateway is still there and answers the next mail.
    _, ok = mail(who, "hello again")
    await send(stack, who, ok)
    assert len(await smarthost.wait_for(normalised(who), 1)) == 1


async def test_imap_mail_is_answered(
    stack: Stack, smarthost: Smarthost, dovecot: Dovecot | None
) -> None:
    if dovecot is None:
        pytest.skip("dovecot could not be started here (apt-get install -y dovecot-imapd)")
    who = customer()
    message_id, raw = mail(who, "I'm allergic to nuts", subject="Allergy")
    dovecot.append(raw)
    [answer] = await smarthost.wait_for(normalised(who), 1, timeout_s=60)
    assert answer["In-Reply-To"] == message_id
    assert "nuts" in plain_body(answer).lower()


async def test_nothing_is_processed_twice_after_a_restart(
    stack: Stack, smarthost: Smarthost, dovecot: Dovecot | None
) -> None:
    who = customer()
    address = normalised(who)
    _, by_smtp = mail(who, "hello by SMTP")
    await send(stack, who, by_smtp)
    expected = 1
    if dovecot is not None:
        _, by_imap = mail(who, "hello by IMAP")
        dovecot.append(by_imap)
        expected = 2
    got = await smarthost.wait_for(address, expected)
    assert len(got) == expected, stack.log("gateway").read_text()[-3000:]

    await asyncio.to_thread(restart_gateway, stack)

    await send(stack, who, by_smtp)  # the sending server retries the same mail
    new_id, new = mail(who, "a new mail after the restart")
    if dovecot is not None:
        dovecot.append(new)  # the old IMAP mail is still in the mailbox too
    else:
        await send(stack, who, new)
    answers = await smarthost.wait_for(address, expected + 1)
    await asyncio.sleep(3.0)  # a few IMAP polls: anything answered twice would show now
    answers = smarthost.to(address)
    assert len(answers) == expected + 1
    assert answers[-1]["In-Reply-To"] == new_id
