"""The web chat over a real socket.io connection, as a Rasa web widget would drive it."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import socketio

from channels.app import create_app
from channels.webchat import issue_session_id, verify_session_id
from rapport.settings import Settings
from tests.unit.channels.conftest import SECRET, FakeRasa

pytestmark = pytest.mark.asyncio(loop_scope="session")

EVENTS = ("session_confirm", "bot_uttered", "rapport_error", "rapport_turn_end")


class Widget:
    """A socket.io client that records every event the server sends it."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.queues: dict[str, asyncio.Queue[Any]] = {e: asyncio.Queue() for e in EVENTS}
        self.order: list[str] = []  # every event received, in order
        for event in EVENTS:
            self.sio.on(event, self._recorder(event))

    def _recorder(self, event: str) -> Callable[[Any], Awaitable[None]]:
        async def record(data: Any = None) -> None:
            self.order.append(event)
            await self.queues[event].put(data)

        return record

    async def next(self, event: str, timeout: float = 5.0) -> Any:
        return await asyncio.wait_for(self.queues[event].get(), timeout)

    async def session(self, session_id: str | None = None) -> str:
        await self.sio.emit("session_request", {"session_id": session_id})
        confirmed = await self.next("session_confirm")
        assert isinstance(confirmed, str)
        return confirmed

    async def say(self, message: str, session_id: str) -> None:
        await self.sio.emit("user_uttered", {"message": message, "session_id": session_id})

    async def nothing_received(self) -> bool:
        await asyncio.sleep(0.3)
        return all(q.empty() for q in self.queues.values())


Connect = Callable[..., Awaitable[Widget]]


@pytest.fixture
async def connect(
    aiohttp_client: Any, make_settings: Callable[..., Settings], fake_rasa: FakeRasa
) -> AsyncIterator[Connect]:
    """connect(**settings overrides) -> a connected Widget; Rasa is the fake one by default."""
    widgets: list[Widget] = []
    clients: dict[str, Any] = {}

    async def go(**overrides: Any) -> Widget:
        key = repr(sorted(overrides.items()))
        if key not in clients:
            overrides.setdefault("rasa_url", fake_rasa.url)
            clients[key] = await aiohttp_client(create_app(make_settings(**overrides)))
        widget = Widget()
        await widget.sio.connect(str(clients[key].make_url("/")), transports=["websocket"])
        widgets.append(widget)
        return widget

    yield go
    for widget in widgets:
        await widget.sio.disconnect()


async def test_a_new_visitor_gets_a_signed_session_id(
    connect: Connect, count_customers: Callable[[], int]
) -> None:
    widget = await connect()

    session_id = await widget.session(None)

    assert verify_session_id(SECRET, session_id)
    assert count_customers() == 0  # the customer is created at the first message, not at connect


async def test_a_reload_resumes_the_same_session_and_customer(
    connect: Connect, fake_rasa: FakeRasa, count_customers: Callable[[], int]
) -> None:
    first = await connect()
    session_id = await first.session(None)
    await first.say("hello", session_id)
    await first.next("bot_uttered")
    await first.sio.disconnect()

    reloaded = await connect()
    assert await reloaded.session(session_id) == session_id
    await reloaded.say("me again", session_id)
    await reloaded.next("bot_uttered")

    assert fake_rasa.received[0]["sender"] == fake_rasa.received[1]["sender"]
    assert count_customers() == 1


@pytest.mark.parametrize(
    "requested",
    [
        "some-id-rasa-webchat-made-up",
        "a" * 22 + "." + "b" * 22,
        pytest.param(issue_session_id("a secret that is not the server's"), id="another-secret"),
        12345,
    ],
)
async def test_an_id_the_server_did_not_sign_is_never_adopted(
    connect: Connect, requested: object
) -> None:
    widget = await connect()

    await widget.sio.emit("session_request", {"session_id": requested})
    confirmed = await widget.next("session_confirm")

    assert confirmed != requested
    assert verify_session_id(SECRET, confirmed)


async def test_a_conversation_round_trip(
    connect: Connect, fake_rasa: FakeRasa, count_customers: Callable[[], int]
) -> None:
    fake_rasa.replies = [
        {"text": "Welcome back Philippe!\n\nShall I show today's offers?"},
        {"text": "Pick one", "buttons": [{"title": "Yes please", "payload": "/affirm"}]},
    ]
    widget = await connect()
    session_id = await widget.session(None)

    await widget.sio.emit(
        "user_uttered",
        {"message": "/greet", "session_id": session_id, "customData": {"language": "en"}},
    )

    assert await widget.next("bot_uttered") == {"text": "Welcome back Philippe!"}
    assert await widget.next("bot_uttered") == {"text": "Shall I show today's offers?"}
    assert await widget.next("bot_uttered") == {
        "text": "Pick one",
        "quick_replies": [{"content_type": "text", "title": "Yes please", "payload": "/affirm"}],
    }
    [sent] = fake_rasa.received
    assert sent["message"] == "/greet"
    assert sent["metadata"]["channel"] == "web"
    assert sent["metadata"]["address"] == hashlib.sha256(session_id.encode()).hexdigest()
    assert sent["metadata"]["custom_data"] == {"language": "en"}
    assert session_id not in str(sent)  # the bearer id never leaves the gateway
    assert count_customers() == 1


async def test_each_message_ends_its_turn_after_its_last_reply_or_its_error(
    connect: Connect, fake_rasa: FakeRasa
) -> None:
    fake_rasa.replies = [{"text": "One"}, {"text": "Two"}]
    widget = await connect()
    session_id = await widget.session(None)

    await widget.say("hello", session_id)
    await widget.next("rapport_turn_end")
    await widget.say("", session_id)  # refused: empty
    await widget.next("rapport_turn_end")

    assert widget.order == [
        "session_confirm",
        "bot_uttered",
        "bot_uttered",
        "rapport_turn_end",
        "rapport_error",
        "rapport_turn_end",
    ]


async def test_replies_never_reach_another_socket(connect: Connect) -> None:
    alice, bob = await connect(), await connect()
    alice_session = await alice.session(None)
    await bob.session(None)

    await alice.say("hello", alice_session)
    await alice.say("", alice_session)

    await alice.next("bot_uttered")
    await alice.next("rapport_error")
    assert await bob.nothing_received()


async def test_a_message_before_session_request_is_refused(
    connect: Connect, fake_rasa: FakeRasa, count_customers: Callable[[], int]
) -> None:
    widget = await connect()

    await widget.say("hello", issue_session_id(SECRET))

    assert (await widget.next("rapport_error"))["code"] == "no_session"
    assert fake_rasa.received == []
    assert count_customers() == 0


async def test_a_message_for_another_session_is_refused(
    connect: Connect, fake_rasa: FakeRasa, count_customers: Callable[[], int]
) -> None:
    victim, attacker = await connect(), await connect()
    victim_session = await victim.session(None)
    await attacker.session(None)

    await attacker.say("what are my allergies?", victim_session)

    assert (await attacker.next("rapport_error"))["code"] == "session_mismatch"
    assert fake_rasa.received == []
    assert count_customers() == 0


BAD_PAYLOADS: list[tuple[str, Any, str]] = [
    ("a bare string", "hello", "malformed_payload"),
    ("a list", ["hello"], "malformed_payload"),
    ("no message", {}, "malformed_payload"),
    ("non-string message", {"message": 42}, "malformed_payload"),
    ("null message", {"message": None}, "malformed_payload"),
    ("customData not an object", {"message": "hi", "customData": "en"}, "malformed_payload"),
    ("empty message", {"message": ""}, "empty_message"),
    ("whitespace message", {"message": "  \n\t  "}, "empty_message"),
    ("control characters only", {"message": "\x00\x1b"}, "empty_message"),
    ("message too long", {"message": "x" * 51}, "message_too_long"),
    ("lone surrogate", {"message": "hi \ud800"}, "invalid_message"),
]


@pytest.mark.parametrize(
    ("payload", "code"), [(p, c) for _, p, c in BAD_PAYLOADS], ids=[i for i, _, _ in BAD_PAYLOADS]
)
async def test_bad_input_gets_an_error_event_and_writes_nothing(
    connect: Connect,
    fake_rasa: FakeRasa,
    count_customers: Callable[[], int],
    payload: Any,
    code: str,
) -> None:
    widget = await connect()
    session_id = await widget.session(None)
    if isinstance(payload, dict):
        payload = {**payload, "session_id": session_id}

    await widget.sio.emit("user_uttered", payload)

    error = await widget.next("rapport_error")
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert fake_rasa.received == []
    assert count_customers() == 0
    # The socket is still usable afterwards.
    await widget.say("hello", session_id)
    assert await widget.next("bot_uttered")


async def test_a_payload_over_64_kib_is_dropped_without_harm(
    connect: Connect, fake_rasa: FakeRasa, count_customers: Callable[[], int]
) -> None:
    widget = await connect(max_message_chars=100_000)  # only the transport limit applies
    session_id = await widget.session(None)

    await widget.say("x" * 70_000, session_id)
    await asyncio.sleep(0.3)

    assert fake_rasa.received == []
    assert count_customers() == 0


async def test_a_malformed_session_request_gets_an_error(connect: Connect) -> None:
    widget = await connect()

    await widget.sio.emit("session_request", "please")

    assert (await widget.next("rapport_error"))["code"] == "malformed_payload"
    assert await widget.session(None)  # and a proper request still works


async def test_unavailable_assistant_is_reported_politely(
    connect: Connect, count_customers: Callable[[], int]
) -> None:
    widget = await connect(rasa_url="http://127.0.0.1:9")  # nothing listens on the discard port
    session_id = await widget.session(None)

    await widget.say("hello", session_id)

    error = await widget.next("rapport_error")
    assert error["code"] == "assistant_unavailable"
    assert "retry" in error["message"]
