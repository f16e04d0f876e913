"""Client for the Rasa server's REST channel (`POST /webhooks/rest/webhook`)."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp

log = logging.getLogger(__name__)


def custom_payload(message: dict[str, Any], key: str) -> Any:
    """What a bot message's `custom` payload holds under `key` (a request of the actions to the
    gateway, such as sending a linking code), or None."""
    custom = message.get("custom")
    return custom.get(key) if isinstance(custom, dict) else None


class RasaError(Exception):
    """Rasa did not give a usable answer; the customer is asked to retry."""


class RasaUnavailable(RasaError):
    """Rasa could not be reached, timed out or failed with a 5xx."""


class RasaClient:
    """Posts one customer message to Rasa and returns the bot's messages."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, timeout_s: float) -> None:
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._warm = False

    async def warm_up(self, text: str = "hello, any offers for me?") -> bool:
        """Have Rasa understand one sentence (nothing stored: no conversation is touched).

        A freshly loaded model spends seconds on its first message (TensorFlow builds its
        graphs); this spends them before a customer's message does. True once it is done.
        """
        if self._warm:
            return True
        try:
            async with self._session.post(
                f"{self._base_url}/model/parse", json={"text": text}, timeout=self._timeout
            ) as response:
                self._warm = response.status == 200
        except (aiohttp.ClientError, TimeoutError):
            return False
        return self._warm

    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        """Send `text` as `sender`; raise RasaUnavailable when Rasa cannot answer."""
        url = f"{self._base_url}/webhooks/rest/webhook"
        payload = {"sender": sender, "message": text, "metadata": metadata}
        try:
            async with self._session.post(url, json=payload, timeout=self._timeout) as response:
                if response.status >= 500:
                    raise RasaUnavailable(f"Rasa answered HTTP {response.status}")
                if response.status != 200:
                    raise RasaError(f"Rasa refused the message: HTTP {response.status}")
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise RasaUnavailable(f"Rasa unreachable at {url}: {exc!r}") from exc
        except ValueError as exc:  # a body that is not JSON
            raise RasaError(f"Rasa answered with invalid JSON: {exc}") from exc
        if not isinstance(body, list) or not all(isinstance(m, dict) for m in body):
            raise RasaError(f"Rasa answered with an unexpected shape: {type(body).__name__}")
        return body

    async def is_reachable(self, timeout_s: float = 2.0) -> bool:
        """True when Rasa's HTTP server answers its root URL."""
        try:
            async with self._session.get(
                f"{self._base_url}/", timeout=aiohttp.ClientTimeout(total=timeout_s)
            ) as response:
                return response.status < 500
        except (aiohttp.ClientError, TimeoutError):
            return False
