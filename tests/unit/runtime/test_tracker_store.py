"""The tracker store that keeps conversations between turns (rasa_runtime.tracker_store) hands
back only what the database still holds: another replica's events, an erasure, a failed turn
and a new session all read from the database as Rasa's own store would."""

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


def test_the_kept_tracker_is_handed_back_only_while_the_database_agrees(tmp_path: Path) -> None:
    run = subprocess.run(
        [
            str(RASA_PYTHON),
            str(Path(__file__).with_name("tracker_store_check.py")),
            str(tmp_path / "tracker.db"),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    found = json.loads(run.stdout.strip().splitlines()[-1])
    assert found == {
        "same object after a save": True,
        "hits": 1,
        "unsaved change reloaded": True,
        "other replica's event seen": True,
        "slot kept": True,
        "erased conversation gone": True,
        "new session read back alone": True,
        "rows stored once": 4,  # "al": 2 events, then 2 more; nothing twice
    }
