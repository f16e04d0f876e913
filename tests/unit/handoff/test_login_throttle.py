"""Staff login throttling, through the real gateway: a burst of wrong passwords is cut off before
any password is hashed, for that account and that address only."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

import channels.console
from tests.unit.handoff.conftest import PASSWORD, Gateway

pytestmark = pytest.mark.asyncio(loop_scope="session")

MakeGateway = Callable[..., Any]
LOGIN = "/console/api/login"
WRONG = "not the password at all"


class Clock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def hashed(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The passwords the console checked against argon2, in order."""
    calls: list[str] = []
    verify = channels.console.verify_password

    def counting(password_hash: str | None, password: str) -> bool:
        calls.append(password)
        return verify(password_hash, password)

    monkeypatch.setattr(channels.console, "verify_password", counting)
    yield calls


async def from_address(gw: Gateway, address: str) -> TestClient[Any, Any]:
    """A browser on another machine: its connections come from `address` (a loopback alias)."""
    client: TestClient[Any, Any] = TestClient(
        gw.client.server, connector=aiohttp.TCPConnector(local_addr=(address, 0))
    )
    await client.start_server()
    return client


async def login(client: TestClient[Any, Any], username: str, password: str) -> Any:
    return await client.post(LOGIN, json={"username": username, "password": password})


async def test_five_wrong_passwords_lock_the_account_without_hashing_more(
    make_gateway: MakeGateway, hashed: list[str]
) -> None:
    gw = await make_gateway()
    for _ in range(5):
        assert (await login(gw.client, "anne", WRONG)).status == 401

    throttled = [await login(gw.client, "anne", WRONG) for _ in range(20)]

    assert {r.status for r in throttled} == {429}
    answer = await throttled[0].json()
    assert answer == {
        "error": "Too many attempts: try again in 15 minutes.",
        "code": "too_many_attempts",
    }
    assert 0 < int(throttled[0].headers["Retry-After"]) <= 900
    assert len(hashed) == 5, "a throttled attempt costs no argon2 hash"


async def test_the_right_password_waits_for_the_window_too(
    make_gateway: MakeGateway, hashed: list[str]
) -> None:
    clock = Clock()
    gw = await make_gateway(login_clock=clock)
    for _ in range(5):
        await login(gw.client, "anne", WRONG)
        clock.now += 60

    during = await login(gw.client, "anne", PASSWORD)
    clock.now += 600  # 15 minutes after the first failure
    after = await login(gw.client, "anne", PASSWORD)

    assert during.status == 429
    assert (await during.json())["error"] == "Too many attempts: try again in 10 minutes."
    assert during.headers["Retry-After"] == "600"
    assert after.status == 200
    assert hashed == [WRONG] * 5 + [PASSWORD]


async def test_other_accounts_from_other_addresses_are_not_locked_out(
    make_gateway: MakeGateway,
) -> None:
    gw = await make_gateway()
    for _ in range(6):
        await login(gw.client, "anne", WRONG)  # from 127.0.0.1
    bruno = await from_address(gw, "127.0.0.2")
    anne_elsewhere = await from_address(gw, "127.0.0.3")
    try:
        assert (await login(bruno, "bruno", PASSWORD)).status == 200
        assert (await login(gw.client, "bruno", PASSWORD)).status == 200, "nor from that one"
        assert (await login(anne_elsewhere, "anne", PASSWORD)).status == 429, "the account is"
    finally:
        await bruno.close()
        await anne_elsewhere.close()


async def test_an_address_trying_many_accounts_is_throttled(
    make_gateway: MakeGateway, hashed: list[str]
) -> None:
    gw = await make_gateway(login_max_failures_per_address=3)
    for username in ("nobody", "admin", "root"):  # unknown accounts count the same
        assert (await login(gw.client, username, WRONG)).status == 401

    sprayed = await login(gw.client, "anne", PASSWORD)
    elsewhere = await from_address(gw, "127.0.0.2")
    try:
        assert sprayed.status == 429
        assert (await login(elsewhere, "anne", PASSWORD)).status == 200
    finally:
        await elsewhere.close()
    assert len(hashed) == 4


async def test_a_successful_login_starts_the_account_afresh(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    for _ in range(4):
        await login(gw.client, "anne", WRONG)
    assert (await login(gw.client, "anne", PASSWORD)).status == 200

    statuses = [(await login(gw.client, "anne", WRONG)).status for _ in range(4)]

    assert statuses == [401] * 4
