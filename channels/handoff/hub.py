"""Live updates for the staff console: every open console socket gets every event."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from redis.asyncio import Redis

log = logging.getLogger(__name__)

QUEUE_SIZE = 256


class ConsoleHub:
    """Fan-out of console events; a console too slow to keep up loses its oldest events."""

    def __init__(self) -> None:
        self._subscribers: set[asyncio.Queue[dict[str, Any]]] = set()

    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self._subscribers.discard(queue)

    def publish(self, event: dict[str, Any]) -> None:
        for queue in self._subscribers:
            if queue.full():
                # Dropping beats blocking a customer's message on a stalled staff browser.
                queue.get_nowait()
                log.warning("a console socket is not keeping up; dropped an event")
            queue.put_nowait(event)


class RedisHub(ConsoleHub):
    """Console events published through Redis, so every console sees every replica's events:
    `publish` sends, a listener hands what comes back (its own events too) to local consoles."""

    CHANNEL = "rapport:gateway:console"

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

    async def listen(self, retry_s: float = 1.0) -> None:
        """Hand every event published by any replica to this replica's consoles, subscribing
        again after Redis goes away (a restart) until cancelled."""
        while True:
            try:
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
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - Redis away: consoles wait, then resume
                log.warning("console events from other replicas paused: %s", exc)
                await asyncio.sleep(retry_s)
