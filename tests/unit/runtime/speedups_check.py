"""Run by test_speedups.py with Rasa's Python: the patched validator against Rasa's own."""

from __future__ import annotations

import json
import sys

from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

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


def main() -> None:
    action = RemoteAction("action_x", None)
    before = outcomes(action)
    applied = speedups.apply({speedups.VALIDATOR})
    after = outcomes(action)
    try:
        speedups.check_unchanged(
            RemoteAction._validate_action_result, speedups.VALIDATE_FINGERPRINT
        )
        guard = "no error"
    except speedups.RasaChanged as e:
        guard = str(e)
    print(json.dumps({"applied": applied, "before": before, "after": after, "guard": guard}))


if __name__ == "__main__":
    sys.exit(main())
