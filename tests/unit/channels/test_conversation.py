"""handle_message: one customer's messages reach Rasa one at a time, in arrival order."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from channels.conversation import ConversationContext, RejectedMessage, handle_message
from channels.rasa_client import RasaClient
from profile_store.db import make_engine, make_sessionmaker

pytestmark = pytest.mark.asyncio(loop_scope="session")


class RecordingRasa:
    """Stands in for RasaClient; the first message is slow, to tempt a reordering."""

    def __init__(self) -> None:
        self.order: list[str] = []
        self.in_flight = 0
        self.max_in_flight = 0

    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        await asyncio.sleep(0.2 if text == "1" else 0.01)
        self.order.append(text)
        self.in_flight -= 1
        return [{"recipient_id": sender, "text": f"echo {text}"}]


def _context(database_url: str, rasa: RecordingRasa) -> ConversationContext:
    engine = make_engine(database_url)
    rasa_client: RasaClient = rasa  # type: ignore[assignment]
    return ConversationContext(make_sessionmaker(engine), rasa_client, max_message_chars=100)


async def test_a_customers_messages_reach_rasa_in_order_one_at_a_time(database_url: str) -> None:
    rasa = RecordingRasa()
    ctx = _context(database_url, rasa)

    replies = await asyncio.gather(
        *(handle_message(ctx, "rest", "alice", t, f"m{t}", {}) for t in "12345")
    )

    assert rasa.order == list("12345")
    assert rasa.max_in_flight == 1
    assert [r[0]["text"] for r in replies] == [f"echo {t}" for t in "12345"]


async def test_different_customers_are_not_serialised(database_url: str) -> None:
    rasa = RecordingRasa()
    ctx = _context(database_url, rasa)

    await asyncio.gather(*(handle_message(ctx, "rest", who, "1", "m", {}) for who in ("a", "b")))

    assert rasa.max_in_flight == 2


async def test_a_rejected_message_never_reaches_rasa(database_url: str) -> None:
    rasa = RecordingRasa()
    ctx = _context(database_url, rasa)

    with pytest.raises(RejectedMessage):
        await handle_message(ctx, "rest", "alice", "   ", "m1", {})

    assert rasa.order == []


async def test_a_retried_message_id_is_processed_once_even_after_a_restart(
    database_url: str,
) -> None:
    rasa = RecordingRasa()
    first = await handle_message(_context(database_url, rasa), "rest", "dora", "2", "wamid.1", {})
    # A new context is a restarted gateway: its in-memory state is gone, the database is not.
    again = await handle_message(_context(database_url, rasa), "rest", "dora", "2", "wamid.1", {})

    assert first and again == []
    assert rasa.order == ["2"]


async def test_a_message_that_rasa_failed_on_is_processed_when_retried(database_url: str) -> None:
    from channels.rasa_client import RasaUnavailable

    class FlakyRasa(RecordingRasa):
        calls = 0

        async def send(
            self, sender: str, text: str, metadata: dict[str, Any]
        ) -> list[dict[str, Any]]:
            self.calls += 1
            if self.calls == 1:
                raise RasaUnavailable("down")
            return await super().send(sender, text, metadata)

    rasa = FlakyRasa()
    with pytest.raises(RasaUnavailable):
        await handle_message(_context(database_url, rasa), "rest", "eve", "2", "id-7", {})
    assert await handle_message(_context(database_url, rasa), "rest", "eve", "2", "id-7", {})
    assert rasa.order == ["2"]
