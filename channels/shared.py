"""Gateway state that replicas share through Redis (RAPPORT_REDIS_URL), each beside the
in-process version one gateway uses: ordering locks, staff sessions, the console's live events.

(socket.io rooms go through python-socketio's own Redis manager: channels/webchat.py. The
burst and login limits stay per process: each replica counts on its own.)
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import Any

from redis.asyncio import Redis

from channels.console.auth import SESSION_TTL_S, StaffSession
from channels.handoff.hub import ConsoleHub

log = logging.getLogger(__name__)

PREFIX = "rapport:gateway"
LOCK_TIMEOUT_S = 120.0  # a lock whose holder died is free again after this


class RedisLocks:
    """One Redis lock per key: a customer's messages and handoff changes, in order, whichever
    replica takes them. Used like the in-process locks: `async with locks(customer_id): ...`."""

    def __init__(self, redis: Redis, name: str) -> None:
        self._redis = redis
        self._name = name

    def __call__(self, key: object) -> Any:
        return self._redis.lock(
            f"{PREFIX}:lock:{self._name}:{key}", timeout=LOCK_TIMEOUT_S, sleep=0.02
        )


class RedisSessions:
    """Logged-in staff by cookie token, in Redis with their expiry: a login on one replica is
    good on every other, a logout everywhere."""

    def __init__(self, redis: Redis, ttl_s: float = SESSION_TTL_S) -> None:
        self._redis = redis
        self.ttl_s = ttl_s

    @staticmethod
    def _key(token: str) -> str:
        return f"{PREFIX}:staff-session:{token}"

    async def open(self, staff_id: int, username: str, first_name: str) -> tuple[str, StaffSession]:
        token = secrets.token_urlsafe(32)
        session = StaffSession(
            staff_id, username, first_name, secrets.token_urlsafe(32), time.time() + self.ttl_s
        )
        await self._redis.set(self._key(token), json.dumps(asdict(session)), ex=int(self.ttl_s))
        return token, session

    async def get(self, token: str | None) -> StaffSession | None:
        if not token:
            return None
        raw = await self._redis.get(self._key(token))
        if raw is None:
            return None
        try:
            session = StaffSession(**json.loads(raw))
        except (TypeError, ValueError):
            return None
        return session if session.expires >= time.time() else None

    async def close(self, token: str | None) -> None:
        if token:
            await self._redis.delete(self._key(token))


class RedisHub(ConsoleHub):
    """Console events published through Redis, so every console sees every replica's events:
    `publish` sends, a listener hands what comes back (its own events too) to local consoles."""

    CHANNEL = f"{PREFIX}:console"

    def __init__(self, redis: Redis) -> None:
        super().__init__()
        self._redis = redis
        self._pending: set[asyncio.Task[Any]] = set()

    def publish(self, event: dict[str, Any]) -> None:
        task = asyncio.get_running_loop().create_task(self._send(json.dumps(event)))
        self._pending.add(task)
        task.add_done_callback(self._sent)

    async def _send(self, event: str) -> None:
        await self._redis.publish(self.CHANNEL, event)

    def _sent(self, task: asyncio.Task[Any]) -> None:
        self._pending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("a console event was not shared: %s", task.exception())

    async def listen(self) -> None:
        """Hand every event published by any replica to this replica's consoles."""
        async with self._redis.pubsub() as pubsub:
            await pubsub.subscribe(self.CHANNEL)
            async for message in pubsub.listen():
                if message.get("type") != "message":
                    continue
                try:
                    event = json.loads(message["data"])
                except (TypeError, ValueError):
                    continue
                super().publish(event)


async def connect(url: str) -> AsyncIterator[Redis]:
    """A Redis client for the gateway's life, checked at start-up (a wrong URL fails loudly)."""
    client = Redis.from_url(url)
    try:
        await client.ping()
    except Exception as exc:
        await client.aclose()
        raise RuntimeError(f"RAPPORT_REDIS_URL: Redis not reachable at {url}: {exc}") from exc
    try:
        yield client
    finally:
        await client.aclose()
