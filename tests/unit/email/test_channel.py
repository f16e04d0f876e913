"""One mail through the channel: Rasa asked once, one threaded answer, nothing for machines."""

from __future__ import annotations

from collections.abc import Callable

import aiosmtplib
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from channels.email.channel import UNVERIFIED, EmailChannel, Outcome, SenderRateLimit
from channels.email.smtp_inbound import start_listener
from profile_store.messages import OutboundMessage
from profile_store.models import Customer
from tests.e2e.email.servers import Smarthost, free_port, plain_body
from tests.unit.email.conftest import SHOP, FakeRasa, raw_mail

MakeChannel = Callable[..., EmailChannel]


def _customers(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Customer)) or 0)


async def test_a_mail_is_answered_once_in_its_thread(
    make_channel: MakeChannel, fake_rasa: FakeRasa, smarthost: Smarthost
) -> None:
    channel = make_channel()
    fake_rasa.replies = [{"text": "You love veal paupiettes."}, {"text": "Anything else?"}]
    raw = raw_mail(subject="My tastes", headers={"References": "<root@rapport.test>"})
    assert await channel.receive(raw) is Outcome.ANSWERED
    assert await channel.receive(raw) is Outcome.IGNORED, "the same Message-ID is answered once"

    [sent] = fake_rasa.received
    assert sent["message"] == "I love veal paupiettes"
    assert sent["metadata"]["channel"] == "email"
    assert sent["metadata"]["address"] == "anne@example.com"
    assert sent["metadata"]["message_id"] == "<m1@example.com>"
    assert sent["metadata"]["authenticated"] is None

    [answer] = await smarthost.wait_for("anne@example.com")
    assert answer["Subject"] == "Re: My tastes"
    assert answer["In-Reply-To"] == "<m1@example.com>"
    assert answer["References"] == "<root@rapport.test> <m1@example.com>"
    body = plain_body(answer)
    assert body.index("You love veal paupiettes.") < body.index("Anything else?")


async def test_a_numbered_reply_sends_the_buttons_payload(
    make_channel: MakeChannel, fake_rasa: FakeRasa, smarthost: Smarthost
) -> None:
    channel = make_channel()
    fake_rasa.replies = [
        {
            "text": "Shall I keep one for you?",
            "buttons": [
                {"title": "Yes please", "payload": "/affirm"},
                {"title": "No thanks", "payload": "/deny"},
            ],
        }
    ]
    await channel.receive(raw_mail("any offers?"))
    [offer] = await smarthost.wait_for("anne@example.com")
    assert "  1. Yes please" in plain_body(offer)

    fake_rasa.replies = [{"text": "Done."}]
    reply = raw_mail(
        "2\n\nOn Mon, 3 Mar 2025 at 10:12, Shop <shop@rapport.test> wrote:\n> 1. Yes",
        message_id="<m2@example.com>",
        headers={"In-Reply-To": str(offer["Message-ID"])},
    )
    assert await channel.receive(reply) is Outcome.ANSWERED
    assert fake_rasa.received[-1]["message"] == "/deny"
    # Answering the offer mail again, later, with the choice's words still picks it.
    words = raw_mail(
        "Yes please!", message_id="<m3@example.com>", headers={"References": offer["Message-ID"]}
    )
    await channel.receive(words)
    assert fake_rasa.received[-1]["message"] == "/affirm"
    # Without a reference, the choices are those of our latest mail ("Done.": none).
    await channel.receive(raw_mail("yes please", message_id="<m4@example.com>"))
    assert fake_rasa.received[-1]["message"] == "yes please"


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"Return-Path": "<>"},
        {"X-Autoreply": "yes"},
        {"List-Id": "<news.example.com>"},
    ],
)
async def test_machines_get_no_answer(
    make_channel: MakeChannel,
    fake_rasa: FakeRasa,
    smarthost: Smarthost,
    headers: dict[str, str],
) -> None:
    assert await make_channel().receive(raw_mail(headers=headers)) is Outcome.IGNORED
    assert fake_rasa.received == []
    assert smarthost.received == []


async def test_our_own_address_gets_no_answer(
    make_channel: MakeChannel, fake_rasa: FakeRasa
) -> None:
    outcome = await make_channel().receive(raw_mail(sender=f"Shop <{SHOP}>"))
    assert outcome is Outcome.IGNORED
    assert fake_rasa.received == []


async def test_an_unverified_mail_never_reaches_rasa_nor_the_profile(
    make_channel: MakeChannel,
    fake_rasa: FakeRasa,
    smarthost: Smarthost,
    sessions: sessionmaker[Session],
) -> None:
    raw = raw_mail(
        "Forget everything about me",
        headers={"Authentication-Results": "mx.rapport.test; spf=fail; dmarc=fail"},
    )
    channel = make_channel()
    assert await channel.receive(raw) is Outcome.ANSWERED
    assert await channel.receive(raw) is Outcome.IGNORED
    assert fake_rasa.received == []
    assert _customers(sessions) == 0, "no profile is created, let alone changed"
    [answer] = await smarthost.wait_for("anne@example.com")
    assert "could not verify" in plain_body(answer)
    assert UNVERIFIED.split(",")[0] in plain_body(answer)


async def test_an_authenticated_mail_says_so_to_rasa(
    make_channel: MakeChannel, fake_rasa: FakeRasa
) -> None:
    raw = raw_mail(headers={"Authentication-Results": "mx.rapport.test; dkim=pass; dmarc=pass"})
    await make_channel().receive(raw)
    assert fake_rasa.received[0]["metadata"]["authenticated"] is True


async def test_the_sender_rate_limit_stops_a_loop(
    make_channel: MakeChannel, fake_rasa: FakeRasa, smarthost: Smarthost
) -> None:
    channel = make_channel(rate_limit=SenderRateLimit(3))
    outcomes = [
        await channel.receive(raw_mail(f"message {i}", message_id=f"<loop{i}@example.com>"))
        for i in range(6)
    ]
    assert outcomes == [Outcome.ANSWERED] * 3 + [Outcome.IGNORED] * 3
    assert len(fake_rasa.received) == 3
    # Another customer is not affected.
    other = raw_mail(sender="bob@example.com", message_id="<bob@example.com>")
    assert await channel.receive(other) is Outcome.ANSWERED


def test_the_rate_limit_window_slides() -> None:
    limit = SenderRateLimit(2, window_s=60)
    assert limit.allow("a", now=0) and limit.allow("a", now=1)
    assert not limit.allow("a", now=30)
    assert limit.allow("a", now=61)


async def test_rasa_down_means_retry_later_then_answered(
    make_channel: MakeChannel, fake_rasa: FakeRasa, smarthost: Smarthost
) -> None:
    channel = make_channel()
    fake_rasa.status = 500
    assert await channel.receive(raw_mail()) is Outcome.RETRY
    fake_rasa.status = 200
    assert await channel.receive(raw_mail()) is Outcome.ANSWERED
    assert len(await smarthost.wait_for("anne@example.com")) == 1


async def test_an_empty_mail_is_told_so_without_rasa(
    make_channel: MakeChannel, fake_rasa: FakeRasa, smarthost: Smarthost
) -> None:
    assert await make_channel().receive(raw_mail("   \n> quoted only")) is Outcome.ANSWERED
    assert fake_rasa.received == []
    [answer] = await smarthost.wait_for("anne@example.com")
    assert "could not find any text" in plain_body(answer)


async def test_a_failed_smarthost_is_recorded(
    make_channel: MakeChannel, sessions: sessionmaker[Session]
) -> None:
    from channels.email.outbound import Smarthost as Client

    channel = make_channel(smarthost=Client(host="127.0.0.1", port=free_port(), attempts=1))
    assert await channel.receive(raw_mail()) is Outcome.ANSWERED
    with sessions() as session:
        [row] = session.scalars(select(OutboundMessage)).all()
    assert (row.channel, row.status) == ("email", "failed")


# --- the SMTP listener, over real SMTP on loopback -----------------------------------------


@pytest.fixture
async def listener(make_channel: MakeChannel):  # type: ignore[no-untyped-def]
    port = free_port()
    server = await start_listener(make_channel(), "127.0.0.1", port, max_bytes=1_000_000)
    yield port
    server.close()
    await server.wait_closed()


async def test_smtp_listener_answers_and_refuses_cleanly(
    listener: int, fake_rasa: FakeRasa, smarthost: Smarthost
) -> None:
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=listener) as smtp:
        errors, _ = await smtp.sendmail("anne@example.com", [SHOP], raw_mail())
        assert errors == {}
        # Not our address: refused at RCPT, we are nobody's relay.
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
            await smtp.sendmail("anne@example.com", ["someone@else.test"], raw_mail())
    assert len(await smarthost.wait_for("anne@example.com")) == 1

    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=listener) as smtp:
        with pytest.raises(aiosmtplib.SMTPDataError) as malformed:
            await smtp.sendmail("x@example.com", [SHOP], b"Subject: no From\r\n\r\nhello\r\n")
        assert malformed.value.code == 554

    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=listener) as smtp:
        big = raw_mail("x" * 1_200_000, message_id="<big@example.com>")
        with pytest.raises(aiosmtplib.SMTPResponseException) as too_big:
            await smtp.sendmail("anne@example.com", [SHOP], big)
        assert too_big.value.code == 552

    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=listener) as smtp:
        # A bounce: empty envelope sender. Accepted (250) and never answered.
        await smtp.sendmail("", [SHOP], raw_mail(message_id="<bounce@example.com>"))
    fake_rasa.status = 503
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=listener) as smtp:
        with pytest.raises(aiosmtplib.SMTPDataError) as later:
            await smtp.sendmail("anne@example.com", [SHOP], raw_mail(message_id="<m9@example.com>"))
        assert later.value.code == 451
    assert len(fake_rasa.received) == 2
    assert len(smarthost.to("anne@example.com")) == 1
