"""Health facts are used at once but kept beyond the conversation only with consent, asked once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session, sessionmaker

from bot.actions.consents import ActionAnswerConsent
from bot.actions.facts import _note
from bot.actions.health_consent import SESSION_ONLY
from profile_store.export import export_customer
from profile_store.models import Preference
from profile_store.retention import forget_expired_health_facts
from tastes import StatedFact
from tests.unit.actions.conftest import tracker

WALNUTS = StatedFact(
    subject="walnuts",
    polarity="avoid",
    reason="allergy",
    strength=-2,
    stated="I'm allergic to walnuts",
    category=None,
    confident=True,
)
COMTE = StatedFact(
    subject="Comté", polarity="like", reason=None, strength=2, stated="I love Comté",
    category=None, confident=True,
)  # fmt: skip


async def note(facts: list[StatedFact], slots: dict[str, Any] | None = None) -> tuple[
    list[str], dict[str, Any]
]:  # fmt: skip
    t = tracker("...")
    t.slots.update(slots or {})
    dispatcher = CollectingDispatcher()
    events = await _note(dispatcher, t, facts, [])
    return [m["response"] for m in dispatcher.messages], {
        e["name"]: e["value"] for e in events if e.get("event") == "slot"
    }


async def answer(intent: str, slots: dict[str, Any]) -> list[str]:
    t = tracker("yes" if intent == "affirm" else "no", intent=intent)
    t.slots.update(slots)
    dispatcher = CollectingDispatcher()
    await ActionAnswerConsent().run(dispatcher, t, {})
    return [m["response"] for m in dispatcher.messages]


def stored(shop: sessionmaker[Session]) -> dict[str, datetime | None]:
    with shop.begin() as s:
        return {p.subject: p.until for p in s.query(Preference)}


async def test_an_allergy_is_used_now_and_kept_only_after_a_yes(
    shop: sessionmaker[Session],
) -> None:
    said, slots = await note([WALNUTS, COMTE])
    assert said == ["utter_fact_noted", "utter_fact_noted", "utter_ask_keep_health"]
    until = stored(shop)["walnuts"]
    assert until is not None and until - datetime.now(UTC) <= SESSION_ONLY
    assert stored(shop)["Comté"] is None, "a taste needs no such consent"
    with shop.begin() as s:
        now = export_customer(s, "cust-1")["preferences"]
    assert "walnuts" in {p["subject"] for p in now}, "used during the conversation"

    assert await answer("affirm", slots) == ["utter_consent_health_facts_granted"]
    assert stored(shop)["walnuts"] is None
    with shop.begin() as s:
        consents = export_customer(s, "cust-1")["consents"]
    assert [(c["purpose"], c["granted"]) for c in consents] == [("health_facts", True)]
    said, _ = await note([WALNUTS])
    assert "utter_ask_keep_health" not in said and stored(shop)["walnuts"] is None


async def test_without_a_yes_it_is_forgotten_after_the_conversation(
    shop: sessionmaker[Session],
) -> None:
    _, slots = await note([WALNUTS])
    assert await answer("deny", slots) == ["utter_consent_health_facts_withdrawn"]
    said, _ = await note([WALNUTS])
    assert "utter_ask_keep_health" not in said, "asked once"
    later = datetime.now(UTC) + SESSION_ONLY + timedelta(minutes=1)
    with shop.begin() as s:
        assert forget_expired_health_facts(s, now=later) == 2, "both times it was said"
    assert "walnuts" not in stored(shop)
    with shop.begin() as s:
        assert export_customer(s, "cust-1", now=later)["preferences"] == []


async def test_the_question_waits_while_another_is_open(shop: sessionmaker[Session]) -> None:
    said, slots = await note([WALNUTS], slots={"confirming_fact": True})
    assert said == ["utter_fact_noted"]
    assert "consent_question" not in slots
