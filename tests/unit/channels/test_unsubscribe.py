"""One-click unsubscribe (RFC 8058): a signed link per address; POST opts out, GET only asks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from channels.app import create_app
from channels.unsubscribe import read_token, unsubscribe_token
from profile_store.db import make_engine, make_sessionmaker
from profile_store.export import export_customer
from profile_store.repository import find_customer
from rapport.settings import Settings

ADDRESS = "Jo.Smith@example.org"


def test_tokens_name_the_address_and_cannot_be_forged() -> None:
    token = unsubscribe_token("secret", "email", ADDRESS)
    assert read_token("secret", token) == ("email", ADDRESS)
    assert read_token("another secret", token) is None
    body, _, mac = token.partition(".")
    forged = unsubscribe_token("guess", "email", "victim@example.org").partition(".")[0]
    assert read_token("secret", f"{forged}.{mac}") is None
    assert read_token("secret", "not-a-token") is None and read_token("secret", "%%.&&") is None


def consents(database_url: str) -> list[tuple[str, str, bool]]:
    sm: sessionmaker[Session] = make_sessionmaker(make_engine(database_url))
    with sm.begin() as s:
        customer = find_customer(s, f"email:{ADDRESS}")
        if customer is None:
            return []
        return [
            (c["purpose"], c["channel"], c["granted"])
            for c in export_customer(s, customer.id)["consents"]
        ]


@pytest.mark.asyncio(loop_scope="session")
async def test_the_one_click_post_unsubscribes_and_a_get_changes_nothing(
    aiohttp_client: Any, make_settings: Callable[..., Settings], database_url: str
) -> None:
    settings = make_settings()
    client = await aiohttp_client(create_app(settings))
    url = f"/unsubscribe/{unsubscribe_token(settings.session_secret, 'email', ADDRESS)}"

    page = await client.get(url)
    assert page.status == 200 and "method=post" in await page.text()
    assert consents(database_url) == [], "a GET (a link scanner) unsubscribes nobody"

    done = await client.post(url, data={"List-Unsubscribe": "One-Click"})
    assert done.status == 200 and "unsubscribed" in await done.text()
    assert consents(database_url) == [("offers", "email", False)]

    bad = await client.post("/unsubscribe/" + unsubscribe_token("wrong", "email", ADDRESS))
    assert bad.status == 404
