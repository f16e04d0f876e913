"""The web chat's burst limit, over a real socket.io connection."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from channels.app import create_app
from rapport.settings import Settings
from tests.unit.channels.conftest import FakeRasa
from tests.unit.channels.test_webchat import Widget

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
async def widgets(
    aiohttp_client: Any, make_settings: Callable[..., Settings], fake_rasa: FakeRasa
) -> AsyncIterator[Callable[[], Awaitable[Widget]]]:
    """Widgets on one gateway that lets a session send 2 messages a minute."""
    fake_rasa.replies = [{"text": "Noted."}]
    settings = make_settings(rasa_url=fake_rasa.url, burst_max_messages=2, burst_window_s=60.0)
    client = await aiohttp_client(create_app(settings))
    opened: list[Widget] = []

    async def open_widget() -> Widget:
        widget = Widget()
        await widget.sio.connect(str(client.make_url("/")), transports=["websocket"])
        opened.append(widget)
        return widget

    yield open_widget
    for widget in opened:
        await widget.sio.disconnect()


async def test_a_burst_gets_an_error_event_and_reaches_nothing(
    widgets: Callable[[], Awaitable[Widget]],
    fake_rasa: FakeRasa,
    count_customers: Callable[[], int],
) -> None:
    widget = await widgets()
    session_id = await widget.session(None)
    for text in ("one", "two"):
        await widget.say(text, session_id)
        assert (await widget.next("bot_uttered"))["text"] == "Noted."
        await widget.next("rapport_turn_end")

    await widget.say("three", session_id)
    error = await widget.next("rapport_error")
    await widget.next("rapport_turn_end")

    assert error["code"] == "too_many_messages"
    assert "please wait" in error["message"]
    assert await widget.nothing_received()
    assert [m["message"] for m in fake_rasa.received] == ["one", "two"]
    assert count_customers() == 1


async def test_another_visitor_is_not_held_back(
    widgets: Callable[[], Awaitable[Widget]], fake_rasa: FakeRasa
) -> None:
    hasty, other = await widgets(), await widgets()
    hasty_session, other_session = await hasty.session(None), await other.session(None)
    for text in ("a", "b", "c"):
        await hasty.say(text, hasty_session)
    await hasty.next("rapport_error")

    await other.say("hello", other_session)

    assert (await other.next("bot_uttered"))["text"] == "Noted."
