"""Actions against a real SQLite profile store: what they write, and which response they choose."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.actions.facts import ActionSaveHabit
from bot.actions.greeting import ActionGreet, ActionSaveName, ActionSessionStart
from bot.actions.offering import ActionOffer
from bot.actions.review import ActionForget, ActionReviewProfile
from profile_store.export import export_customer
from profile_store.models import Preference
from profile_store.repository import ensure_customer, offer_events, record_preference
from tests.unit.actions.conftest import run, say


def responses(out: list[dict]) -> list[str]:
    return [m["response"] for m in out if m.get("response")]


async def test_a_stated_taste_is_stored_with_its_words_and_confirmed(
    shop: sessionmaker[Session],
) -> None:
    out = await say("I love veal paupiettes")
    # A thin profile: one profiling question follows (tests/unit/actions/test_dialogue_actions.py).
    assert responses(out) == ["utter_fact_noted", "utter_ask_profile_constraints"]
    assert out[0]["fact"] == "you love veal paupiettes"
    with shop.begin() as s:
        prefs = export_customer(s, "cust-1")["preferences"]
    assert prefs == [
        {
            **prefs[0],
            "subject": "veal paupiettes",
            "polarity": "like",
            "stated": "I love veal paupiettes",
            "channel": "web",
        }
    ]


async def test_an_allergy_is_an_avoid_with_its_reason(shop: sessionmaker[Session]) -> None:
    await say("I'm allergic to nuts", channel="whatsapp")
    with shop.begin() as s:
        (pref,) = export_customer(s, "cust-1")["preferences"]
    assert (pref["subject"], pref["polarity"], pref["reason"], pref["channel"]) == (
        "nuts",
        "avoid",
        "allergy",
        "whatsapp",
    )


async def test_nothing_understood_writes_nothing(shop: sessionmaker[Session]) -> None:
    out = await say("hmm")
    assert responses(out) == ["utter_taste_not_understood"]
    with shop.begin() as s:
        assert s.scalar(select(func.count()).select_from(Preference)) == 0


async def test_name_greeting_and_session_start(shop: sessionmaker[Session]) -> None:
    assert responses(await run(ActionGreet(), "/greet", intent="greet")) == ["utter_greet_new"]
    out = await run(
        ActionSaveName(),
        "hi, I'm Philippe",
        intent="give_name",
        entities=[{"entity": "name", "value": "Philippe"}],
    )
    assert responses(out) == ["utter_name_noted"] and out[0]["name"] == "Philippe"
    out = await run(ActionGreet(), "/greet", intent="greet")
    assert responses(out)[0] == "utter_greet_known" and out[0]["name"] == "Philippe"
    events = [e["event"] for e in await run(ActionSessionStart(), "")]
    assert [e["event"] for e in events] == ["session_started", *["slot"] * 7, "action"]
    assert events[1] == {**events[1], "name": "customer_name", "value": "Philippe"}


async def test_habit(shop: sessionmaker[Session]) -> None:
    out = await run(ActionSaveHabit(), "I usually come on Saturday mornings", intent="share_habit")
    assert responses(out)[0] == "utter_habit_noted"
    assert "saturday" in out[0]["habit"].lower()
    with shop.begin() as s:
        (habit,) = export_customer(s, "cust-1")["habits"]
    assert habit["stated"] == "I usually come on Saturday mornings"


async def test_offers_respect_constraints_and_give_reasons(shop: sessionmaker[Session]) -> None:
    await say("I love veal paupiettes")
    await say("I'm allergic to nuts")
    out = await run(ActionOffer(), "any offers for me?", intent="ask_offers")
    offers = [m for m in out if m.get("response") == "utter_offer"]
    assert offers and "paupiette" in offers[0]["title"].lower() + offers[0]["description"].lower()
    assert "I love veal paupiettes" in offers[0]["reason"]
    with shop.begin() as s:
        shown = [e.offer_id for e in offer_events(s, "cust-1")]
    assert len(shown) == len(offers)


async def test_review_and_forget(shop: sessionmaker[Session]) -> None:
    with shop.begin() as s:
        ensure_customer(s, "cust-1")
        for subject, polarity, strength, stated in (
            ("veal paupiettes", "like", 2, "I love veal paupiettes"),
            ("liver pâté", "dislike", -2, "I can't stand liver pâté"),
        ):
            record_preference(
                s, "cust-1", subject=subject, polarity=polarity, strength=strength,
                stated=stated, channel="web",
            )  # fmt: skip
    review = await run(ActionReviewProfile(), "what do you know about me?", intent="review_profile")
    facts = [m["fact"] for m in review if m.get("response") == "utter_profile_fact"]
    assert "you love veal paupiettes" in facts
    assert any(
        '"I love veal paupiettes"' in m["source"] and "website" in m["source"]
        for m in review
        if m.get("response") == "utter_profile_fact"
    )
    out = await run(ActionForget(), "forget that I like paupiettes", intent="forget_fact")
    assert responses(out) == ["utter_forgotten"]
    with shop.begin() as s:
        subjects = [p["subject"] for p in export_customer(s, "cust-1")["preferences"]]
    assert subjects == ["liver pâté"]
    assert responses(await run(ActionReviewProfile(), "?", sender="someone-new")) == [
        "utter_profile_empty"
    ]


def test_habits_are_told_back_in_the_second_person() -> None:
    from bot.actions.facts import describe_habit
    from tastes import StatedHabit

    assert describe_habit(StatedHabit("has roast lamb", "Sunday", "weekly", "...")) == (
        "you usually have roast lamb on Sunday"
    )
    assert describe_habit(StatedHabit("buys a case of wine", None, "monthly", "...")) == (
        "you usually buy a case of wine every month"
    )
    assert describe_habit(StatedHabit("shops", "Saturday morning", "weekly", "...")) == (
        "you usually come to the shop on Saturday morning"
    )


def test_the_action_server_registers_every_action_the_domain_declares() -> None:
    import yaml
    from rasa_sdk.executor import ActionExecutor

    from rapport.settings import ROOT

    executor = ActionExecutor()
    executor.register_package("bot.actions")
    domain = yaml.safe_load((ROOT / "bot" / "domain.yml").read_text(encoding="utf-8"))
    assert set(domain["actions"]) <= set(executor.actions)


async def test_a_name_is_never_read_as_a_food(shop: sessionmaker[Session]) -> None:
    out = await say(
        "hi, I'm Ottoline",
        intent="give_name",
        entities=[{"entity": "name", "value": "Ottoline"}],
        then=ActionSaveName(),
    )
    assert "utter_fact_noted" not in responses(out)
    assert "utter_fact_to_confirm" not in responses(out)
    with shop.begin() as s:
        assert s.scalar(select(func.count()).select_from(Preference)) == 0
