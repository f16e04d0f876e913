"""Confirming unsure facts, household habits and the one profiling question per conversation."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session, sessionmaker

from bot.actions.facts import ActionConfirmFacts, ActionSaveHabit, _note
from bot.actions.greeting import ActionGreet, ActionSessionStart
from bot.actions.profiling import Known, next_question
from profile_store.consents import record_consent
from profile_store.export import export_customer
from profile_store.repository import ensure_customer, set_name
from tastes import StatedFact
from tests.unit.actions.conftest import say, tracker


async def act(action: Any, text: str, *, slots: dict[str, Any] | None = None, **kw: Any) -> tuple[
    list[str], dict[str, Any], list[dict[str, Any]]
]:  # fmt: skip
    """Run an action with slots; its responses, the slots it set, and its messages."""
    t = tracker(text, **kw)
    t.slots.update(slots or {})
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, t, {})
    set_slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    return [m["response"] for m in dispatcher.messages], set_slots, dispatcher.messages


def responses(out: list[dict[str, Any]]) -> list[str]:
    return [m["response"] for m in out if m.get("response")]


def slot_values(out: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        m["event"]["name"]: m["event"]["value"]
        for m in out
        if isinstance(m.get("event"), dict) and m["event"].get("event") == "slot"
    }


def prefs(shop: sessionmaker[Session], cid: str = "cust-1") -> list[tuple[str, str]]:
    with shop.begin() as s:
        ensure_customer(s, cid)
        return [(p["subject"], p["polarity"]) for p in export_customer(s, cid)["preferences"]]


QUINCE = StatedFact(
    subject="quince paste",
    polarity="like",
    reason=None,
    strength=1,
    stated="I really like quince paste",
    category=None,
    confident=False,
    confidence=0.7,
)
WALNUTS_UNTIL_SUNDAY = StatedFact(
    subject="walnuts",
    polarity="avoid",
    reason="allergy",
    strength=-2,
    stated="walnuts give my husband hives",
    category=None,
    confident=False,
    member="husband",
    until=datetime(2026, 12, 6, 23, 59, 59, tzinfo=UTC),
)


async def note(facts: list[StatedFact], slots: dict[str, Any] | None = None) -> tuple[
    list[str], dict[str, Any], list[dict[str, Any]]
]:  # fmt: skip
    t = tracker("...")
    t.slots.update(slots or {})
    dispatcher = CollectingDispatcher()
    events = await _note(dispatcher, t, facts, [])
    set_slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    return [m["response"] for m in dispatcher.messages], set_slots, dispatcher.messages


async def test_an_unsure_fact_waits_for_a_yes(shop: sessionmaker[Session]) -> None:
    said, slots, messages = await note([QUINCE])
    assert said == ["utter_fact_to_confirm"]
    assert messages[0]["fact"] == "you like quince paste"
    assert slots["confirming_fact"] is True and prefs(shop) == []
    said, after, _ = await act(ActionConfirmFacts(), "yes", intent="affirm", slots=slots)
    assert said == ["utter_fact_noted"]
    assert prefs(shop) == [("quince paste", "like")]
    assert after == {"pending_facts": None, "pending_fact": None, "confirming_fact": None}


async def test_a_confirmed_fact_keeps_its_member_and_end_date(shop: sessionmaker[Session]) -> None:
    with shop.begin() as s:  # they agreed to health facts being kept (test_health_consent.py)
        ensure_customer(s, "cust-1")
        record_consent(s, "cust-1", purpose="health_facts", channel="web", granted=True)
    _, slots, messages = await note([WALNUTS_UNTIL_SUNDAY])
    assert "your husband" in messages[0]["fact"]
    json.dumps(slots)  # a slot value must be JSON
    await act(ActionConfirmFacts(), "yes", intent="affirm", slots=slots)
    with shop.begin() as s:
        (pref,) = export_customer(s, "cust-1", now=datetime(2026, 12, 1, tzinfo=UTC))["preferences"]
    assert (pref["subject"], pref["polarity"], pref["reason"], pref["who"]) == (
        "walnuts", "avoid", "allergy", "husband"
    )  # fmt: skip
    assert pref["until"].startswith("2026-12-06")


async def test_a_no_drops_the_unsure_fact(shop: sessionmaker[Session]) -> None:
    _, slots, _ = await note([QUINCE])
    said, _, _ = await act(ActionConfirmFacts(), "no", intent="deny", slots=slots)
    assert said == ["utter_fact_dropped"]
    assert prefs(shop) == []


async def test_sure_facts_are_stored_at_once_and_unsure_ones_asked(
    shop: sessionmaker[Session],
) -> None:
    comte = replace(QUINCE, subject="Comté", stated="I love Comté", confident=True, strength=2)
    said, slots, _ = await note([comte, QUINCE])
    assert said == ["utter_fact_noted", "utter_fact_to_confirm"]
    assert [s for s, _ in prefs(shop)] == ["Comté"]
    assert slots["confirming_fact"] is True


async def test_unsure_facts_are_asked_one_at_a_time_avoids_first(
    shop: sessionmaker[Session],
) -> None:
    said, slots, messages = await note([QUINCE, WALNUTS_UNTIL_SUNDAY])
    assert said == ["utter_fact_to_confirm"]
    assert "walnuts" in messages[0]["fact"] and "quince" not in messages[0]["fact"]
    said, slots, messages = await act(ActionConfirmFacts(), "no", intent="deny", slots=slots)
    assert said == ["utter_fact_dropped", "utter_fact_to_confirm"]
    assert messages[1]["fact"] == "you like quince paste"
    assert slots["confirming_fact"] is True
    said, slots, _ = await act(ActionConfirmFacts(), "yes", intent="affirm", slots=slots)
    assert said == ["utter_fact_noted"]
    assert prefs(shop) == [("quince paste", "like")]
    assert slots["confirming_fact"] is None


async def test_a_new_unsure_fact_waits_behind_the_open_question(
    shop: sessionmaker[Session],
) -> None:
    _, slots, _ = await note([QUINCE])
    said, slots, _ = await note([WALNUTS_UNTIL_SUNDAY], slots=slots)
    assert said == [], "the open question is not asked twice"
    said, slots, messages = await act(ActionConfirmFacts(), "yes", intent="affirm", slots=slots)
    assert said == ["utter_fact_noted", "utter_fact_to_confirm"]
    assert "walnuts" in messages[1]["fact"]
    await act(ActionConfirmFacts(), "yes", intent="affirm", slots=slots)
    assert sorted(prefs(shop)) == [("quince paste", "like"), ("walnuts", "avoid")]


async def test_household_and_occasions_are_habits(shop: sessionmaker[Session]) -> None:
    said, _, messages = await act(
        ActionSaveHabit(), "we're cooking for six, dinner party next Saturday", intent="share_habit"
    )
    assert said[:2] == ["utter_habit_noted", "utter_habit_noted"]
    assert [m["habit"] for m in messages[:2]] == [
        "you cook for 6",
        # The number said in the same breath is the party's size.
        "you're hosting a dinner party for 6 next Saturday",
    ]
    with shop.begin() as s:
        habits = export_customer(s, "cust-1")["habits"]
    assert [(h["what"], h["when"]) for h in habits] == [
        ("cooks for 6", None),
        ("is hosting a dinner party for 6", "next Saturday"),
    ]


async def test_one_profiling_question_after_a_fact_when_the_profile_is_thin(
    shop: sessionmaker[Session],
) -> None:
    out = await say("I love Comté")
    assert responses(out) == ["utter_fact_noted", "utter_ask_profile_constraints"]
    assert slot_values(out)["profiling_asked"] is True
    out = await say("I love lamb", slots={"profiling_asked": True})
    assert responses(out) == ["utter_fact_noted"]
    assert "profiling_asked" not in slot_values(out)


async def test_the_question_is_never_about_what_is_known(shop: sessionmaker[Session]) -> None:
    await say("I'm allergic to nuts")
    out = await say("I love Comté")
    assert responses(out) == ["utter_fact_noted", "utter_ask_profile_household"]


def test_next_question_order_and_thin_profile() -> None:
    empty = Known(0, False, False, False, frozenset())
    assert next_question(empty) == "utter_ask_profile_constraints"
    known = Known(2, True, True, True, frozenset({"cheese"}))
    assert next_question(known) == "utter_ask_profile_wine"
    assert next_question(Known(3, False, False, False, frozenset())) is None
    full = Known(2, True, True, True, frozenset({"cheese", "wine"}))
    assert next_question(full) is None


async def test_a_returning_customer_is_greeted_then_asked_once(
    shop: sessionmaker[Session],
) -> None:
    with shop.begin() as s:
        ensure_customer(s, "cust-1")
        set_name(s, "cust-1", "Anne")
    said, slots, _ = await act(ActionGreet(), "hello", intent="greet")
    assert said == ["utter_greet_known", "utter_ask_profile_constraints"]
    said, _, _ = await act(ActionGreet(), "hello", intent="greet", slots=slots)
    assert said == ["utter_greet_known"]


async def test_a_new_session_may_ask_again(shop: sessionmaker[Session]) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionSessionStart().run(dispatcher, tracker("", intent=""), {})
    assert SlotSet("profiling_asked", None) in events


async def test_a_question_closed_by_offers_is_asked_again_with_the_next_unsure_fact(
    shop: sessionmaker[Session],
) -> None:
    _, slots, _ = await note([WALNUTS_UNTIL_SUNDAY])
    slots["confirming_fact"] = None  # offers came in between (action_offer closes it)
    said, slots, messages = await note([QUINCE], slots=slots)
    assert said == ["utter_fact_to_confirm"]
    assert "walnuts" in messages[0]["fact"], "the fact that waited longest is asked first"
    assert slots["confirming_fact"] is True
    said, slots, messages = await act(ActionConfirmFacts(), "yes", intent="affirm", slots=slots)
    assert said == ["utter_fact_noted", "utter_fact_to_confirm"]
    assert messages[1]["fact"] == "you like quince paste"
