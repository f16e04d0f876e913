"""Run by test_speedups.py with Rasa's Python: the patched validator against Rasa's own."""

from __future__ import annotations

import json
import sys

from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_runtime import speedups

CASES = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "x", "value": 1}], "responses": [{"text": "hi"}]},
    {"events": [{"event": "slot", "name": "x"}]},
    {"events": [{"event": "no_such_event"}]},
    {"events": "not a list"},
    {"responses": ["not an object"]},
    {"events": [{"event": "bot", "text": "a", "timestamp": "yesterday"}]},
]


def outcomes(action: RemoteAction) -> list[str]:
    out = []
    for case in CASES:
        try:
            out.append(f"ok {action._validate_action_result(case)}")
        except ValidationError as e:
            out.append(f"error {e.message} at {list(e.path)}")
    return out


DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [greet, affirm]
actions: [action_x]
slots:
  name:
    type: text
    mappings: [{type: custom}]
responses:
  utter_hi: [{text: hi}]
"""
)


def past_states_check() -> dict[str, bool]:
    events = [ActionExecuted("action_listen")]
    for i in range(6):
        events += [
            UserUttered(f"hi {i}", intent={"name": "greet" if i % 2 else "affirm"}),
            ActionExecuted("action_x"),
            SlotSet("name", f"n{i}"),
            ActionExecuted("action_listen"),
        ]
    tracker = DialogueStateTracker.from_events("jo", events, DOMAIN.slots)
    rasas = tracker.past_states(DOMAIN)
    speedups.apply({speedups.PAST_STATES})
    shared = tracker.past_states(DOMAIN)
    shared[-1].clear()  # callers change states in place: the next caller must not see it
    again = tracker.past_states(DOMAIN)
    tracker.update(UserUttered("bye", intent={"name": "greet"}))
    after_event = tracker.past_states(DOMAIN)
    fresh = DOMAIN.states_for_tracker_history(tracker)
    return {
        "same states": shared != [] and again == rasas,
        "an event is seen": after_event == fresh and after_event != rasas,
        "other arguments are not mixed up": tracker.past_states(DOMAIN, omit_unset_slots=True)
        == DOMAIN.states_for_tracker_history(tracker, omit_unset_slots=True),
    }


def main() -> None:
    action = RemoteAction("action_x", None)
    before = outcomes(action)
    applied = speedups.apply({speedups.VALIDATOR})
    after = outcomes(action)
    states = past_states_check()
    try:
        speedups.check_unchanged(
            RemoteAction._validate_action_result, speedups.VALIDATE_FINGERPRINT
        )
        guard = "no error"
    except speedups.RasaChanged as e:
        guard = str(e)
    print(
        json.dumps(
            {"applied": applied, "before": before, "after": after, "guard": guard, "states": states}
        )
    )


if __name__ == "__main__":
    sys.exit(main())
