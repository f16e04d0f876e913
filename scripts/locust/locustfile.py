"""Locust scenarios: customers holding a realistic conversation, through the gateway's REST
endpoint (the full stack) or straight to Rasa's REST channel (bare Rasa, the same model).

    .venv/bin/locust -f scripts/locust/locustfile.py --host http://127.0.0.1:8080 StackCustomer
    .venv/bin/locust -f scripts/locust/locustfile.py --host http://127.0.0.1:5005 BareRasaCustomer

RAPPORT_REST_TOKEN: the gateway's bearer token; RAPPORT_LOCUST_THINK_S: the pause between two
messages of one customer (0: none, a closed loop at saturation). `make bench-locust` runs both
side by side on a stack of its own and draws the results.
"""

from __future__ import annotations

import os
import random
import sys
import uuid
from pathlib import Path

from locust import HttpUser, task

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # scripts/, for load_script

from load_script import REALISTIC  # noqa: E402

THINK_S = float(os.environ.get("RAPPORT_LOCUST_THINK_S", "0"))


def think(_user: HttpUser) -> float:
    return random.uniform(0.5 * THINK_S, 1.5 * THINK_S) if THINK_S else 0.0


class _Customer(HttpUser):
    abstract = True
    wait_time = think
    headers: dict[str, str] = {}

    def on_start(self) -> None:
        self.sender = "locust-" + uuid.uuid4().hex[:12]
        self.turn = 0

    @task
    def say(self) -> None:
        text = REALISTIC[self.turn % len(REALISTIC)]
        self.turn += 1
        with self.client.post(
            "/webhooks/rest/webhook",
            json={"sender": self.sender, "message": text},
            headers=self.headers,
            name="message",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
            elif not response.json():
                response.failure("no reply")


class StackCustomer(_Customer):
    """Through the gateway: Rapport as customers reach it."""

    headers = {"Authorization": f"Bearer {os.environ.get('RAPPORT_REST_TOKEN', '')}"}


class BareRasaCustomer(_Customer):
    """Straight to Rasa's REST channel with the project's model: what the stack adds is the
    difference."""
