"""Live updates for the staff console: every open console socket gets every event."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

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
