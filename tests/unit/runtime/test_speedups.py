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
