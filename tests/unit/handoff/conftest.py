"""A gateway with the console, a fake Rasa that speaks the HTTP API handoff uses, two agents."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from channels.app import create_app
from channels.console import login_throttle_key
from channels.delivery import register
from channels.limits import LoginThrottle
from profile_store.db import make_engine, make_sessionmaker
from profile_store.handoff import add_staff, hash_password
from rapport.settings import Settings

PASSWORD = "correct horse battery"
REST_TOKEN = "test-rest-token-" + "z" * 32
RESPONSES = {
    "utter_handing_over": "I'm passing you to a member of our team.",
    "utter_handing_over_closed": "The shop is closed; someone will answer {handoff_when}.",
    "utter_bot_back": "I'm back!",
}


@dataclass
class FakeRasa:
    """Rasa's REST webhook, tracker events and execute endpoints, with pause like Rasa 3.6."""

    received: list[dict[str, Any]] = field(default_factory=list)
    appended: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    executed: list[tuple[str, str]] = field(default_factory=list)
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    paused: set[str] = field(default_factory=set)
    slots: dict[tuple[str, str], Any] = field(default_factory=dict)
    # What the bot answers a text when not paused.
    answer: Callable[[str], list[dict[str, Any]]] = lambda text: (
        [{"custom": {"handoff": "request"}}]
        if text == "human please"
        else [{"text": f"bot answers: {text}"}]
    )
    # Answer even when paused (a tracker whose session expired and reset).
    ignore_pause: bool = False

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        sender = body["sender"]
        self.received.append(body)
        log = self.events.setdefault(sender, [])
        log.append({"event": "user", "text": body["message"], "metadata": body["metadata"]})
        if sender in self.paused and not self.ignore_pause:
            return web.json_response([])
        replies = self.answer(body["message"])
        for reply in replies:
            log.append({"event": "bot", "text": reply.get("text"), "data": reply, "metadata": {}})
        return web.json_response([{"recipient_id": sender, **r} for r in replies])

    async def append(self, request: web.Request) -> web.Response:
        sender = request.match_info["sender"]
        events = await request.json()
        events = events if isinstance(events, list) else [events]
        self.appended.setdefault(sender, []).extend(events)
        for event in events:
            if event["event"] == "pause":
                self.paused.add(sender)
            elif event["event"] == "resume":
                self.paused.discard(sender)
            elif event["event"] == "slot":
                self.slots[(sender, event["name"])] = event["value"]
            elif event["event"] == "bot":
                self.events.setdefault(sender, []).append(event)
        return web.json_response({"sender_id": sender})

    async def execute(self, request: web.Request) -> web.Response:
        sender = request.match_info["sender"]
        name = (await request.json())["name"]
        self.executed.append((sender, name))
        text = RESPONSES[name].replace(
            "{handoff_when}", str(self.slots.get((sender, "handoff_when")))
        )
        self.events.setdefault(sender, []).append({"event": "bot", "text": text, "metadata": {}})
        return web.json_response(
            {"tracker": {}, "messages": [{"recipient_id": sender, "text": text}]}
        )

    async def tracker(self, request: web.Request) -> web.Response:
        sender = request.match_info["sender"]
        return web.json_response({"sender_id": sender, "events": self.events.get(sender, [])})

    async def root(self, request: web.Request) -> web.Response:
        return web.Response(text="Hello from Rasa: 3.6.21")

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", self.webhook)
        app.router.add_post("/conversations/{sender}/tracker/events", self.append)
        app.router.add_post("/conversations/{sender}/execute", self.execute)
        app.router.add_get("/conversations/{sender}/tracker", self.tracker)
        app.router.add_get("/", self.root)
        return app


@pytest.fixture
async def fake_rasa() -> Any:
    rasa = FakeRasa()
    server = TestServer(rasa.app())
    await server.start_server()
    rasa_url = str(server.make_url("")).rstrip("/")
    yield rasa, rasa_url
    await server.close()


@dataclass
class Gateway:
    client: TestClient[Any, Any]
    rasa: FakeRasa
    delivered: list[tuple[str, str, list[dict[str, Any]]]]
    database_url: str

    async def say(self, sender: str, text: str) -> list[dict[str, Any]]:
        response = await self.client.post(
            "/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            headers={"Authorization": f"Bearer {REST_TOKEN}"},
        )
        assert response.status == 200, await response.text()
        return list(await response.json())

    async def login(self, username: str, password: str = PASSWORD) -> Agent:
        # Each agent gets their own cookie jar: a separate browser.
        client = TestClient(self.client.server)
        await client.start_server()
        response = await client.post(
            "/console/api/login", json={"username": username, "password": password}
        )
        assert response.status == 200, await response.text()
        return Agent(client, (await response.json())["csrf"])


@dataclass
class Agent:
    client: TestClient[Any, Any]
    csrf: str

    async def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return await self.client.post(
            f"/console/api/{path}", json=body or {}, headers={"X-CSRF-Token": self.csrf}
        )

    async def get(self, path: str) -> Any:
        return await self.client.get(f"/console/api/{path}")


@pytest.fixture
def make_gateway(
    database_url: str, fake_rasa: tuple[FakeRasa, str], aiohttp_client: Any
) -> Callable[..., Any]:
    rasa, rasa_url = fake_rasa
    engine = make_engine(database_url)
    with make_sessionmaker(engine).begin() as session:
        add_staff(session, "anne", "Anne", hash_password(PASSWORD))
        add_staff(session, "bruno", "Bruno", hash_password(PASSWORD))
    engine.dispose()

    async def make(login_clock: Callable[[], float] | None = None, **overrides: Any) -> Gateway:
        """A started gateway on these settings; `login_clock` drives its login throttle."""
        values: dict[str, Any] = {
            "database_url": database_url,
            "rasa_url": rasa_url,
            "session_secret": "test-secret-" + "x" * 40,
            "rest_token": REST_TOKEN,
            "rasa_timeout_s": 5.0,
            "opening_hours": "",  # always open unless a test says otherwise
        }
        values.update(overrides)
        settings = Settings(**values)
        app = create_app(settings)
        if login_clock is not None:
            app[login_throttle_key] = LoginThrottle(
                settings.login_max_failures,
                settings.login_max_failures_per_address,
                settings.login_window_s,
                login_clock,
            )
        delivered: list[tuple[str, str, list[dict[str, Any]]]] = []

        async def rest_deliverer(address: str, messages: list[dict[str, Any]]) -> None:
            delivered.append(("rest", address, messages))

        # REST has no way to push; the test stands in for a channel that has.
        register(app, "rest", rest_deliverer)
        client = await aiohttp_client(app)
        return Gateway(client, rasa, delivered, database_url)

    return make
