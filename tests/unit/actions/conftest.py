from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session, sessionmaker

from bot.actions import context
from offers.catalogue import load_catalogue
from profile_store.repository import upsert_catalogue
from rapport.settings import ROOT


@pytest.fixture
def shop(sessions: sessionmaker[Session]) -> Iterator[sessionmaker[Session]]:
    """A profile store holding the demo catalogue, wired into the actions."""
    catalogue = load_catalogue(ROOT / "catalogue" / "demo.yml")
    with sessions.begin() as s:
        upsert_catalogue(
            s, (asdict(p) for p in catalogue.products), (asdict(o) for o in catalogue.offers)
        )
    context.configure(sessions)
    yield sessions
    context.configure(None)


@pytest.fixture
def tiny_encoder() -> Iterator[None]:
    """Offers ranked with a tiny deterministic encoder instead of the sentence model."""
    from bot.actions import offering
    from tests.unit.offers.test_personalisation import TinyEncoder

    offering.configure_semantic(encoder=TinyEncoder())
    yield
    offering.configure_semantic()


def tracker(
    text: str,
    *,
    sender: str = "cust-1",
    intent: str = "share_taste",
    entities: list[dict[str, Any]] | None = None,
    channel: str = "web",
) -> Tracker:
    return Tracker(
        sender_id=sender,
        slots={},
        latest_message={
            "text": text,
            "intent": {"name": intent, "confidence": 0.99},
            "entities": entities or [],
            "metadata": {"channel": channel},
        },
        events=[{"event": "session_started", "timestamp": 1_700_000_000.0}],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


async def run(action: Any, text: str, **kw: Any) -> list[dict[str, Any]]:
    """Run an action as the action server would, returning the messages it sends."""
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker(text, **kw), {})
    return [*dispatcher.messages, *({"event": e} for e in events)]


async def say(
    text: str, *, then: Any = None, slots: dict[str, Any] | None = None, **kw: Any
) -> list[dict[str, Any]]:
    """One customer turn as Rasa runs it: the fact reader first, then the intent's action.

    Returns the messages both sent, then their events, like `run`.
    """
    from bot.actions.facts import ActionReadFacts, ActionSaveTastes

    t = tracker(text, **kw)
    t.slots.update(slots or {})
    dispatcher = CollectingDispatcher()
    events = await ActionReadFacts().run(dispatcher, t, {})
    for event in events:
        if event.get("event") == "slot":
            t.slots[event["name"]] = event["value"]
    follow_up = ActionSaveTastes() if then is None else then
    events += await follow_up.run(dispatcher, t, {})
    return [*dispatcher.messages, *({"event": e} for e in events)]


async def tell(text: str, **kw: Any) -> list[dict[str, Any]]:
    """`say`, then "yes" to each "Just to be sure: ...?" (how sure the reader is of a wording
    varies between trainings; what the customer confirms does not)."""
    from bot.actions.facts import ActionConfirmFacts

    out = await say(text, **kw)
    slots = {
        m["event"]["name"]: m["event"]["value"]
        for m in out
        if isinstance(m.get("event"), dict) and m["event"].get("event") == "slot"
    }
    for _ in range(5):
        if not slots.get("pending_facts"):
            break
        t = tracker("yes", intent="affirm", sender=kw.get("sender", "cust-1"))
        t.slots.update(slots)
        dispatcher = CollectingDispatcher()
        events = await ActionConfirmFacts().run(dispatcher, t, {})
        out += [*dispatcher.messages, *({"event": e} for e in events)]
        slots.update({e["name"]: e["value"] for e in events if e.get("event") == "slot"})
    return out
