"""The Rasa-REST-compatible endpoint: what an integration sees for good and bad requests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from channels.app import create_app
from rapport.settings import Settings
from tests.unit.channels.conftest import REST_AUTH, FakeRasa

# The project's fixtures live on the session loop (asyncio_default_fixture_loop_scope); the
# tests must share it or the app and the fake Rasa would sit on another loop.
pytestmark = pytest.mark.asyncio(loop_scope="session")

URL = "/webhooks/rest/webhook"


async def test_reply_is_addressed_to_the_callers_sender(
    aiohttp_client: Any, make_settings: Callable[..., Settings], fake_rasa: FakeRasa
) -> None:
    fake_rasa.replies = [
        {"text": "Hi there", "buttons": [{"title": "Offers", "payload": "/ask_offers"}]}
    ]
    client = await aiohttp_client(create_app(make_settings(rasa_url=fake_rasa.url)))

    response = await client.post(
        URL,
        headers=REST_AUTH,
        json={"sender": "load-test-7", "message": "hello", "metadata": {"lang": "en"}},
    )

    assert response.status == 200
    assert await response.json() == [
        {
            "recipient_id": "load-test-7",
            "text": "Hi there",
            "buttons": [{"title": "Offers", "payload": "/ask_offers"}],
        }
    ]
    [sent] = fake_rasa.received
    assert sent["message"] == "hello"
    assert sent["sender"] != "load-test-7"  # Rasa sees the customer id, not the address
    assert sent["metadata"]["channel"] == "rest"
    assert sent["metadata"]["address"] == "load-test-7"
    assert sent["metadata"]["lang"] == "en"
    assert sent["metadata"]["message_id"]


async def test_one_sender_is_one_customer(
    aiohttp_client: Any,
    make_settings: Callable[..., Settings],
    fake_rasa: FakeRasa,
    count_customers: Callable[[], int],
) -> None:
    client = await aiohttp_client(create_app(make_settings(rasa_url=fake_rasa.url)))

    for sender in ("alice", "bob", "alice"):
        response = await client.post(
            URL, headers=REST_AUTH, json={"sender": sender, "message": "hi"}
        )
        assert response.status == 200

    alice_1, bob, alice_2 = (m["sender"] for m in fake_rasa.received)
    assert alice_1 == alice_2 != bob
    assert count_customers() == 2


async def test_caller_metadata_cannot_claim_another_address(
    aiohttp_client: Any, make_settings: Callable[..., Settings], fake_rasa: FakeRasa
) -> None:
    client = await aiohttp_client(create_app(make_settings(rasa_url=fake_rasa.url)))

    metadata = {"channel": "web", "address": "someone-else", "message_id": "m-1"}
    response = await client.post(
        URL, headers=REST_AUTH, json={"sender": "mallory", "message": "hi", "metadata": metadata}
    )

    assert response.status == 200
    [sent] = fake_rasa.received
    assert sent["metadata"]["channel"] == "rest"
    assert sent["metadata"]["address"] == "mallory"


async def test_a_retried_message_id_reaches_rasa_once(
    aiohttp_client: Any, make_settings: Callable[..., Settings], fake_rasa: FakeRasa
) -> None:
    client = await aiohttp_client(create_app(make_settings(rasa_url=fake_rasa.url)))
    body = {"sender": "shop-pos", "message": "hello", "metadata": {"message_id": "abc-1"}}

    first = await client.post(URL, headers=REST_AUTH, json=body)
    retry = await client.post(URL, headers=REST_AUTH, json=body)

    assert len(await first.json()) == 1
    assert retry.status == 200
    assert await retry.json() == []
    assert [m["metadata"]["message_id"] for m in fake_rasa.received] == ["abc-1"]


async def test_control_characters_are_stripped_but_newlines_and_tabs_kept(
    aiohttp_client: Any, make_settings: Callable[..., Settings], fake_rasa: FakeRasa
) -> None:
    client = await aiohttp_client(create_app(make_settings(rasa_url=fake_rasa.url)))

    message = "  I love\x00 veal\x1b[31m\r\nand\tlamb\x7f  "
    response = await client.post(URL, headers=REST_AUTH, json={"sender": "s", "message": message})

    assert response.status == 200
    assert fake_rasa.received[0]["message"] == "I love veal[31m\nand\tlamb"


BAD_BODIES: list[tuple[str, bytes, str]] = [
    ("not JSON", b"sender=a&message=b", "invalid_body"),
    ("invalid UTF-8", b'{"sender": "a", "message": "caf\xe9"}', "invalid_body"),
    ("JSON but not an object", b'["a", "b"]', "invalid_body"),
    ("deeply nested JSON", b"[" * 30000 + b"]" * 30000, "invalid_body"),
    ("missing sender", b'{"message": "hi"}', "invalid_sender"),
    ("empty sender", b'{"sender": "", "message": "hi"}', "invalid_sender"),
    ("non-string sender", b'{"sender": 42, "message": "hi"}', "invalid_sender"),
    (
        "sender with a control character",
        b'{"sender": "a\\u0000b", "message": "hi"}',
        "invalid_sender",
    ),
    ("sender too long", b'{"sender": "' + b"a" * 321 + b'", "message": "hi"}', "invalid_sender"),
    ("missing message", b'{"sender": "a"}', "invalid_message"),
    ("null message", b'{"sender": "a", "message": null}', "invalid_message"),
    ("non-string message", b'{"sender": "a", "message": 123}', "invalid_message"),
    ("list message", b'{"sender": "a", "message": ["hi"]}', "invalid_message"),
    ("empty message", b'{"sender": "a", "message": ""}', "empty_message"),
    ("whitespace message", b'{"sender": "a", "message": " \\n\\t "}', "empty_message"),
    ("only control characters", b'{"sender": "a", "message": "\\u0000\\u001b"}', "empty_message"),
    ("message too long", b'{"sender": "a", "message": "' + b"x" * 51 + b'"}', "message_too_long"),
    ("lone surrogate", b'{"sender": "a", "message": "hi \\ud800"}', "invalid_message"),
    (
        "metadata not an object",
        b'{"sender": "a", "message": "hi", "metadata": [1]}',
        "invalid_metadata",
    ),
]


@pytest.mark.parametrize(
    ("body", "code"), [(b, c) for _, b, c in BAD_BODIES], ids=[i for i, _, _ in BAD_BODIES]
)
async def test_bad_request_is_refused_with_400_and_nothing_written(
    aiohttp_client: Any,
    make_settings: Callable[..., Settings],
    fake_rasa: FakeRasa,
    count_customers: Callable[[], int],
    body: bytes,
    code: str,
) -> None:
    client = await aiohttp_client(create_app(make_settings(rasa_url=fake_rasa.url)))

    response = await client.post(
        URL, data=body, headers={**REST_AUTH, "Content-Type": "application/json"}
    )

    assert response.status == 400
    answer = await response.json()
    assert answer["code"] == code
    assert isinstance(answer["error"], str) and answer["error"]
    assert count_customers() == 0
    assert fake_rasa.received == []


async def test_body_over_64_kib_is_refused_with_413(
    aiohttp_client: Any,
    make_settings: Callable[..., Settings],
    fake_rasa: FakeRasa,
    count_customers: Callable[[], int],
) -> None:
    client = await aiohttp_client(create_app(make_settings(rasa_url=fake_rasa.url)))
    body = b'{"sender": "a", "message": "hi", "metadata": {"pad": "' + b"x" * 70_000 + b'"}}'

    response = await client.post(
        URL, data=body, headers={**REST_AUTH, "Content-Type": "application/json"}
    )

    assert response.status == 413
    assert (await response.json())["code"] == "body_too_large"
    assert count_customers() == 0
    assert fake_rasa.received == []


async def test_chunked_body_over_64_kib_is_refused_with_413(
    aiohttp_client: Any, make_settings: Callable[..., Settings], fake_rasa: FakeRasa
) -> None:
    client = await aiohttp_client(create_app(make_settings(rasa_url=fake_rasa.url)))

    async def chunks() -> Any:  # no Content-Length: the limit must hold while reading
        yield b'{"sender": "a", "message": "'
        for _ in range(20):
            yield b"x" * 4096
        yield b'"}'

    response = await client.post(URL, headers=REST_AUTH, data=chunks())

    assert response.status == 413
    assert fake_rasa.received == []


async def test_unreachable_rasa_answers_503_politely(
    aiohttp_client: Any, make_settings: Callable[..., Settings]
) -> None:
    client = await aiohttp_client(create_app(make_settings()))  # nothing listens on rasa_url

    response = await client.post(URL, headers=REST_AUTH, json={"sender": "a", "message": "hello"})

    assert response.status == 503
    answer = await response.json()
    assert answer["code"] == "assistant_unavailable"
    assert "retry" in answer["error"]


async def test_rasa_failing_with_500_answers_503(
    aiohttp_client: Any, make_settings: Callable[..., Settings], fake_rasa: FakeRasa
) -> None:
    fake_rasa.status = 500
    client = await aiohttp_client(create_app(make_settings(rasa_url=fake_rasa.url)))

    response = await client.post(URL, headers=REST_AUTH, json={"sender": "a", "message": "hello"})

    assert response.status == 503
    assert (await response.json())["code"] == "assistant_unavailable"


async def test_a_message_that_failed_on_rasa_can_be_retried(
    aiohttp_client: Any, make_settings: Callable[..., Settings], fake_rasa: FakeRasa
) -> None:
    client = await aiohttp_client(create_app(make_settings(rasa_url=fake_rasa.url)))
    body = {"sender": "a", "message": "hello", "metadata": {"message_id": "m-9"}}

    fake_rasa.status = 502
    assert (await client.post(URL, headers=REST_AUTH, json=body)).status == 503
    fake_rasa.status = 200
    retry = await client.post(URL, headers=REST_AUTH, json=body)

    assert retry.status == 200
    assert len(await retry.json()) == 1
