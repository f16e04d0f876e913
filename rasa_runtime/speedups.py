"""Speed-ups for Rasa 3.6, each guarded so that a Rasa upgrade cannot silently bypass it.

Each has a name; RAPPORT_RASA_SPEEDUPS chooses them: `1` (the default) all, `0` none, or a
comma-separated list of names (to measure one lever at a time). The tracker store's cache
(`tracker_cache`, rasa_runtime.tracker_store) reads the same setting.

Validating action responses. Rasa 3.6 checks every action server response with
`jsonschema.validate(result, schema)`, which first re-checks the whole events schema against
the JSON Schema meta-schema and builds a new validator: ~31 ms per custom action call, ~40 % of
Rasa's CPU under load. Here the validator is built once per schema and reused: the same schema
(Rasa's own `action_response_format_spec()`), the same checks, the same best-matching error with
the same message. The patch applies only to the exact source it replaces (a fingerprint of
`RemoteAction._validate_action_result`); if Rasa's changes, start-up fails with a clear error
rather than running with a stale copy.
"""

from __future__ import annotations

import hashlib
import inspect
import threading
from collections.abc import Callable
from typing import Any

# sha256 of inspect.getsource(...) of the functions replaced, in rasa 3.6.21.
VALIDATE_FINGERPRINT = "f8cdb4be6812396167ced74161b2ccd65c5ea676ad86d7d359d8c322d9d8dc42"
PAST_STATES_FINGERPRINT = "5463eefb5c69d27f82cdc7eca84e23b4b82851e9a5ff575bd02447d4d987103b"

VALIDATOR = "validator"
TRACKER_CACHE = "tracker_cache"
PAST_STATES = "past_states"
ALL = (VALIDATOR, TRACKER_CACHE, PAST_STATES)


def chosen(setting: str | None) -> set[str]:
    """The speed-ups RAPPORT_RASA_SPEEDUPS asks for; an unknown name is an error."""
    value = (setting if setting is not None else "1").strip()
    if value in ("", "1", "all"):
        return set(ALL)
    if value == "0":
        return set()
    names = {n.strip() for n in value.split(",") if n.strip()}
    unknown = names - set(ALL)
    if unknown:
        raise ValueError(
            f"RAPPORT_RASA_SPEEDUPS: unknown speed-up(s) {sorted(unknown)}; use 1, 0 or some "
            f"of {', '.join(ALL)}"
        )
    return names


class RasaChanged(RuntimeError):
    """The function a speed-up replaces is not the one it was written for."""


def fingerprint(function: Callable[..., Any]) -> str:
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()


def check_unchanged(function: Callable[..., Any], expected: str) -> None:
    found = fingerprint(function)
    if found != expected:
        raise RasaChanged(
            f"{function.__qualname__} is not the code rasa_runtime.speedups was written for "
            f"(fingerprint {found}, expected {expected}): check the speed-up against the new "
            "Rasa, then update its fingerprint"
        )


def _cached_validator() -> Callable[[Any, dict[str, Any]], bool]:
    from jsonschema import ValidationError
    from jsonschema.exceptions import best_match
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import DOCS_BASE_URL

    lock = threading.Lock()
    built: dict[str, Any] = {}

    def validator(schema: dict[str, Any]) -> Any:
        key = repr(schema)  # the schema is static: built once, checked once against its meta
        with lock:
            found = built.get(key)
            if found is None:
                cls = validator_for(schema)
                cls.check_schema(schema)
                found = built[key] = cls(schema)
        return found

    def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
        error = best_match(validator(self.action_response_format_spec()).iter_errors(result))
        if error is None:
            return True
        assert isinstance(error, ValidationError)
        error.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error

    return _validate_action_result


def _shared_past_states(original: Callable[..., Any]) -> Callable[..., Any]:
    """Each policy (rules, memoization, TED) asks the tracker for its past states, with the same
    arguments, for every action predicted: the states of the whole session, rebuilt by replaying
    every event, three times over. The tracker keeps the last answer and gives each caller its
    own copy (callers change the last state in place), as long as no event was added since."""

    def past_states(
        self: Any,
        domain: Any,
        omit_unset_slots: bool = False,
        ignore_rule_only_turns: bool = False,
        rule_only_data: dict[str, Any] | None = None,
    ) -> list[Any]:
        events = self.events
        last = events[-1] if events else None
        key = (len(events), omit_unset_slots, ignore_rule_only_turns)
        memo = self.__dict__.get("_rapport_past_states")
        if (
            memo is not None
            and memo[0] == key
            and memo[1] is last
            and memo[2] is domain
            and memo[3] is rule_only_data
        ):
            states = memo[4]
        else:
            states = original(
                self,
                domain,
                omit_unset_slots=omit_unset_slots,
                ignore_rule_only_turns=ignore_rule_only_turns,
                rule_only_data=rule_only_data,
            )
            # The objects themselves are kept, so their ids cannot be reused while compared.
            self.__dict__["_rapport_past_states"] = (key, last, domain, rule_only_data, states)
        # A state is {sub-state name: {feature: str or tuple}}: two levels are all that change.
        return [{name: dict(sub) for name, sub in state.items()} for state in states]

    return past_states


def apply(names: set[str] | None = None) -> list[str]:
    """Apply the speed-ups named (default: those RAPPORT_RASA_SPEEDUPS asks for); what was
    applied, in words. Raises RasaChanged when Rasa's code is not the one expected."""
    import os

    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.trackers import DialogueStateTracker

    wanted = chosen(os.environ.get("RAPPORT_RASA_SPEEDUPS")) if names is None else names
    applied = []
    if VALIDATOR in wanted:
        check_unchanged(RemoteAction._validate_action_result, VALIDATE_FINGERPRINT)
        RemoteAction._validate_action_result = _cached_validator()
        applied.append("action response validator built once")
    if PAST_STATES in wanted:
        check_unchanged(DialogueStateTracker.past_states, PAST_STATES_FINGERPRINT)
        DialogueStateTracker.past_states = _shared_past_states(DialogueStateTracker.past_states)
        applied.append("past states shared by the policies")
    if TRACKER_CACHE in wanted:
        applied.append("tracker kept between turns (if endpoints.yml names the caching store)")
    return applied
