"""Client for the Graph API's `POST /{phone-number-id}/messages`, with retries that never resend.

The Cloud API has no idempotency key, so a request is only retried when WhatsApp certainly did
not take it: an HTTP 429, a 5xx, a rate-limit error code, or a connection that never opened.
A timeout after the request left is ambiguous: it is reported, never retried.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

log = logging.getLogger(__name__)

# Graph error codes meaning "too many requests, try later" (sent with HTTP 400 as well as 429).
RATE_LIMIT_CODES = {4, 80007, 130429, 131048, 131056}
# The customer's 24-hour window is closed: only a template message may be sent.
OUTSIDE_WINDOW_CODES = {131047}
MAX_RETRY_AFTER_S = 30.0


class GraphError(Exception):
    """The Graph API did not accept the message."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        retryable: bool = False,
        ambiguous: bool = False,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.retryable = retryable
        # True when WhatsApp may have taken the message although we got no answer.
        self.ambiguous = ambiguous
        self.retry_after_s = retry_after_s

    @property
    def outside_window(self) -> bool:
        return self.code in OUTSIDE_WINDOW_CODES


def _retry_after(headers: Any) -> float | None:
    try:
        return min(max(float(headers.get("Retry-After", "")), 0.0), MAX_RETRY_AFTER_S)
    except (TypeError, ValueError):
        return None


def _error_from(status: int, body: object, retry_after_s: float | None) -> GraphError:
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    code = error.get("code") if isinstance(error.get("code"), int) else None
    message = str(error.get("message") or f"HTTP {status}")
    details = (
        error.get("error_data", {}).get("details")
        if isinstance(error.get("error_data"), dict)
        else None
    )
    if details:
        message = f"{message} ({details})"
    retryable = status == 429 or status >= 500 or code in RATE_LIMIT_CODES
    return GraphError(
        f"Graph API HTTP {status}, code {code}: {message}",
        status=status,
        code=code,
        retryable=retryable,
        retry_after_s=retry_after_s,
    )


class GraphClient:
    """Sends WhatsApp message objects for one business phone number."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        phone_number_id: str,
        access_token: str,
        *,
        timeout_s: float = 20.0,
        max_attempts: int = 4,
        backoff_s: float = 0.5,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._session = session
        self.url = f"{base_url.rstrip('/')}/{phone_number_id}/messages"
        self._headers = {"Authorization": f"Bearer {access_token}"}
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._max_attempts = max_attempts
        self._backoff_s = backoff_s
        self._sleep = sleep

    async def _post_once(self, payload: dict[str, Any]) -> str:
        try:
            async with self._session.post(
                self.url, json=payload, headers=self._headers, timeout=self._timeout
            ) as response:
                try:
                    body = await response.json(content_type=None)
                except ValueError:
                    body = None
                if response.status != 200:
                    raise _error_from(response.status, body, _retry_after(response.headers))
        except aiohttp.ClientConnectorError as exc:
            # The connection never opened: WhatsApp cannot have seen the message.
            raise GraphError(f"Graph API unreachable: {exc}", retryable=True) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise GraphError(
                f"no answer from the Graph API after sending: {exc!r}", ambiguous=True
            ) from exc
        messages = body.get("messages") if isinstance(body, dict) else None
        if (
            not isinstance(messages, list)
            or not messages
            or not isinstance(messages[0], dict)
            or not isinstance(messages[0].get("id"), str)
        ):
            # Accepted (HTTP 200) but unreadable: sending again could duplicate it.
            raise GraphError("Graph API answered 200 without a message id", ambiguous=True)
        return str(messages[0]["id"])

    async def send(self, payload: dict[str, Any]) -> str:
        """Send one message object; return WhatsApp's message id (wamid) or raise GraphError."""
        for attempt in range(1, self._max_attempts + 1):
            try:
                return await self._post_once(payload)
            except GraphError as exc:
                if not exc.retryable or attempt == self._max_attempts:
                    raise
                delay = exc.retry_after_s
                if delay is None:
                    delay = self._backoff_s * 2 ** (attempt - 1)
                log.info("Graph API busy (%s); retry %d in %.2fs", exc, attempt, delay)
                await self._sleep(delay)
        raise AssertionError("unreachable")  # the loop returns or raises
