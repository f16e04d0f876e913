"""The real stack for end-to-end tests: trained model, Rasa server, action server, gateway, SQLite.

Started once per test session (Rasa takes ~40 s to load a model); each test uses fresh customers.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import socketio

from rapport.processes import MODEL, RASA_PYTHON
from rapport.settings import ROOT
from rapport.stack import Stack, free_port
from tastes.reader import DEFAULT_DIR as READER_DIR


@contextmanager
def running_stack(
    name: str,
    extra_env: dict[str, str] | None = None,
    *,
    database_url: str = "",
    tracker_db_url: str = "",
) -> Iterator[Stack]:
    """A real stack in var/test-<name>-<pid>/, stopped and removed afterwards (its logs are kept
    with RAPPORT_KEEP_TEST_LOGS=1). The trained model, or the one RAPPORT_TEST_MODEL names (a
    copy, while retraining). Its databases are SQLite files there unless URLs are given."""
    if not RASA_PYTHON.exists():
        pytest.fail(f"{RASA_PYTHON} is missing: run `make setup` (make test does it for you)")
    model = Path(os.environ.get("RAPPORT_TEST_MODEL") or MODEL)
    if not model.exists():
        pytest.fail(f"{model} is missing: run `make train` (make test does it for you)")
    if not (READER_DIR / "model.onnx").exists():
        pytest.fail(f"the fact reader is missing in {READER_DIR}: run `make train-facts`")
    workdir = ROOT / "var" / f"test-{name}-{os.getpid()}"
    shutil.rmtree(workdir, ignore_errors=True)
    running = Stack(
        workdir=workdir,
        model=model,
        extra_env=extra_env or {},
        database_url=database_url,
        tracker_db_url=tracker_db_url,
    ).start()
    try:
        yield running
    finally:
        running.stop()
        if not os.environ.get("RAPPORT_KEEP_TEST_LOGS"):
            shutil.rmtree(workdir, ignore_errors=True)


# A shop's own web site, on another origin than the gateway, allowed to embed the chat
# (tests/e2e/test_webchat_browser.py serves it there); any other site is not.
SHOP_SITE_PORT = free_port()
SHOP_SITE = f"http://127.0.0.1:{SHOP_SITE_PORT}"
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    with running_stack("e2e", {"RAPPORT_WEBCHAT_ORIGINS": SHOP_SITE}) as running:
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


def export_profile(stack: Stack, ref: str) -> dict[str, Any]:
    """The customer's JSON export, through the real CLI."""
    out = subprocess.run(
        [stack.python, "-m", "rapport", "profile", "export", ref],
        cwd=ROOT,
        env=stack.env(),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


class WebChatCustomer:
    """A customer in a browser, speaking Rasa's socketio protocol to the gateway."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.client = socketio.AsyncClient(reconnection=False)
        self.session_id: str | None = None
        self.history: list[dict[str, Any]] | None = None  # rapport_history, when resumed
        self.inbox: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
        self._confirmed: asyncio.Future[str] | None = None

        @self.client.on("session_confirm")
        async def _confirm(data: Any) -> None:
            sid = data["session_id"] if isinstance(data, dict) else data
            if self._confirmed and not self._confirmed.done():
                self._confirmed.set_result(sid)

        @self.client.on("rapport_history")
        async def _history(data: dict[str, Any]) -> None:
            self.history = data.get("messages")

        @self.client.on("bot_uttered")
        async def _bot(data: dict[str, Any]) -> None:
            await self.inbox.put(("bot_uttered", data))

        @self.client.on("rapport_error")
        async def _error(data: dict[str, Any]) -> None:
            await self.inbox.put(("rapport_error", data))

    async def connect(self, session_id: str | None = None) -> str:
        self._confirmed = asyncio.get_running_loop().create_future()
        await self.client.connect(self.url, transports=["websocket"])
        await self.client.emit("session_request", {"session_id": session_id})
        self.session_id = await asyncio.wait_for(self._confirmed, 10)
        return self.session_id

    async def say(
        self, text: str, *, quiet_s: float = 1.5, timeout_s: float = 60
    ) -> list[dict[str, Any]]:
        """Send one message and collect every reply until the bot falls quiet."""
        await self.client.emit(
            "user_uttered", {"message": text, "session_id": self.session_id, "customData": {}}
        )
        return await self.replies(quiet_s=quiet_s, timeout_s=timeout_s)

    async def tell(self, text: str) -> list[dict[str, Any]]:
        """State something, answering yes when the bot asks "Just to be sure: ...?" about it
        (how sure the reader is of a wording varies between trainings; what lands does not)."""
        latest = await self.say(text)
        replies = list(latest)
        for _ in range(3):
            if "just to be sure" not in texts(latest).lower():
                break
            latest = await self.say("yes")
            replies += latest
        return replies

    async def replies(self, *, quiet_s: float = 1.5, timeout_s: float = 60) -> list[dict[str, Any]]:
        got: list[dict[str, Any]] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while loop.time() < deadline:
            wait = quiet_s if got else deadline - loop.time()
            try:
                kind, data = await asyncio.wait_for(self.inbox.get(), max(wait, 0.01))
            except TimeoutError:
                if got:
                    break
                continue
            got.append({"event": kind, **data})
        return got

    async def close(self) -> None:
        await self.client.disconnect()


def texts(replies: list[dict[str, Any]]) -> str:
    return "\n".join(str(r.get("text", "")) for r in replies if r.get("event") == "bot_uttered")
