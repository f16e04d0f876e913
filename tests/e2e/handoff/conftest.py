"""The real stack for handoff: Rasa, actions, gateway with the console, one staff account, and
a real Chromium (Debian's, driven by Playwright)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from rapport.settings import ROOT
from rapport.stack import MODEL, RASA_BIN, Stack

CHROMIUM = Path("/usr/bin/chromium")
STAFF = ("anne", "Anne", "a long staff password")


@pytest.fixture(scope="session")
def handoff_stack() -> Iterator[Stack]:
    if not RASA_BIN.exists():
        pytest.fail(f"{RASA_BIN} is missing: run `make setup` (make test does it for you)")
    # The trained model, unless RAPPORT_TEST_MODEL points at another (as the WhatsApp e2e).
    model = Path(os.environ.get("RAPPORT_TEST_MODEL") or MODEL)
    if not model.exists():
        pytest.fail(f"{model} is missing: run `make train` (make test does it for you)")
    workdir = ROOT / "var" / f"test-handoff-{os.getpid()}"
    shutil.rmtree(workdir, ignore_errors=True)
    # Staff are always in: the closed-shop answer is covered by the unit tests.
    stack = Stack(workdir=workdir, model=model, extra_env={"RAPPORT_OPENING_HOURS": ""})
    running = stack.start()
    username, first_name, password = STAFF
    subprocess.run(
        [
            stack.python,
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
        env=stack.env(),
        input=password + "\n",
        text=True,
        check=True,
        capture_output=True,
    )
    try:
        yield running
    finally:
        running.stop()
        if not os.environ.get("RAPPORT_KEEP_TEST_LOGS"):
            shutil.rmtree(workdir, ignore_errors=True)


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
