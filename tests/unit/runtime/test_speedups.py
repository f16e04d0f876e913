"""Rasa's action-response validation, built once (rasa_runtime.speedups): the same answers and
the same errors as Rasa's own, and a loud failure when the code it replaces has changed."""

from __future__ import annotations

import pytest

from tests.unit.runtime.conftest import needs_rasa, run_with_rasa


@needs_rasa
def test_the_validator_built_once_answers_as_rasas_own_and_refuses_a_changed_rasa() -> None:
    found = run_with_rasa("speedups_check.py")
    assert found["applied"] == ["action response validator built once"]
    assert found["after"] == found["before"]
    assert found["before"][:2] == ["ok True", "ok True"]
    errors = [o for o in found["before"] if o.startswith("error")]
    assert len(errors) == 5 and all(
        "Failed to validate Action server response" in e for e in errors
    )
    # Once patched, the function is no longer Rasa's: applying again would refuse to start.
    assert "is not the code rasa_runtime.speedups was written for" in found["guard"]


@pytest.mark.parametrize(
    ("setting", "names"),
    [
        (None, {"validator", "tracker_cache"}),
        ("1", {"validator", "tracker_cache"}),
        ("0", set()),
        ("validator, tracker_cache", {"validator", "tracker_cache"}),
        ("validator", {"validator"}),
    ],
)
def test_the_setting_chooses_the_speed_ups(setting: str | None, names: set[str]) -> None:
    from rasa_runtime.speedups import chosen

    assert chosen(setting) == names


def test_an_unknown_speed_up_is_refused_with_the_names_there_are() -> None:
    from rasa_runtime.speedups import chosen

    with pytest.raises(ValueError, match="unknown speed-up.*validator, tracker_cache"):
        chosen("validator,turbo")
