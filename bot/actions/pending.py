"""Facts the reader was unsure of, waiting for the customer's yes or no ("Just to be sure: ...?").

They wait in the `pending_facts` slot, first in line the one asked about. While
`confirming_fact` is true a yes or a no answers that question; when the bot moves on to
another question (offers), the question closes but the facts keep waiting: the next unsure
fact asks about them again, and until then an avoid among them keeps its food out of offers.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import datetime
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

from tastes import StatedFact, describe

PENDING_SLOT = "pending_facts"
CONFIRMING_SLOT = "confirming_fact"
PENDING_TEXT_SLOT = "pending_fact"


def _as_slot(fact: StatedFact) -> dict[str, Any]:
    """A pending fact as JSON for the slot (the end date as ISO text)."""
    return {**asdict(fact), "until": fact.until.isoformat() if fact.until else None}


def pending(tracker: Tracker) -> list[StatedFact]:
    """The facts waiting, first the one asked about; malformed entries are skipped."""
    kept = []
    for item in tracker.get_slot(PENDING_SLOT) or []:
        try:
            until = item.get("until")
            kept.append(
                StatedFact(
                    **{
                        **item,
                        "confident": True,
                        "until": datetime.fromisoformat(until) if until else None,
                    }
                )
            )
        except (TypeError, ValueError, AttributeError):
            continue
    return kept


def confirming(tracker: Tracker) -> bool:
    return bool(tracker.get_slot(CONFIRMING_SLOT))


def ask(queue: list[StatedFact]) -> list[EventType]:
    """Slots for the question about queue[0], the rest waiting behind it."""
    return [
        SlotSet(PENDING_SLOT, [_as_slot(replace(f, confident=False)) for f in queue]),
        SlotSet(PENDING_TEXT_SLOT, describe(queue[0])),
        SlotSet(CONFIRMING_SLOT, True),
    ]


def close_question() -> list[EventType]:
    """Another question takes the floor; the facts keep waiting."""
    return [SlotSet(CONFIRMING_SLOT, None)]


def clear_pending() -> list[EventType]:
    return [
        SlotSet(PENDING_SLOT, None),
        SlotSet(PENDING_TEXT_SLOT, None),
        SlotSet(CONFIRMING_SLOT, None),
    ]
