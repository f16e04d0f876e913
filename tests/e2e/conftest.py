"""The real stack for end-to-end tests: trained model, Rasa server, action server, gateway with
every channel on, SQLite; and the stand-ins for what we cannot reach (Meta, a mail provider).

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
from tests.e2e.email.servers import Dovecot, DovecotUnavailable, Smarthost
from tests.e2e.whatsapp import meta
from tests.e2e.whatsapp.meta import Meta
from tests.e2e.whatsapp.standin import GraphStandIn, StandInThread


@contextmanager
def running_stack(
    name: str,
    extra_env: dict[str, str] | None = None,
    *,
    database_url: str = "",
    tracker_db_url: str = "",
    rasa_replicas: int = 1,
    gateway_replicas: int = 1,
    redis_url: str = "",
    rabbitmq_url: str = "",
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
        rasa_replicas=rasa_replicas,
        gateway_replicas=gateway_replicas,
        redis_url=redis_url,
        rabbitmq_url=rabbitmq_url,
    ).start()
    try:
        yield running
    finally:
        running.stop()
        if not os.environ.get("RAPPORT_KEEP_TEST_LOGS"):
            shutil.rmtree(workdir, ignore_errors=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (`make test` runs `-n 2 --dist loadgroup`), every end-to-end test goes
    to the same worker, so one stack serves them all while the other worker runs unit tests."""
    e2e = Path(__file__).parent
    for item in items:
        if e2e in item.path.parents:
            item.add_marker(pytest.mark.xdist_group("e2e"))


# A shop's own web site, on another origin than the gateway, allowed to embed the chat
# (tests/e2e/test_webchat_browser.py serves it there); any other site is not.
SHOP_SITE_PORT = free_port()
SHOP_SITE = f"http://127.0.0.1:{SHOP_SITE_PORT}"
CHROMIUM = Path("/usr/bin/chromium")


SHOP = "shop@rapport.test"  # the shop's mail address
STAFF = ("anne", "Anne", "a long staff password")  # username, first name, password


@pytest.fixture(scope="session")
def graph_api() -> Iterator[GraphStandIn]:
    """Meta's Graph API, played on loopback: what the gateway sends on WhatsApp lands here."""
    standin = GraphStandIn(access_token=meta.ACCESS_TOKEN, phone_number_id=meta.PHONE_NUMBER_ID)
    server = StandInThread(standin).start()
    standin.base_url = server.base_url  # type: ignore[attr-defined]
    try:
        yield standin
    finally:
        server.stop()


@pytest.fixture(scope="session")
def smarthost() -> Iterator[Smarthost]:
    """The mail provider, played on loopback: what the shop sends by email lands here."""
    host = Smarthost().start()
    try:
        yield host
    finally:
        host.stop()


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot | None]:
    """A dovecot on loopback, or None (the IMAP tests then skip, saying why)."""
    try:
        server = Dovecot(user=SHOP).start()
    except (DovecotUnavailable, OSError) as exc:
        print(f"dovecot unavailable, IMAP tests will be skipped: {exc}")
        yield None
        return
    try:
        yield server
    finally:
        server.stop()


def add_staff(stack: Stack, username: str, first_name: str, password: str) -> None:
    """A staff account, through the real CLI."""
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


@pytest.fixture(scope="session")
def stack(
    graph_api: GraphStandIn, smarthost: Smarthost, dovecot: Dovecot | None
) -> Iterator[Stack]:
    """The whole assistant, once per test run (Rasa takes ~40 s to load a model): web chat
    (the shop's site allowed to embed it), WhatsApp (Meta played by the stand-in), email (SMTP
    in, IMAP in from the local dovecot, out through the local smarthost), the staff console
    with one account, staff always in. Each test uses customers of its own."""
    env = {
        "RAPPORT_WEBCHAT_ORIGINS": SHOP_SITE,
        "RAPPORT_OPENING_HOURS": "",  # the closed-shop answer is covered by the unit tests
        "WHATSAPP_PHONE_NUMBER_ID": meta.PHONE_NUMBER_ID,
        "WHATSAPP_ACCESS_TOKEN": meta.ACCESS_TOKEN,
        "WHATSAPP_APP_SECRET": meta.APP_SECRET,
        "WHATSAPP_VERIFY_TOKEN": meta.VERIFY_TOKEN,
        "WHATSAPP_API_BASE": graph_api.base_url,  # type: ignore[attr-defined]
        "RAPPORT_EMAIL_ADDRESS": SHOP,
        "RAPPORT_SMTP_LISTEN_HOST": "127.0.0.1",
        "RAPPORT_SMTP_LISTEN_PORT": str(free_port()),
        "RAPPORT_SMTP_RELAY_HOST": "127.0.0.1",
        "RAPPORT_SMTP_RELAY_PORT": str(smarthost.port),
        "RAPPORT_SMTP_RELAY_STARTTLS": "false",
    }
    if dovecot is not None:
        env.update(
            RAPPORT_IMAP_HOST="127.0.0.1",
            RAPPORT_IMAP_PORT=str(dovecot.port),
            RAPPORT_IMAP_USER=dovecot.user,
            RAPPORT_IMAP_PASSWORD=dovecot.password,
            RAPPORT_IMAP_SSL="false",
            RAPPORT_IMAP_POLL_S="1",
        )
    with running_stack("e2e", env) as running:
        add_staff(running, *STAFF)
        yield running


@pytest.fixture
def whatsapp(stack: Stack, graph_api: GraphStandIn) -> Meta:
    return Meta(stack, graph_api)


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

        @self.client.on("rapport_turn_end")
        async def _turn_end(data: Any = None) -> None:
            await self.inbox.put(("rapport_turn_end", {}))

    async def connect(self, session_id: str | None = None) -> str:
        self._confirmed = asyncio.get_running_loop().create_future()
        await self.client.connect(self.url, transports=["websocket"])
        await self.client.emit("session_request", {"session_id": session_id})
        self.session_id = await asyncio.wait_for(self._confirmed, 10)
        return self.session_id

    async def say(self, text: str, *, timeout_s: float = 60) -> list[dict[str, Any]]:
        """Send one message and collect every reply, up to the gateway's end of the turn."""
        await self.client.emit(
            "user_uttered", {"message": text, "session_id": self.session_id, "customData": {}}
        )
        got: list[dict[str, Any]] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            try:
                kind, data = await asyncio.wait_for(self.inbox.get(), deadline - loop.time())
            except TimeoutError:
                raise AssertionError(
                    f"no end of turn {timeout_s} s after {text!r}: {got}"
                ) from None
            if kind == "rapport_turn_end":
                return got
            got.append({"event": kind, **data})

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
            if kind != "rapport_turn_end":
                got.append({"event": kind, **data})
        return got

    async def close(self) -> None:
        await self.client.disconnect()


def texts(replies: list[dict[str, Any]]) -> str:
    return "\n".join(str(r.get("text", "")) for r in replies if r.get("event") == "bot_uttered")
