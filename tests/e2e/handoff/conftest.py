"""The real stack for handoff: Rasa, actions, gateway with the console, one staff account, and
a real Chromium (Debian's, driven by Playwright)."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from rapport.settings import ROOT
from rapport.stack import Stack
from tests.e2e.conftest import running_stack

CHROMIUM = Path("/usr/bin/chromium")
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


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[object]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium (make test does, as root)")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        await chromium.close()
