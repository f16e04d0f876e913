"""Once per visit: the welcome, and the action server's start-up work."""

from __future__ import annotations

from typing import Any

from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session, sessionmaker

from bot.actions import context
from bot.actions.greeting import ActionGreet
from bot.actions.readiness import Readiness
from profile_store.repository import ensure_customer, set_name
from tests.unit.actions.conftest import tracker


async def greet(text: str, earlier: list[dict[str, Any]]) -> list[str]:
    t = tracker(text, intent="greet")
    t.events.extend(earlier)
    dispatcher = CollectingDispatcher()
    await ActionGreet().run(dispatcher, t, {})
    return [m["response"] for m in dispatcher.messages]


async def test_the_welcome_is_said_once_per_visit(shop: sessionmaker[Session]) -> None:
    with shop.begin() as s:
        ensure_customer(s, "cust-1")
        set_name(s, "cust-1", "Philippe")
    greeted = [{"event": "action", "name": "action_greet", "timestamp": 1_700_000_001.0}]
    assert (await greet("/greet", []))[0] == "utter_greet_known"
    # The page reloaded within the visit: its greeting payload gets nothing (history is shown).
    assert await greet("/greet", greeted) == []
    # The customer types "hello again": an answer, not a second "Welcome back".
    assert await greet("hello again", greeted) == ["utter_greet_again"]
    # A new visit (a new session) is welcomed again.
    new_visit = [*greeted, {"event": "session_started", "timestamp": 1_700_009_000.0}]
    assert (await greet("/greet", new_visit))[0] == "utter_greet_known"


async def test_start_up_loads_everything_then_says_ready(
    shop: sessionmaker[Session], tiny_encoder: None
) -> None:
    readiness = Readiness()
    assert not readiness.ready and readiness.body() == {"status": "loading"}
    await readiness.warm_up()
    assert readiness.ready, readiness.body()
    assert readiness.body()["status"] == "ready" and readiness.body()["loaded_in_s"] >= 0


async def test_start_up_that_fails_says_why(sessions: sessionmaker[Session]) -> None:
    from sqlalchemy import text

    with sessions.begin() as s:
        s.execute(text("DROP TABLE product"))
    context.configure(sessions)
    try:
        readiness = Readiness()
        await readiness.warm_up()
    finally:
        context.configure(None)
    assert not readiness.ready
    assert readiness.body()["status"] == "failed"
    assert "product" in readiness.body()["error"]
