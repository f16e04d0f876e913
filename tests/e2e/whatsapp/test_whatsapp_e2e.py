"""WhatsApp against the real stack: Meta-shaped webhooks in, Graph API requests out."""

from __future__ import annotations

import itertools
import json
import sqlite3
import time

import pytest

from channels.whatsapp.signature import sign
from rapport.stack import Stack
from tests.e2e.conftest import export_profile
from tests.e2e.whatsapp import meta
from tests.e2e.whatsapp.meta import Meta, bodies
from tests.e2e.whatsapp.standin import Failure, problems

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

_numbers = itertools.count(1)


def new_number() -> str:
    # A fresh customer per test: 33 6 + digits, as WhatsApp gives wa_ids (no "+").
    return f"336{int(time.time()) % 100000:05d}{next(_numbers):03d}"


def counts(stack: Stack) -> tuple[int, int, int]:
    with sqlite3.connect(stack.workdir / "profile.db") as conn:
        return (
            conn.execute("select count(*) from customer").fetchone()[0],
            conn.execute("select count(*) from preference").fetchone()[0],
            conn.execute("select count(*) from inbound_message").fetchone()[0],
        )


async def test_a_conversation_on_whatsapp_greets_by_name_and_stores_facts_there(
    whatsapp: Meta, stack: Stack
) -> None:
    wa = new_number()
    greeting = await whatsapp.say(meta.text(wa, "hello", name="Sheena Nelson"), wa)
    assert greeting, "the bot answered on WhatsApp"
    assert all(problems(m) == [] for m in greeting)
    assert "Sheena" in bodies(greeting)

    noted = await whatsapp.say(meta.text(wa, "I love veal paupiettes"), wa)
    assert "paupiettes" in bodies(noted).lower()

    profile = export_profile(stack, f"whatsapp:{wa}")
    assert profile["customer"]["name"] == "Sheena Nelson"
    assert profile["identities"] == [{"channel": "whatsapp", "address": wa, "verified": True}]
    [fact] = [p for p in profile["preferences"] if "paupiette" in p["subject"].lower()]
    assert fact["channel"] == "whatsapp" and fact["polarity"] == "like"


async def test_offers_come_back_as_interactive_messages_and_a_tap_is_feedback(
    whatsapp: Meta, stack: Stack
) -> None:
    wa = new_number()
    await whatsapp.say(meta.text(wa, "I love veal paupiettes", name="Marc Dupont"), wa)
    offers = await whatsapp.say(meta.text(wa, "any offers for me?"), wa)
    interactive = [m for m in offers if m["type"] == "interactive"]
    assert interactive, f"offers as interactive messages, got: {offers}"
    assert all(problems(m) == [] for m in offers)
    buttons = interactive[0]["interactive"]["action"]["buttons"]
    assert [b["reply"]["title"] for b in buttons] == ["Keep one for me", "No thanks"]

    accept = buttons[0]["reply"]
    after_tap = await whatsapp.say(meta.button_reply(wa, accept["id"], accept["title"]), wa)
    assert after_tap, "the bot answers the tap"
    events = export_profile(stack, f"whatsapp:{wa}")["offers"]
    assert {e["event"] for e in events} >= {"presented", "accepted"}
    assert all(e["channel"] == "whatsapp" for e in events)


async def test_duplicates_are_answered_once(whatsapp: Meta, stack: Stack) -> None:
    wa = new_number()
    payload = meta.text(wa, "I can't stand liver pâté")
    first = await whatsapp.say(payload, wa)
    before = counts(stack)
    for _ in range(3):  # Meta retrying the same notification
        assert await whatsapp.post(payload) == 200
    assert await whatsapp.replies(wa, after=len(first), timeout_s=3) == []
    assert counts(stack) == before


async def test_bad_signatures_malformed_and_oversized_bodies_are_refused(
    whatsapp: Meta, stack: Stack
) -> None:
    wa = new_number()
    before = counts(stack)
    payload = meta.text(wa, "I love Comté")
    raw, headers = meta.signed(payload)
    assert await whatsapp.post(payload, secret="forged") == 401
    assert await whatsapp.post_raw(raw, {"Content-Type": "application/json"}) == 401
    assert await whatsapp.post_raw(raw.replace(b"Comt", b"Bri"), headers) == 401
    for bad in (b"{oops", b'{"object": "whatsapp_business_account"}', b"\xff"):
        assert (
            await whatsapp.post_raw(bad, {"X-Hub-Signature-256": sign(bad, meta.APP_SECRET)}) == 400
        )
    huge = json.dumps({**payload, "padding": "x" * (2 * 1024 * 1024)}).encode()
    assert (
        await whatsapp.post_raw(huge, {"X-Hub-Signature-256": sign(huge, meta.APP_SECRET)}) == 413
    )
    assert counts(stack) == before
    assert whatsapp.graph.to(wa) == []
    # The genuine notification still goes through afterwards.
    assert await whatsapp.say(payload, wa)


async def test_photos_voice_notes_locations_and_stickers_get_a_friendly_answer(
    whatsapp: Meta,
) -> None:
    wa = new_number()
    for make, word in (
        (meta.image, "photo"),
        (meta.audio, "voice message"),
        (meta.location, "location"),
        (meta.sticker, "sticker"),
    ):
        payload = make(wa)
        [answer] = await whatsapp.say(payload, wa)
        assert word in answer["text"]["body"]
        assert await whatsapp.post(payload) == 200  # retried: not answered again
    assert len(whatsapp.graph.to(wa)) == 4


async def test_stop_opts_out_at_once_and_is_confirmed(whatsapp: Meta, stack: Stack) -> None:
    wa = new_number()
    [welcome] = await whatsapp.say(meta.text(wa, "START"), wa)
    assert "STOP" in welcome["text"]["body"]
    [confirmation] = await whatsapp.say(meta.text(wa, "Stop"), wa)
    assert "won't receive any more offers" in confirmation["text"]["body"]
    consents = export_profile(stack, f"whatsapp:{wa}")["consents"]
    assert [(c["purpose"], c["channel"], c["granted"]) for c in consents] == [
        ("offers", "whatsapp", True),
        ("offers", "whatsapp", False),
    ]


async def test_rate_limits_from_the_graph_api_are_retried_and_sent_once(whatsapp: Meta) -> None:
    wa = new_number()
    whatsapp.graph.fail_next(
        Failure(429, 130429, "Rate limit hit", retry_after="0"),
        Failure(503, 2, "Service temporarily unavailable", retry_after="0"),
    )
    replies = await whatsapp.say(meta.text(wa, "hello"), wa)
    assert replies, "the reply got through after the retries"
    texts = [bodies([m]) for m in replies]
    assert len(texts) == len(set(texts)), "nothing was sent twice"
    assert whatsapp.graph.failures == []


async def test_meta_can_verify_the_webhook(stack: Stack) -> None:
    import aiohttp

    url = f"{stack.gateway_url}/webhooks/whatsapp"
    query = {"hub.mode": "subscribe", "hub.verify_token": meta.VERIFY_TOKEN, "hub.challenge": "42"}
    async with aiohttp.ClientSession() as http:
        async with http.get(url, params=query) as ok:
            assert ok.status == 200 and await ok.text() == "42"
        async with http.get(url, params={**query, "hub.verify_token": "x"}) as bad:
            assert bad.status == 403
