"""Confirming unsure facts, household habits and the one profiling question per conversation."""

from __future__ import annotations

from typing import Any

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session, sessionmaker

from bot.actions.facts import ActionConfirmFacts, ActionSaveHabit, ActionSaveTastes
from bot.actions.greeting import ActionGreet, ActionSessionStart
from bot.actions.profiling import Known, next_question
from profile_store.export import export_customer
from profile_store.repository import ensure_customer, set_name
from tests.unit.actions.conftest import tracker


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


def prefs(shop: sessionmaker[Session], cid: str = "cust-1") -> list[tuple[str, str]]:
    with shop.begin() as s:
        ensure_customer(s, cid)
        return [(p["subject"], p["polarity"]) for p in export_customer(s, cid)["preferences"]]


async def test_an_unsure_fact_waits_for_a_yes(shop: sessionmaker[Session]) -> None:
    said, slots, messages = await act(ActionSaveTastes(), "I really like quince paste")
    assert said == ["utter_fact_to_confirm"]
    assert messages[0]["fact"] == "you like quince paste"
    assert slots["confirming_fact"] is True and prefs(shop) == []
    said, after, _ = await act(ActionConfirmFacts(), "yes", intent="affirm", slots=slots)
    assert said == ["utter_fact_noted"]
    assert prefs(shop) == [("quince paste", "like")]
    assert after == {"pending_facts": None, "pending_fact": None, "confirming_fact": None}


async def test_a_no_drops_the_unsure_fact(shop: sessionmaker[Session]) -> None:
    _, slots, _ = await act(ActionSaveTastes(), "I really like quince paste")
    said, _, _ = await act(ActionConfirmFacts(), "no", intent="deny", slots=slots)
    assert said == ["utter_fact_dropped"]
    assert prefs(shop) == []


async def test_sure_facts_are_stored_at_once_and_unsure_ones_asked(
    shop: sessionmaker[Session],
) -> None:
    said, slots, _ = await act(ActionSaveTastes(), "I love Comté and quince paste")
    assert said == ["utter_fact_noted", "utter_fact_to_confirm"]
    assert [s for s, _ in prefs(shop)] == ["Comté"]
    assert slots["confirming_fact"] is True


async def test_household_and_occasions_are_habits(shop: sessionmaker[Session]) -> None:
    said, _, messages = await act(
        ActionSaveHabit(), "we're cooking for six, dinner party next Saturday", intent="share_habit"
    )
    assert said[:2] == ["utter_habit_noted", "utter_habit_noted"]
    assert [m["habit"] for m in messages[:2]] == [
        "you cook for 6",
        "you're hosting a dinner party next Saturday",
    ]
    with shop.begin() as s:
        habits = export_customer(s, "cust-1")["habits"]
    assert [(h["what"], h["when"]) for h in habits] == [
        ("cooks for 6", None),
        ("is hosting a dinner party", "next Saturday"),
    ]


async def test_one_profiling_question_after_a_fact_when_the_profile_is_thin(
    shop: sessionmaker[Session],
) -> None:
    said, slots, _ = await act(ActionSaveTastes(), "I love Comté")
    assert said == ["utter_fact_noted", "utter_ask_profile_constraints"]
    assert slots["profiling_asked"] is True
    said, slots, _ = await act(ActionSaveTastes(), "I love lamb", slots={"profiling_asked": True})
    assert said == ["utter_fact_noted"]
    assert "profiling_asked" not in slots


async def test_the_question_is_never_about_what_is_known(shop: sessionmaker[Session]) -> None:
    await act(ActionSaveTastes(), "I'm allergic to nuts")
    said, _, _ = await act(ActionSaveTastes(), "I love Comté")
    assert said == ["utter_fact_noted", "utter_ask_profile_household"]


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
