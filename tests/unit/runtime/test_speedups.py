"""Rasa's action-response validation, built once (rasa_runtime.speedups): the same answers and
the same errors as Rasa's own, and a loud failure when the code it replaces has changed."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from rapport.processes import RASA_PYTHON
from rapport.settings import ROOT

pytestmark = pytest.mark.skipif(
    not RASA_PYTHON.exists(), reason="needs .venv-rasa (make setup) to import Rasa"
)


def test_the_validator_built_once_answers_as_rasas_own_and_refuses_a_changed_rasa() -> None:
    run = subprocess.run(
        [str(RASA_PYTHON), str(Path(__file__).with_name("speedups_check.py"))],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    found = json.loads(run.stdout.strip().splitlines()[-1])
    assert found["applied"] == ["action response validator built once"]
    assert found["after"] == found["before"]
    assert found["before"][:2] == ["ok True", "ok True"]
    errors = [o for o in found["before"] if o.startswith("error")]
    assert len(errors) == 5 and all(
        "Failed to validate Action server response" in e for e in errors
    )
    # Once patched, the function is no longer Rasa's: applying again would refuse to start.
    assert "is not the code rasa_runtime.speedups was written for" in found["guard"]
    assert found["states"] == {
        "same states": True,
        "an event is seen": True,
        "other arguments are not mixed up": True,
    }


@pytest.mark.parametrize(
    ("setting", "names"),
    [
        (None, {"validator", "tracker_cache", "past_states"}),
        ("1", {"validator", "tracker_cache", "past_states"}),
        ("0", set()),
        ("validator, past_states", {"validator", "past_states"}),
    ],
)
def test_the_setting_chooses_the_speed_ups(setting: str | None, names: set[str]) -> None:
    from rasa_runtime.speedups import chosen

    assert chosen(setting) == names


def test_an_unknown_speed_up_is_refused_with_the_names_there_are() -> None:
    from rasa_runtime.speedups import chosen

    with pytest.raises(ValueError, match="unknown speed-up.*validator, tracker_cache, past_states"):
        chosen("validator,turbo")
