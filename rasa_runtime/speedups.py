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

VALIDATOR = "validator"
TRACKER_CACHE = "tracker_cache"
ALL = (VALIDATOR, TRACKER_CACHE)


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


def apply(names: set[str] | None = None) -> list[str]:
    """Apply the speed-ups named (default: those RAPPORT_RASA_SPEEDUPS asks for); what was
    applied, in words. Raises RasaChanged when Rasa's code is not the one expected."""
    import os

    from rasa.core.actions.action import RemoteAction

    wanted = chosen(os.environ.get("RAPPORT_RASA_SPEEDUPS")) if names is None else names
    applied = []
    if VALIDATOR in wanted:
        check_unchanged(RemoteAction._validate_action_result, VALIDATE_FINGERPRINT)
        RemoteAction._validate_action_result = _cached_validator()
        applied.append("action response validator built once")
    if TRACKER_CACHE in wanted:
        applied.append("tracker kept between turns (if endpoints.yml names the caching store)")
    return applied
