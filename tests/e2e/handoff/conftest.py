"""The real stack for handoff: Rasa, actions, gateway with the console, one staff account, and
a real Chromium (Debian's, driven by Playwright)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from rapport.settings import ROOT
from rapport.stack import Stack
from tests.e2e.conftest import running_stack

STAFF = ("anne", "Anne", "a long staff password")


@pytest.fixture(scope="session")
def handoff_stack() -> Iterator[Stack]:
    # Staff are always in: the closed-shop answer is covered by the unit tests.
    with running_stack("handoff", {"RAPPORT_OPENING_HOURS": ""}) as running:
        username, first_name, password = STAFF
        subprocess.run(
            [
                running.python,
                "-m",
                "rapport",
                "staff",
                "add",
                username,
                "--first-name",
                first_name,
                "--password-stdin",
            ],
            cwd=ROOT,
            env=running.env(),
            input=password + "\n",
            text=True,
            check=True,
            capture_output=True,
        )
        yield running
