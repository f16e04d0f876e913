from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from rapport.processes import RASA_PYTHON
from rapport.settings import ROOT

needs_rasa = pytest.mark.skipif(
    not RASA_PYTHON.exists(), reason="needs .venv-rasa (make setup) to import Rasa"
)


def run_with_rasa(script: str, *args: str) -> Any:
    """Run a script of this folder with Rasa's Python; the JSON its last line prints."""
    run = subprocess.run(
        [str(RASA_PYTHON), str(Path(__file__).with_name(script)), *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])
