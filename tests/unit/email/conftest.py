"""Fixtures for the email channel: a migrated DB, a fake Rasa, a local smarthost, a channel."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from email.utils import formatdate
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy.orm import Session, sessionmaker

from channels.conversation import ConversationContext
from channels.email.channel import EmailChannel, SenderRateLimit
from channels.email.outbound import Smarthost as SmarthostClient
from channels.rasa_client import RasaClient
from tests.e2e.email.servers import Smarthost

SHOP = "shop@rapport.test"


class FakeRasa:
    """Speaks Rasa's REST webhook wire format; records what it received."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.replies: list[dict[str, Any]] = [{"text": "Noted, thank you!"}]
        self.status = 200
        self.url = ""

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append(body)
        if self.status != 200:
            return web.Response(status=self.status, text="boom")
        return web.json_response([{"recipient_id": body["sender"], **r} for r in self.replies])


@pytest.fixture
async def fake_rasa() -> AsyncIterator[FakeRasa]:
    rasa = FakeRasa()
    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", rasa.webhook)
    server = TestServer(app)
    await server.start_server()
    rasa.url = str(server.make_url("")).rstrip("/")
    yield rasa
    await server.close()


@pytest.fixture
def smarthost() -> Iterator[Smarthost]:
    host = Smarthost().start()
    yield host
    host.stop()


@pytest.fixture
async def make_channel(
    fake_rasa: FakeRasa, smarthost: Smarthost, sessions: sessionmaker[Session]
) -> AsyncIterator[Callable[..., EmailChannel]]:
    async with aiohttp.ClientSession() as http:

        def make(**overrides: Any) -> EmailChannel:
            values: dict[str, Any] = {
                "conversation": ConversationContext(
                    sessionmaker=sessions,
                    rasa=RasaClient(http, fake_rasa.url, 5.0),
                    max_message_chars=2000,
                ),
                "sessionmaker": sessions,
                "smarthost": SmarthostClient(
                    host="127.0.0.1", port=smarthost.port, starttls=False, attempts=1
                ),
                "shop_address": SHOP,
                "shop_name": "The Gourmet Butcher",
                "rate_limit": SenderRateLimit(20),
            }
            values.update(overrides)
            return EmailChannel(**values)

        yield make


def raw_mail(
    body: str = "I love veal paupiettes",
    *,
    sender: str = "Anne Martin <anne@example.com>",
    message_id: str = "<m1@example.com>",
    subject: str = "Hello",
    headers: dict[str, str] | None = None,
    content_type: str = 'text/plain; charset="utf-8"',
) -> bytes:
    """A simple mail as a customer's client would send it."""
    lines = [
        f"From: {sender}",
        f"To: The Gourmet Butcher <{SHOP}>",
        f"Subject: {subject}",
        f"Date: {formatdate()}",
        f"Message-ID: {message_id}",
        "MIME-Version: 1.0",
        f"Content-Type: {content_type}",
        "Content-Transfer-Encoding: 8bit",
    ]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n" + body.replace("\n", "\r\n") + "\r\n").encode()
