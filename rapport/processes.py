"""The three processes of the assistant and how each is started: one description, used by
`make run` (rapport.supervisor) and by the stacks of tests and benchmarks (rapport.stack)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rapport.settings import ROOT

RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
PROJECT_PYTHON = ROOT / ".venv" / "bin" / "python"
MODEL = ROOT / "models" / "rapport.tar.gz"
# Rasa's SQL tracker store, keeping each conversation between turns (rasa_runtime/tracker_store.py).
TRACKER_STORE = "rasa_runtime.tracker_store.CachingSQLTrackerStore"


@dataclass(frozen=True)
class Ports:
    rasa: int = 5005
    actions: int = 5055
    gateway: int = 8080


def commands(
    *,
    ports: Ports,
    endpoints: Path,
    model: Path = MODEL,
    python: Path | str = PROJECT_PYTHON,
    rasa_python: Path | str = RASA_PYTHON,
) -> dict[str, list[str]]:
    """Name -> argv, in start order. Every process listens on 127.0.0.1 only (the action
    server by SANIC_HOST, see environment()); the gateway's own address comes from
    RAPPORT_HOST / RAPPORT_PORT."""
    return {
        "actions": [
            str(python), "-m", "rasa_sdk", "--actions", "bot.actions", "--port", str(ports.actions)
        ],
        "rasa": [
            str(rasa_python),
            "-m",
            "rasa_runtime",  # `rasa run` with the speed-ups of rasa_runtime/speedups.py
            "run",
            "--enable-api",
            "--model",
            str(model),
            "--endpoints",
            str(endpoints),
            "--credentials",
            str(ROOT / "credentials.yml"),
            "--interface",
            "127.0.0.1",
            "--port",
            str(ports.rasa),
        ],
        "gateway": [str(python), "-m", "channels"],
    }  # fmt: skip


def environment(action_host: str = "127.0.0.1") -> dict[str, str]:
    """What every process needs in its environment, beyond the caller's settings."""
    return {
        "RASA_TELEMETRY_ENABLED": "false",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "PYTHONUNBUFFERED": "1",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        # rasa-sdk binds SANIC_HOST (0.0.0.0 by default): the action server answers Rasa only.
        "SANIC_HOST": action_host,
        # Rasa imports bot.components (its custom NLU components) and rasa_runtime from here.
        "PYTHONPATH": str(ROOT),
    }
