"""WhatsApp end to end: the Graph API stand-in first, then the real stack pointed at it.

The stack is the real one (Rasa with the trained model, the action server, the gateway as a
process); only Meta is played by us: the tests post signed notifications to the gateway as Meta
would, and read what the gateway sent to the stand-in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from rapport.stack import Stack
from tests.e2e.conftest import running_stack
from tests.e2e.whatsapp import meta
from tests.e2e.whatsapp.standin import GraphStandIn, StandInThread


@pytest.fixture(scope="session")
def graph_api() -> Iterator[GraphStandIn]:
    standin = GraphStandIn(access_token=meta.ACCESS_TOKEN, phone_number_id=meta.PHONE_NUMBER_ID)
    server = StandInThread(standin).start()
    standin.base_url = server.base_url  # type: ignore[attr-defined]
    try:
        yield standin
    finally:
        server.stop()


@pytest.fixture(scope="session")
def wa_stack(graph_api: GraphStandIn) -> Iterator[Stack]:
    env = {
        "WHATSAPP_PHONE_NUMBER_ID": meta.PHONE_NUMBER_ID,
        "WHATSAPP_ACCESS_TOKEN": meta.ACCESS_TOKEN,
        "WHATSAPP_APP_SECRET": meta.APP_SECRET,
        "WHATSAPP_VERIFY_TOKEN": meta.VERIFY_TOKEN,
        "WHATSAPP_API_BASE": graph_api.base_url,  # type: ignore[attr-defined]
    }
    with running_stack("whatsapp", env) as running:
        yield running


class Meta:
    """Plays Meta: posts notifications to the gateway's webhook, reads the stand-in's inbox."""

    def __init__(self, stack: Stack, graph: GraphStandIn) -> None:
        self.url = f"{stack.gateway_url}/webhooks/whatsapp"
        self.graph = graph

    async def post_raw(self, raw: bytes, headers: dict[str, str]) -> int:
        async with (
            aiohttp.ClientSession() as http,
            http.post(self.url, data=raw, headers=headers) as response,
        ):
            return response.status

    async def post(self, payload: dict[str, Any], secret: str = meta.APP_SECRET) -> int:
        raw, headers = meta.signed(payload, secret)
        return await self.post_raw(raw, headers)

    async def replies(
        self, wa_id: str, *, after: int, quiet_s: float = 1.5, timeout_s: float = 60
    ) -> list[dict[str, Any]]:
        """The messages sent to `wa_id` after the first `after`, once the gateway falls quiet."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        seen, stable_since = -1, loop.time()
        while loop.time() < deadline:
            count = len(self.graph.to(wa_id))
            if count != seen:
                seen, stable_since = count, loop.time()
            elif count > after and loop.time() - stable_since >= quiet_s:
                break
            await asyncio.sleep(0.1)
        return self.graph.to(wa_id)[after:]

    async def say(self, payload: dict[str, Any], wa_id: str) -> list[dict[str, Any]]:
        before = len(self.graph.to(wa_id))
        assert await self.post(payload) == 200
        return await self.replies(wa_id, after=before)


@pytest.fixture
def whatsapp(wa_stack: Stack, graph_api: GraphStandIn) -> Meta:
    return Meta(wa_stack, graph_api)


def bodies(messages: list[dict[str, Any]]) -> str:
    """Everything the customer reads in these messages."""
    out = []
    for m in messages:
        if m["type"] == "text":
            out.append(m["text"]["body"])
        elif m["type"] == "interactive":
            out.append(m["interactive"]["body"]["text"])
    return "\n".join(out)
