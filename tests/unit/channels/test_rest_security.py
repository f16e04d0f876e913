"""The REST endpoint's bearer token, its loopback exception for load tests, and its burst limit."""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from aiohttp.test_utils import make_mocked_request
from sqlalchemy import func, select

from channels.app import create_app
from channels.limits import BurstLimit
from channels.rest import RestGate, bearer_token, is_loopback_peer, refusal
from profile_store.db import make_engine, make_sessionmaker
from profile_store.messages import InboundMessage
from rapport.settings import Settings
from tests.unit.channels.conftest import REST_AUTH, REST_TOKEN, FakeRasa

# The project's fixtures live on the session loop; the async tests must share it.
on_session_loop = pytest.mark.asyncio(loop_scope="session")

URL = "/webhooks/rest/webhook"
BODY = {"sender": "alice", "message": "hello"}


@pytest.fixture
def count_inbound(database_url: str) -> Callable[[], int]:
    def count() -> int:
        engine = make_engine(database_url)
        try:
            with make_sessionmaker(engine)() as session:
                return int(session.scalar(select(func.count()).select_from(InboundMessage)) or 0)
        finally:
            engine.dispose()

    return count


def non_loopback_address() -> str | None:
    """This machine's address on a real interface, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks a route
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if ipaddress.ip_address(address).is_loopback else address


# --- the token --------------------------------------------------------------------------------


@on_session_loop
async def test_the_right_token_is_answered(
    aiohttp_client: Any, make_settings: Callable[..., Settings], fake_rasa: FakeRasa
) -> None:
    client = await aiohttp_client(create_app(make_settings(rasa_url=fake_rasa.url)))

    response = await client.post(URL, json=BODY, headers=REST_AUTH)

    assert response.status == 200
    assert len(fake_rasa.received) == 1


@on_session_loop
@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "missing_token"),
        ({"Authorization": ""}, "missing_token"),
        ({"Authorization": "Bearer"}, "missing_token"),
        ({"Authorization": f"Basic {REST_TOKEN}"}, "missing_token"),
        ({"Authorization": "Bearer not-the-token"}, "invalid_token"),
        ({"Authorization": f"Bearer {REST_TOKEN}x"}, "invalid_token"),
        ({"Authorization": f"Bearer {REST_TOKEN[:-1]}"}, "invalid_token"),
    ],
    ids=["none", "empty", "no-credentials", "basic", "wrong", "longer", "shorter"],
)
async def test_a_missing_or_wrong_token_gets_401_and_nothing_is_written(
    aiohttp_client: Any,
    make_settings: Callable[..., Settings],
    fake_rasa: FakeRasa,
    count_customers: Callable[[], int],
    headers: dict[str, str],
    code: str,
) -> None:
    client = await aiohttp_client(create_app(make_settings(rasa_url=fake_rasa.url)))

    response = await client.post(URL, json=BODY, headers=headers)

    assert response.status == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    answer = await response.json()
    assert answer["code"] == code
    assert "Bearer" in answer["error"] or "token" in answer["error"]
    assert fake_rasa.received == []
    assert count_customers() == 0


@on_session_loop
async def test_the_token_is_checked_before_the_body_is_read(
    aiohttp_client: Any, make_settings: Callable[..., Settings], fake_rasa: FakeRasa
) -> None:
    client = await aiohttp_client(create_app(make_settings(rasa_url=fake_rasa.url)))

    response = await client.post(URL, data=b"x" * 100_000)  # too large, and no token

    assert response.status == 401


@on_session_loop
async def test_without_a_configured_token_the_endpoint_is_off(
    aiohttp_client: Any,
    make_settings: Callable[..., Settings],
    fake_rasa: FakeRasa,
    count_customers: Callable[[], int],
) -> None:
    settings = make_settings(rasa_url=fake_rasa.url, rest_token="")
    client = await aiohttp_client(create_app(settings))

    for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer anything"}):
        response = await client.post(URL, json=BODY, headers=headers)
        assert response.status == 403
        answer = await response.json()
        assert answer["code"] == "rest_disabled"
        assert "RAPPORT_REST_TOKEN" in answer["error"]
    assert fake_rasa.received == []
    assert count_customers() == 0


def test_settings_take_the_token_from_the_environment_or_its_file(tmp_path: Any) -> None:
    base = {"RAPPORT_SESSION_SECRET": "s"}

    assert Settings.from_env(base).rest_token == ""
    assert Settings.from_env({**base, "RAPPORT_REST_TOKEN": "t0k"}).rest_token == "t0k"
    path = tmp_path / "rest_token"
    generated = Settings.from_env({**base, "RAPPORT_REST_TOKEN_FILE": str(path)}).rest_token
    assert len(generated) >= 32
    assert path.stat().st_mode & 0o077 == 0, "readable by its owner only"
    again = Settings.from_env({**base, "RAPPORT_REST_TOKEN_FILE": str(path)}).rest_token
    assert again == generated, "kept across restarts"


def test_bearer_credentials_are_read_from_the_header() -> None:
    assert bearer_token("Bearer abc") == "abc"
    assert bearer_token("bearer   abc ") == "abc"
    assert bearer_token("Basic abc") is None
    assert bearer_token("Bearer") is None
    assert bearer_token(None) is None


# --- the loopback exception -----------------------------------------------------------------


@on_session_loop
async def test_loopback_without_a_token_is_refused_unless_allowed(
    aiohttp_client: Any, make_settings: Callable[..., Settings], fake_rasa: FakeRasa
) -> None:
    client = await aiohttp_client(create_app(make_settings(rasa_url=fake_rasa.url)))

    response = await client.post(URL, json=BODY)  # the test client connects from 127.0.0.1

    assert response.status == 401


@on_session_loop
async def test_allowed_loopback_may_post_without_a_token_and_a_warning_says_so(
    aiohttp_client: Any,
    make_settings: Callable[..., Settings],
    fake_rasa: FakeRasa,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = make_settings(rasa_url=fake_rasa.url, rest_allow_loopback_without_token=True)
    client = await aiohttp_client(create_app(settings))

    with caplog.at_level(logging.WARNING, logger="channels.rest"):
        token_less = await client.post(URL, json=BODY)
    wrong = await client.post(URL, json=BODY, headers={"Authorization": "Bearer wrong"})

    assert token_less.status == 200
    assert wrong.status == 401, "a wrong token is still wrong"
    assert "RAPPORT_REST_ALLOW_LOOPBACK_WITHOUT_TOKEN" in caplog.text


@on_session_loop
async def test_allowed_loopback_does_not_turn_an_endpoint_without_token_on(
    aiohttp_client: Any, make_settings: Callable[..., Settings], fake_rasa: FakeRasa
) -> None:
    settings = make_settings(
        rasa_url=fake_rasa.url, rest_token="", rest_allow_loopback_without_token=True
    )
    client = await aiohttp_client(create_app(settings))

    assert (await client.post(URL, json=BODY)).status == 403


@on_session_loop
async def test_allowed_loopback_still_refuses_other_machines(
    aiohttp_client: Any, make_settings: Callable[..., Settings], fake_rasa: FakeRasa
) -> None:
    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no address besides loopback")
    settings = make_settings(rasa_url=fake_rasa.url, rest_allow_loopback_without_token=True)
    # Listening on a real interface and connecting to it: the peer is that address, not 127.x.
    client = await aiohttp_client(create_app(settings), server_kwargs={"host": address})

    token_less = await client.post(URL, json=BODY)
    with_token = await client.post(URL, json=BODY, headers=REST_AUTH)

    assert token_less.status == 401
    assert with_token.status == 200


@pytest.mark.parametrize(
    ("peer", "allowed"),
    [
        (("127.0.0.1", 50000), True),
        (("::1", 50000, 0, 0), True),
        (("::ffff:127.0.0.1", 50000, 0, 0), True),
        (("203.0.113.7", 50000), False),
        (("2001:db8::7", 50000, 0, 0), False),
        (("::ffff:203.0.113.7", 50000, 0, 0), False),
        (None, False),
        ("", False),
    ],
)
def test_only_loopback_peers_skip_the_token(peer: object, allowed: bool) -> None:
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: (
        peer if name == "peername" else default
    )
    # A forwarded-for header is the client's word, never the peer.
    request = make_mocked_request(
        "POST", URL, headers={"X-Forwarded-For": "127.0.0.1"}, transport=transport
    )
    gate = RestGate(token="t", allow_loopback=True, burst=BurstLimit(0, 1.0))

    assert is_loopback_peer(peer) is allowed
    assert (refusal(request, gate) is None) is allowed


# --- the burst limit --------------------------------------------------------------------------


@on_session_loop
async def test_a_burst_from_one_sender_gets_429_and_nothing_is_written(
    aiohttp_client: Any,
    make_settings: Callable[..., Settings],
    fake_rasa: FakeRasa,
    count_inbound: Callable[[], int],
) -> None:
    settings = make_settings(rasa_url=fake_rasa.url, burst_max_messages=3, burst_window_s=60.0)
    client = await aiohttp_client(create_app(settings))

    statuses = [(await client.post(URL, json=BODY, headers=REST_AUTH)).status for _ in range(3)]
    refused = await client.post(
        URL,
        json={**BODY, "metadata": {"message_id": "one-too-many"}},
        headers=REST_AUTH,
    )
    other_sender = await client.post(
        URL, json={"sender": "bob", "message": "hello"}, headers=REST_AUTH
    )

    assert statuses == [200, 200, 200]
    assert refused.status == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    answer = await refused.json()
    assert answer["code"] == "too_many_messages"
    assert "retry in" in answer["error"]
    assert other_sender.status == 200
    assert [m["metadata"]["address"] for m in fake_rasa.received] == ["alice"] * 3 + ["bob"]
    assert count_inbound() == 4, "the refused message was not recorded"
