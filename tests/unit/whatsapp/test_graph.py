"""The Graph API client against the stand-in: retries what WhatsApp did not take, never resends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from channels.whatsapp.graph import GraphClient, GraphError
from channels.whatsapp.render import text_message
from tests.e2e.whatsapp import meta
from tests.e2e.whatsapp.standin import Failure, GraphStandIn

pytestmark = pytest.mark.asyncio(loop_scope="session")
WA = "16505551234"


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def client(http: aiohttp.ClientSession, base: str, delays: list[float], **kw: Any) -> GraphClient:
    async def sleep(seconds: float) -> None:
        delays.append(seconds)

    return GraphClient(
        http, base, meta.PHONE_NUMBER_ID, meta.ACCESS_TOKEN, sleep=sleep, backoff_s=0.5, **kw
    )


async def test_sends_with_bearer_token_and_returns_the_wamid(
    http: aiohttp.ClientSession, graph: tuple[GraphStandIn, str]
) -> None:
    standin, base = graph
    wamid = await client(http, base, []).send(text_message(WA, "Hello"))
    assert wamid.startswith("wamid.")
    assert standin.sent == [text_message(WA, "Hello")]


async def test_rate_limits_and_server_errors_are_retried_with_backoff(
    http: aiohttp.ClientSession, graph: tuple[GraphStandIn, str]
) -> None:
    standin, base = graph
    standin.fail_next(
        Failure(429, 130429, "Rate limit hit"),
        Failure(503, 2, "Service temporarily unavailable"),
        Failure(400, 131056, "(Business Account, Consumer Account) pair rate limit hit"),
    )
    delays: list[float] = []
    await client(http, base, delays).send(text_message(WA, "Hello"))
    assert delays == [0.5, 1.0, 2.0]
    assert standin.attempts == 4 and len(standin.sent) == 1


async def test_retry_after_is_honoured(
    http: aiohttp.ClientSession, graph: tuple[GraphStandIn, str]
) -> None:
    standin, base = graph
    standin.fail_next(Failure(429, 130429, "Rate limit hit", retry_after="3"))
    delays: list[float] = []
    await client(http, base, delays).send(text_message(WA, "Hello"))
    assert delays == [3.0]


async def test_gives_up_after_max_attempts(
    http: aiohttp.ClientSession, graph: tuple[GraphStandIn, str]
) -> None:
    standin, base = graph
    standin.fail_next(*[Failure(500, 1, "An unknown error occurred")] * 4)
    with pytest.raises(GraphError) as caught:
        await client(http, base, []).send(text_message(WA, "Hello"))
    assert caught.value.status == 500 and standin.attempts == 4 and standin.sent == []


async def test_refusals_are_not_retried(
    http: aiohttp.ClientSession, graph: tuple[GraphStandIn, str]
) -> None:
    standin, base = graph
    standin.fail_next(Failure(400, 131047, "Re-engagement message"))
    with pytest.raises(GraphError) as caught:
        await client(http, base, []).send(text_message(WA, "Hello"))
    assert caught.value.outside_window and not caught.value.retryable
    assert standin.attempts == 1

    bad = text_message(WA, "x" * 4097)  # the stand-in checks the documented limit
    with pytest.raises(GraphError) as invalid:
        await client(http, base, []).send(bad)
    assert invalid.value.code == 100 and standin.attempts == 2


async def test_a_timeout_after_sending_is_ambiguous_and_never_retried(
    http: aiohttp.ClientSession, graph: tuple[GraphStandIn, str]
) -> None:
    standin, base = graph
    standin.fail_next(Failure(200, 0, "slow", delay_s=1.0))
    with pytest.raises(GraphError) as caught:
        await client(http, base, [], timeout_s=0.2).send(text_message(WA, "Hello"))
    assert caught.value.ambiguous and standin.attempts == 1


async def test_wrong_token_is_refused_by_the_stand_in(
    http: aiohttp.ClientSession, graph: tuple[GraphStandIn, str]
) -> None:
    _, base = graph
    bad = GraphClient(http, base, meta.PHONE_NUMBER_ID, "wrong-token")
    with pytest.raises(GraphError) as caught:
        await bad.send(text_message(WA, "Hello"))
    assert caught.value.status == 401 and caught.value.code == 190


async def test_an_unreachable_api_is_retried(http: aiohttp.ClientSession) -> None:
    from rapport.stack import free_port

    delays: list[float] = []
    with pytest.raises(GraphError) as caught:
        await client(http, f"http://127.0.0.1:{free_port()}/v21.0", delays).send(
            text_message(WA, "Hello")
        )
    assert caught.value.retryable and len(delays) == 3
