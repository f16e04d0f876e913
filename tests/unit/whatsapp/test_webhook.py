"""The webhook on the real gateway app, with a fake Rasa and the Graph API stand-in."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from channels.app import create_app
from channels.delivery import deliver
from channels.whatsapp import NoOfferConsent, OutsideServiceWindow
from channels.whatsapp.render import Template
from channels.whatsapp.signature import sign
from profile_store.consents import record_consent
from profile_store.messages import InboundMessage, OutboundMessage
from profile_store.models import Consent, Customer
from profile_store.repository import find_customer, resolve_customer
from rapport.settings import Settings
from tests.e2e.whatsapp import meta
from tests.e2e.whatsapp.standin import Failure, GraphStandIn
from tests.unit.channels.conftest import FakeRasa
from tests.unit.whatsapp.conftest import Gateway

pytestmark = pytest.mark.asyncio(loop_scope="session")
WA = "16505551234"
URL = "/webhooks/whatsapp"


def count(db: sessionmaker[Session], model: type[Any]) -> int:
    with db() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


async def test_verification_echoes_the_challenge_only_for_our_token(gateway: Gateway) -> None:
    ok = await gateway.client.get(
        URL,
        params={
            "hub.mode": "subscribe",
            "hub.verify_token": meta.VERIFY_TOKEN,
            "hub.challenge": "1158201444",
        },
    )
    assert ok.status == 200 and await ok.text() == "1158201444"
    bad = await gateway.client.get(
        URL,
        params={"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"},
    )
    assert bad.status == 403


async def test_a_text_reaches_rasa_and_the_reply_reaches_whatsapp(
    gateway: Gateway,
    fake_rasa: FakeRasa,
    graph: tuple[GraphStandIn, str],
    db: sessionmaker[Session],
) -> None:
    standin, _ = graph
    fake_rasa.replies = [
        {"text": "Welcome!"},
        {"text": "Sure?", "buttons": [{"title": "Yes", "payload": "/affirm"}]},
    ]
    assert await gateway.post(meta.text(WA, "hi", name="Sheena Nelson")) == 200

    [sent] = fake_rasa.received
    assert sent["message"] == "hi"
    assert sent["metadata"]["channel"] == "whatsapp"
    assert sent["metadata"]["address"] == WA
    assert sent["metadata"]["profile_name"] == "Sheena Nelson"
    assert [m["type"] for m in standin.to(WA)] == ["text", "interactive"]
    assert standin.to(WA)[0]["text"]["body"] == "Welcome!"
    with db() as session:
        customer = find_customer(session, f"whatsapp:{WA}")
        assert customer is not None and customer.name == "Sheena Nelson"
        statuses = session.scalars(select(OutboundMessage.status)).all()
    assert statuses == ["accepted", "accepted"]


async def test_the_profile_name_does_not_replace_a_name_the_customer_gave(
    gateway: Gateway, db: sessionmaker[Session]
) -> None:
    await gateway.post(meta.text(WA, "hi", name="Sheena Nelson"))
    with db.begin() as session:
        customer = find_customer(session, f"whatsapp:{WA}")
        assert customer is not None
        customer.name = "Sheena"
    await gateway.post(meta.text(WA, "hello again", name="S. Nelson ☀"))
    with db() as session:
        assert session.scalar(select(Customer.name)) == "Sheena"


async def test_meta_retrying_a_delivery_is_answered_once_even_after_a_restart(
    aiohttp_client: Any,
    wa_settings: Callable[..., Settings],
    fake_rasa: FakeRasa,
    graph: tuple[GraphStandIn, str],
) -> None:
    standin, _ = graph
    payload = meta.text(WA, "I love Comté")
    first = Gateway(await aiohttp_client(create_app(wa_settings())))
    assert await first.post(payload) == 200
    assert await first.post(payload) == 200
    await first.client.close()
    restarted = Gateway(await aiohttp_client(create_app(wa_settings())))
    assert await restarted.post(payload) == 200
    assert len(fake_rasa.received) == 1
    assert len(standin.to(WA)) == 1


async def test_concurrent_duplicates_are_processed_once(
    gateway: Gateway, fake_rasa: FakeRasa, graph: tuple[GraphStandIn, str]
) -> None:
    payload = meta.text(WA, "I love lamb")
    statuses = await asyncio.gather(*[gateway.post(payload, drain=False) for _ in range(5)])
    await gateway.channel.drain(10)
    assert statuses == [200] * 5
    assert len(fake_rasa.received) == 1 and len(graph[0].to(WA)) == 1


async def test_bad_or_missing_signatures_are_refused_before_anything_happens(
    gateway: Gateway, fake_rasa: FakeRasa, db: sessionmaker[Session]
) -> None:
    payload = meta.text(WA, "I love Comté")
    assert await gateway.post(payload, secret="not-the-app-secret") == 401
    raw = json.dumps(payload).encode()
    unsigned = await gateway.client.post(
        URL, data=raw, headers={"Content-Type": "application/json"}
    )
    assert unsigned.status == 401
    _, headers = meta.signed(payload)
    tampered = await gateway.client.post(URL, data=raw.replace(b"Comt", b"Brie"), headers=headers)
    assert tampered.status == 401
    assert fake_rasa.received == [] and count(db, Customer) == 0


async def test_malformed_and_oversized_bodies_are_refused_cleanly(
    gateway: Gateway, fake_rasa: FakeRasa, db: sessionmaker[Session]
) -> None:
    for raw in (b"{not json", b"\xff\xfe", b"[]", b'{"object": "page"}', b"{" * 100_000):
        response = await gateway.client.post(
            URL, data=raw, headers={"X-Hub-Signature-256": sign(raw, meta.APP_SECRET)}
        )
        assert response.status == 400, raw[:20]
    big = json.dumps({"pad": "x" * (1024 * 1024)}).encode()
    response = await gateway.client.post(
        URL, data=big, headers={"X-Hub-Signature-256": sign(big, meta.APP_SECRET)}
    )
    assert response.status == 413
    assert fake_rasa.received == [] and count(db, Customer) == 0
    # Still healthy afterwards.
    assert await gateway.post(meta.text(WA, "hi")) == 200 and len(fake_rasa.received) == 1


@pytest.mark.parametrize(
    ("make", "word"),
    [
        (meta.image, "photo"),
        (meta.audio, "voice message"),
        (meta.sticker, "sticker"),
        (meta.location, "location"),
        (meta.unsupported, "message"),
    ],
)
async def test_unreadable_messages_get_a_friendly_answer_once(
    gateway: Gateway,
    fake_rasa: FakeRasa,
    graph: tuple[GraphStandIn, str],
    make: Callable[[str], dict[str, Any]],
    word: str,
) -> None:
    payload = make(WA)
    assert await gateway.post(payload) == 200
    assert await gateway.post(payload) == 200
    [answer] = graph[0].to(WA)
    assert word in answer["text"]["body"] and "text" in answer["text"]["body"]
    assert fake_rasa.received == []


async def test_reactions_need_no_answer(
    gateway: Gateway, fake_rasa: FakeRasa, graph: tuple[GraphStandIn, str]
) -> None:
    assert await gateway.post(meta.reaction(WA, "wamid.abc")) == 200
    assert graph[0].to(WA) == [] and fake_rasa.received == []


async def test_button_and_list_replies_send_their_payload_to_rasa(
    gateway: Gateway, fake_rasa: FakeRasa
) -> None:
    await gateway.post(meta.button_reply(WA, "/affirm", "Yes"))
    await gateway.post(meta.list_reply(WA, "/ask_offers", "Offers", "See my offers"))
    assert [r["message"] for r in fake_rasa.received] == ["/affirm", "/ask_offers"]
    assert [r["metadata"]["whatsapp_type"] for r in fake_rasa.received] == [
        "button_reply",
        "list_reply",
    ]


async def test_stop_opts_out_at_once_and_is_confirmed_once(
    gateway: Gateway,
    fake_rasa: FakeRasa,
    graph: tuple[GraphStandIn, str],
    db: sessionmaker[Session],
) -> None:
    await gateway.post(meta.text(WA, "START"))
    payload = meta.text(WA, "Stop")
    await gateway.post(payload)
    await gateway.post(payload)  # Meta's retry
    bodies = [m["text"]["body"] for m in graph[0].to(WA)]
    assert len(bodies) == 2 and "won't receive any more offers" in bodies[1]
    with db() as session:
        consents = session.execute(
            select(Consent.purpose, Consent.channel, Consent.granted).order_by(Consent.id)
        ).all()
    assert consents == [("offers", "whatsapp", True), ("offers", "whatsapp", False)]
    assert fake_rasa.received == []


async def test_rasa_down_answers_503_so_meta_retries_and_nothing_is_lost(
    gateway: Gateway, fake_rasa: FakeRasa, graph: tuple[GraphStandIn, str]
) -> None:
    payload = meta.text(WA, "I love Comté")
    fake_rasa.status = 500
    assert await gateway.post(payload) == 503
    assert graph[0].to(WA) == []
    fake_rasa.status = 200
    assert await gateway.post(payload) == 200  # Meta's retry is processed, once
    assert len(graph[0].to(WA)) == 1


async def test_statuses_are_recorded_and_never_go_backwards(
    gateway: Gateway, graph: tuple[GraphStandIn, str], db: sessionmaker[Session]
) -> None:
    await gateway.post(meta.text(WA, "hi"))
    with db() as session:
        wamid = session.scalar(select(OutboundMessage.provider_id))
    assert wamid
    for state in ("sent", "read", "delivered"):
        assert await gateway.post(meta.status(wamid, WA, state)) == 200
    with db() as session:
        assert session.scalar(select(OutboundMessage.status)) == "read"
    assert await gateway.post(meta.status("wamid.unknown", WA, "failed")) == 200


async def test_a_rate_limited_reply_is_retried_and_sent_once(
    gateway: Gateway, graph: tuple[GraphStandIn, str], db: sessionmaker[Session]
) -> None:
    standin, _ = graph
    standin.fail_next(Failure(429, 130429, "Rate limit hit", retry_after="0"))
    await gateway.post(meta.text(WA, "hi"))
    assert len(standin.to(WA)) == 1 and standin.attempts == 2
    with db() as session:
        assert session.scalars(select(OutboundMessage.status)).all() == ["accepted"]


async def test_a_failed_send_is_recorded_and_not_repeated(
    gateway: Gateway, graph: tuple[GraphStandIn, str], db: sessionmaker[Session]
) -> None:
    standin, _ = graph
    standin.fail_next(Failure(400, 131026, "Message undeliverable"))
    await gateway.post(meta.text(WA, "hi"))
    with db() as session:
        row = session.scalar(select(OutboundMessage))
    assert row is not None and row.status == "failed" and row.error and "131026" in row.error
    assert standin.attempts == 1


async def test_a_tapped_offer_button_reaches_the_bot_as_its_payload_once(
    gateway: Gateway, fake_rasa: FakeRasa, graph: tuple[GraphStandIn, str]
) -> None:
    fake_rasa.replies = [
        {
            "text": "Veal paupiettes weekend: Two for one (-50%). Because you love veal.",
            "buttons": [
                {"title": "Keep one for me", "payload": '/accept_offer{"offer_id": "veal-we"}'},
                {"title": "No thanks", "payload": '/decline_offer{"offer_id": "veal-we"}'},
            ],
        }
    ]
    await gateway.post(meta.text(WA, "any offers for me?"))
    [offer] = graph[0].to(WA)[-1:]
    assert offer["type"] == "interactive"
    [accept, _decline] = offer["interactive"]["action"]["buttons"]

    tap = meta.button_reply(WA, accept["reply"]["id"], accept["reply"]["title"])
    await gateway.post(tap)
    await gateway.post(tap)  # Meta retrying
    taps = [r for r in fake_rasa.received if r["message"].startswith("/accept_offer")]
    assert [t["message"] for t in taps] == ['/accept_offer{"offer_id": "veal-we"}']


async def test_staff_replies_only_inside_the_24_hour_window(
    gateway: Gateway, graph: tuple[GraphStandIn, str], db: sessionmaker[Session]
) -> None:
    app = gateway.client.app
    with pytest.raises(OutsideServiceWindow):
        await deliver(app, "whatsapp", WA, [{"text": "Hello from the counter"}])
    await gateway.post(meta.text(WA, "hi"))
    await deliver(app, "whatsapp", WA, [{"text": "Hello from the counter"}])
    assert graph[0].to(WA)[-1]["text"]["body"] == "Hello from the counter"
    with db.begin() as session:
        for row in session.scalars(select(InboundMessage)):
            row.received_at = datetime.now(UTC) - timedelta(hours=25)
    with pytest.raises(OutsideServiceWindow):
        await deliver(app, "whatsapp", WA, [{"text": "Too late"}])


async def test_proactive_offers_need_a_yes_to_being_written_first_and_a_template_later(
    gateway: Gateway, graph: tuple[GraphStandIn, str], db: sessionmaker[Session]
) -> None:
    channel, standin = gateway.channel, graph[0]
    template = Template("weekly_offer", "en", ("Sheena", "Veal paupiettes weekend"))
    offer = [{"text": "Veal paupiettes weekend: two for one this Saturday."}]
    await gateway.post(meta.text(WA, "hi"))
    with pytest.raises(NoOfferConsent):
        await channel.send_offer(WA, offer, template, key="offer:veal-we:1")
    await gateway.post(meta.text(WA, "START"))
    with pytest.raises(NoOfferConsent):  # a yes to offers is not a yes to being written first
        await channel.send_offer(WA, offer, template, key="offer:veal-we:1")
    with db.begin() as session:  # "May I write to you first ...?" "Yes", on WhatsApp
        cid = resolve_customer(session, "whatsapp", WA).id
        record_consent(session, cid, purpose="proactive", channel="whatsapp", granted=True)
    assert await channel.send_offer(WA, offer, template, key="offer:veal-we:1") == "free_form"
    assert standin.to(WA)[-1]["text"]["body"].startswith("Veal paupiettes")
    with db.begin() as session:
        for row in session.scalars(select(InboundMessage)):
            row.received_at = datetime.now(UTC) - timedelta(days=2)
    assert await channel.send_offer(WA, offer, template, key="offer:veal-we:2") == "template"
    assert standin.to(WA)[-1]["template"]["name"] == "weekly_offer"
    before = len(standin.to(WA))
    await channel.send_offer(WA, offer, template, key="offer:veal-we:2")  # same key: not resent
    assert len(standin.to(WA)) == before
    await gateway.post(meta.text(WA, "STOP"))
    with pytest.raises(NoOfferConsent):
        await channel.send_offer(WA, offer, template, key="offer:veal-we:3")


async def test_messages_for_another_phone_number_are_ignored(
    gateway: Gateway, fake_rasa: FakeRasa
) -> None:
    payload = meta.text(WA, "hi")
    payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "999"
    assert await gateway.post(payload) == 200
    assert fake_rasa.received == []


async def test_too_long_messages_are_answered_with_the_reason(
    gateway: Gateway, fake_rasa: FakeRasa, graph: tuple[GraphStandIn, str]
) -> None:
    await gateway.post(meta.text(WA, "I love lamb " * 1000))
    [answer] = graph[0].to(WA)
    assert "too long" in answer["text"]["body"] and fake_rasa.received == []
