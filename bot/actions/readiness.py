"""Everything heavy is loaded when the action server starts, not on a customer's first message.

The catalogue and its vocabulary, the sentence model with the catalogue's embeddings, and the
fact reader are loaded in the background as soon as the server listens; until they are, the
server's `/health` answers 503 `{"status": "loading"}` (and `{"status": "failed", ...}` if
loading failed), so the gateway and `make run` know when the first customer will be answered
at full speed. Attached to rasa-sdk's Sanic app through its plugin hook (`rasa_sdk_plugins`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from sanic import Request, Sanic, response
from sanic.response import HTTPResponse

from bot.actions.context import catalogue, today
from bot.actions.offering import semantic_for
from tastes.reader import shared_reader

log = logging.getLogger(__name__)

WARM_UP_SENTENCE = "I love cheese but I'm allergic to walnuts"


class Readiness:
    """Loading, ready or failed; one per process."""

    def __init__(self) -> None:
        self.status = "loading"
        self.error: str | None = None
        self.seconds: float | None = None

    @property
    def ready(self) -> bool:
        return self.status == "ready"

    async def warm_up(self) -> None:
        started = time.monotonic()
        try:
            catalogue_now, vocabulary = await catalogue()
            index = await semantic_for(catalogue_now)  # the sentence model + catalogue vectors
            if index is not None:
                await asyncio.to_thread(index.encoder, [WARM_UP_SENTENCE])
            reader = await asyncio.to_thread(shared_reader)
            await asyncio.to_thread(reader.read, WARM_UP_SENTENCE, vocabulary, today())
        except Exception as exc:  # reported by /health; the actions still load lazily
            self.status, self.error = "failed", f"{type(exc).__name__}: {exc}"
            log.exception("warm-up of the action server failed")
            return
        self.seconds = round(time.monotonic() - started, 2)
        self.status = "ready"
        log.info("action server ready: models and catalogue loaded in %.1f s", self.seconds)

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": self.status}
        if self.error:
            body["error"] = self.error
        if self.seconds is not None:
            body["loaded_in_s"] = self.seconds
        return body


readiness = Readiness()


def attach(app: Sanic) -> None:
    """Warm up after the server starts listening; `/health` says 503 until it is done."""
    if not logging.getLogger().handlers:  # Sanic's worker process starts without any
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)-8s %(name)s  - %(message)s"
        )

    async def health_until_ready(request: Request) -> HTTPResponse | None:
        if request.path == "/health" and not readiness.ready:
            return response.json(readiness.body(), status=503)
        return None

    async def start_warm_up(app: Sanic) -> None:
        app.add_task(readiness.warm_up(), name="rapport-warm-up")

    app.register_middleware(health_until_ready, "request")
    app.register_listener(start_warm_up, "after_server_start")
