"""Fixtures for the gateway: a migrated temp SQLite DB, settings, and a fake Rasa server."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis
from sqlalchemy import func, select

from profile_store.db import make_engine, make_sessionmaker
from profile_store.models import Customer
from rapport.settings import Settings

SECRET = "test-secret-" + "x" * 40
REST_TOKEN = "test-rest-token-" + "y" * 32
REST_AUTH = {"Authorization": f"Bearer {REST_TOKEN}"}
REDIS = os.environ.get("RAPPORT_TEST_REDIS_URL", "redis://127.0.0.1:6379/1")


async def redis_or_skip() -> Redis:
    """A client of the machine's Redis, as a gateway replica holds one; the test is skipped,
    with the reason, where there is none. The caller closes it."""
    redis = Redis.from_url(REDIS)
    try:
        await redis.ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "no Redis here"
        await redis.aclose()
        pytest.skip(f"Redis not reachable at {REDIS}: {exc.__class__.__name__}")
    return redis


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def make_settings(database_url: str) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": database_url,
            # Nothing listens there: any message that reaches "Rasa" fails loudly.
            "rasa_url": f"http://127.0.0.1:{unused_port()}",
            "action_url": f"http://127.0.0.1:{unused_port()}",
            "session_secret": SECRET,
            "rest_token": REST_TOKEN,
            "max_message_chars": 50,
            "rasa_timeout_s": 5.0,
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
def count_customers(database_url: str) -> Callable[[], int]:
    def count() -> int:
        engine = make_engine(database_url)
        try:
            with make_sessionmaker(engine)() as session:
                return int(session.scalar(select(func.count()).select_from(Customer)) or 0)
        finally:
            engine.dispose()

    return count


@dataclass
class FakeRasa:
    """A local server speaking Rasa's REST webhook wire format; records what it received."""

    received: list[dict[str, Any]] = field(default_factory=list)
    replies: list[dict[str, Any]] = field(
        default_factory=lambda: [{"text": "Hello!\n\nHow can I help?"}]
    )
    status: int = 200
    url: str = ""
    parsed: list[str] = field(default_factory=list)

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append(body)
        if self.status != 200:
            return web.Response(status=self.status, text="boom")
        return web.json_response([{"recipient_id": body["sender"], **r} for r in self.replies])

    async def root(self, request: web.Request) -> web.Response:
        return web.Response(text="Hello from Rasa: 3.6.21")

    async def parse(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.parsed.append(body["text"])
        return web.json_response({"text": body["text"], "intent": {"name": "greet"}})


@pytest.fixture
async def fake_rasa() -> Any:
    rasa = FakeRasa()
    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", rasa.webhook)
    app.router.add_get("/", rasa.root)
    app.router.add_post("/model/parse", rasa.parse)
    server = TestServer(app)
    await server.start_server()
    rasa.url = str(server.make_url("")).rstrip("/")
    yield rasa
    await server.close()
