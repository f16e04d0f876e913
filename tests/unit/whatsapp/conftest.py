"""The gateway with WhatsApp on: a migrated temp database, a fake Rasa and the Graph stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.orm import Session, sessionmaker

from channels.app import create_app
from channels.whatsapp import whatsapp_key
from channels.whatsapp.service import WhatsAppChannel
from profile_store.db import make_engine, make_sessionmaker
from rapport.settings import Settings
from tests.e2e.whatsapp import meta
from tests.e2e.whatsapp.standin import GraphStandIn
from tests.unit.channels.conftest import FakeRasa


@pytest.fixture
def db(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
async def fake_rasa() -> AsyncIterator[FakeRasa]:
    from aiohttp import web

    rasa = FakeRasa(replies=[{"text": "Hello from the bot"}])
    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", rasa.webhook)
    app.router.add_get("/", rasa.root)
    server = TestServer(app)
    await server.start_server()
    rasa.url = str(server.make_url("")).rstrip("/")
    yield rasa
    await server.close()


@pytest.fixture
async def graph() -> AsyncIterator[tuple[GraphStandIn, str]]:
    standin = GraphStandIn(access_token=meta.ACCESS_TOKEN, phone_number_id=meta.PHONE_NUMBER_ID)
    server = TestServer(standin.make_app())
    await server.start_server()
    yield standin, str(server.make_url(f"/{standin.version}")).rstrip("/")
    await server.close()


@pytest.fixture
def wa_settings(
    database_url: str, fake_rasa: FakeRasa, graph: tuple[GraphStandIn, str]
) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": database_url,
            "rasa_url": fake_rasa.url,
            "session_secret": "test-secret-" + "x" * 40,
            "rasa_timeout_s": 5.0,
            "whatsapp_phone_number_id": meta.PHONE_NUMBER_ID,
            "whatsapp_access_token": meta.ACCESS_TOKEN,
            "whatsapp_app_secret": meta.APP_SECRET,
            "whatsapp_verify_token": meta.VERIFY_TOKEN,
            "whatsapp_api_base": graph[1],
        }
        values.update(overrides)
        return Settings(**values)

    return make


class Gateway:
    """The gateway app under test, with helpers to post signed notifications."""

    def __init__(self, client: TestClient[Any, Any]) -> None:
        self.client = client

    @property
    def channel(self) -> WhatsAppChannel:
        return self.client.app[whatsapp_key]  # type: ignore[index]

    async def post(
        self, payload: dict[str, Any], *, secret: str = meta.APP_SECRET, drain: bool = True
    ) -> int:
        raw, headers = meta.signed(payload, secret)
        response = await self.client.post("/webhooks/whatsapp", data=raw, headers=headers)
        if drain:
            await self.channel.drain(10)
        return response.status


@pytest.fixture
async def gateway(aiohttp_client: Any, wa_settings: Callable[..., Settings]) -> Gateway:
    return Gateway(await aiohttp_client(create_app(wa_settings())))
