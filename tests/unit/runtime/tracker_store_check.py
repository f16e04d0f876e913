"""Run by test_tracker_store.py with Rasa's Python: the caching tracker store against a second
plain SQLTrackerStore on the same database (another replica, or the gateway's erasure)."""

from __future__ import annotations

import asyncio
import json
import sys

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_runtime.tracker_store import CachingSQLTrackerStore

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [greet]
slots:
  name:
    type: text
    mappings: [{type: custom}]
"""
)


async def main(db: str) -> dict[str, object]:
    cached = CachingSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=db)
    other = SQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=db)
    found: dict[str, object] = {}

    tracker = DialogueStateTracker.from_events(
        "jo", [SessionStarted(), ActionExecuted("action_listen"), UserUttered("hi")], DOMAIN.slots
    )
    await cached.save(tracker)
    again = await cached.retrieve("jo")
    found["same object after a save"] = again is tracker
    found["hits"] = cached.hits

    again.update(UserUttered("unsaved"))  # a turn that failed before saving
    reloaded = await cached.retrieve("jo")
    found["unsaved change reloaded"] = reloaded is not tracker and [
        e.text for e in reloaded.events if isinstance(e, UserUttered)
    ] == ["hi"]

    reloaded.update(SlotSet("name", "Jo"))
    await cached.save(reloaded)
    written = await other.retrieve("jo")
    written.update(UserUttered("from the other replica"))
    await other.save(written)
    seen = await cached.retrieve("jo")
    found["other replica's event seen"] = [
        e.text for e in seen.events if isinstance(e, UserUttered)
    ] == ["hi", "from the other replica"]
    found["slot kept"] = seen.get_slot("name") == "Jo"

    with other.session_scope() as session:  # the gateway's erasure deletes the rows
        session.execute(sa.delete(other.SQLEvent).where(other.SQLEvent.sender_id == "jo"))
        session.commit()
    found["erased conversation gone"] = await cached.retrieve("jo") is None

    fresh = DialogueStateTracker.from_events(
        "al", [SessionStarted(), UserUttered("a")], DOMAIN.slots
    )
    await cached.save(fresh)
    fresh.update(SessionStarted())  # a new session began during the turn
    fresh.update(UserUttered("b"))
    await cached.save(fresh)
    next_turn = await cached.retrieve("al")
    found["new session read back alone"] = next_turn is not fresh and [
        e.text for e in next_turn.events if isinstance(e, UserUttered)
    ] == ["b"]
    with cached.session_scope() as session:
        found["rows stored once"] = session.execute(
            sa.select(sa.func.count()).select_from(cached.SQLEvent)
        ).scalar_one()
    return found


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1]))))
