"""Client for the parts of Rasa's HTTP API that handoff needs: tracker events and execute."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import aiohttp

from channels.rasa_client import RasaError, RasaUnavailable


class RasaTracker:
    """Appends events to a conversation's tracker, runs a response, reads the transcript."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, timeout_s: float) -> None:
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)

    def _url(self, sender: str, tail: str) -> str:
        return f"{self._base_url}/conversations/{quote(sender, safe='')}/{tail}"

    async def _call(self, method: str, url: str, body: Any = None) -> Any:
        try:
            async with self._session.request(
                method, url, json=body, timeout=self._timeout
            ) as response:
                if response.status >= 500:
                    raise RasaUnavailable(f"Rasa answered HTTP {response.status} on {url}")
                if response.status != 200:
                    raise RasaError(f"Rasa refused {method} {url}: HTTP {response.status}")
                return await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise RasaUnavailable(f"Rasa unreachable at {url}: {exc!r}") from exc
        except ValueError as exc:
            raise RasaError(f"Rasa answered with invalid JSON: {exc}") from exc

    async def append(self, sender: str, events: list[dict[str, Any]]) -> None:
        """Append events (pause, resume, bot, slot, action) without running anything."""
        await self._call("POST", self._url(sender, "tracker/events"), events)

    async def execute(self, sender: str, action: str) -> list[dict[str, Any]]:
        """Run one action (a response) now and return what it said."""
        body = await self._call("POST", self._url(sender, "execute"), {"name": action})
        messages = body.get("messages", []) if isinstance(body, dict) else []
        return [m for m in messages if isinstance(m, dict)]

    async def events(self, sender: str) -> list[dict[str, Any]]:
        """Every event of the conversation's tracker (all sessions)."""
        url = self._url(sender, "tracker") + "?include_events=ALL"
        body = await self._call("GET", url)
        events = body.get("events", []) if isinstance(body, dict) else []
        return [e for e in events if isinstance(e, dict)]


def transcript(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The messages of a tracker, for staff: who said what, when, on which channel."""
    lines: list[dict[str, Any]] = []
    for event in events:
        kind = event.get("event")
        metadata = event.get("metadata") or {}
        if kind == "user":
            lines.append(
                {
                    "from": "customer",
                    "text": str(event.get("text") or ""),
                    "channel": metadata.get("channel"),
                    "at": event.get("timestamp"),
                }
            )
        elif kind == "bot":
            text = event.get("text")
            data = event.get("data") or {}
            if not text and data.get("custom"):
                continue  # a payload for the gateway, never shown to the customer
            agent = metadata.get("agent")
            lines.append(
                {
                    "from": "agent" if agent else "bot",
                    "agent": metadata.get("first_name") if agent else None,
                    "text": str(text or ""),
                    "at": event.get("timestamp"),
                }
            )
    return lines
