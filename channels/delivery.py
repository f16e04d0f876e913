"""Sending messages to a customer on their own channel, outside a reply (staff answers, offers).

Each channel registers one deliverer at start-up; the console and proactive features call
`deliver` without knowing how a channel sends.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

# (address on that channel, messages in Rasa's REST format: {"text", "buttons"?, ...}) -> None
Deliverer = Callable[[str, list[dict[str, Any]]], Awaitable[None]]

deliverers_key = web.AppKey("deliverers", dict[str, Deliverer])


class UnknownChannel(LookupError):
    pass


def register(app: web.Application, channel: str, deliverer: Deliverer) -> None:
    """Called from a channel's cleanup context; create_app made the (mutable) registry."""
    app[deliverers_key][channel] = deliverer


async def deliver(
    app: web.Application, channel: str, address: str, messages: list[dict[str, Any]]
) -> None:
    deliverer = app.get(deliverers_key, {}).get(channel)
    if deliverer is None:
        raise UnknownChannel(f"no deliverer registered for channel {channel!r}")
    await deliverer(address, messages)
