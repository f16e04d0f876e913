"""What gateway replicas share through Redis: staff sessions, console events, ordering locks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from channels.console.auth import RedisSessions
from channels.handoff.hub import RedisHub
from channels.shared import RedisLocks
from tests.unit.channels.conftest import redis_or_skip


@pytest.fixture
async def replicas() -> AsyncIterator[tuple[Redis, Redis]]:
    """Two clients, as two gateway replicas hold them."""
    first, second = await redis_or_skip(), await redis_or_skip()
    yield first, second
    await first.aclose()
    await second.aclose()


async def test_a_login_on_one_replica_holds_on_the_other_until_logout(
    replicas: tuple[Redis, Redis],
) -> None:
    here, there = RedisSessions(replicas[0]), RedisSessions(replicas[1])
    token, session = await here.open(7, "anne", "Anne")
    assert await there.get(token) == session
    assert await there.get("forged-token") is None
    await there.close(token)
    assert await here.get(token) is None


async def test_console_events_of_one_replica_reach_the_consoles_of_the_other(
    replicas: tuple[Redis, Redis],
) -> None:
    publisher, receiver = RedisHub(replicas[0]), RedisHub(replicas[1])
    console = receiver.subscribe()
    listening = asyncio.create_task(receiver.listen())
    try:
        await asyncio.sleep(0.2)  # subscribed
        publisher.publish({"type": "profile", "customer_id": "c-1"})
        assert await asyncio.wait_for(console.get(), 5) == {
            "type": "profile",
            "customer_id": "c-1",
        }
    finally:
        listening.cancel()


async def test_one_customers_turns_are_taken_one_at_a_time_across_replicas(
    replicas: tuple[Redis, Redis],
) -> None:
    order: list[str] = []

    async def turn(locks: RedisLocks, name: str) -> None:
        async with locks("customer-42"):
            order.append(f"{name} in")
            await asyncio.sleep(0.2)
            order.append(f"{name} out")

    await asyncio.gather(
        turn(RedisLocks(replicas[0], "test"), "a"), turn(RedisLocks(replicas[1], "test"), "b")
    )
    assert order in (["a in", "a out", "b in", "b out"], ["b in", "b out", "a in", "a out"])
