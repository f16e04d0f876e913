"""Which sites may embed the web chat: RAPPORT_WEBCHAT_ORIGINS, checked and applied."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from channels.app import create_app
from rapport.origins import BadOrigin, OriginPolicy, parse_origins
from rapport.settings import Settings

GATEWAY = {"HTTP_HOST": "127.0.0.1:8080", "wsgi.url_scheme": "http"}


def test_the_setting_is_a_list_of_normalised_origins() -> None:
    assert parse_origins("https://Shop.example.com/, http://localhost:3000  https://b.fr:443") == (
        "https://shop.example.com",
        "http://localhost:3000",
        "https://b.fr",
    )
    assert parse_origins("") == ()


@pytest.mark.parametrize(
    "bad", ["shop.example.com", "ftp://shop.example.com", "https://shop.example.com/chat", "*"]
)
def test_a_bad_origin_is_refused_with_what_to_write(bad: str) -> None:
    with pytest.raises(BadOrigin, match=r"scheme://host|'\*' is not accepted"):
        parse_origins(bad)
    with pytest.raises(BadOrigin):
        Settings.from_env({"RAPPORT_WEBCHAT_ORIGINS": bad, "RAPPORT_SESSION_SECRET": "s"})


def test_same_origin_and_listed_sites_are_allowed_others_refused_with_a_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    policy = OriginPolicy(parse_origins("https://shop.example.com"))
    with caplog.at_level(logging.WARNING, logger="rapport.origins"):
        assert policy("http://127.0.0.1:8080", GATEWAY)  # our own page
        assert policy("https://shop.example.com", GATEWAY)
        assert policy(None, GATEWAY)  # no Origin header: not a cross-site browser request
        assert not policy("https://evil.example.net", GATEWAY)
        assert not policy("https://evil.example.net", GATEWAY)
    refusals = [r.getMessage() for r in caplog.records]
    assert len(refusals) == 1, "one line per refused site, not one per attempt"
    assert "https://evil.example.net" in refusals[0]
    assert "RAPPORT_WEBCHAT_ORIGINS" in refusals[0]


def test_by_default_only_the_gateway_itself_is_allowed() -> None:
    policy = OriginPolicy()
    assert policy("http://127.0.0.1:8080", GATEWAY)
    assert not policy("http://localhost:3000", GATEWAY)


async def test_the_chat_page_may_be_framed_by_the_allowed_sites_only(
    aiohttp_client: Any, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(webchat_origins=("https://shop.example.com",))
    client = await aiohttp_client(create_app(settings))
    page = await client.get("/")
    assert (
        "frame-ancestors 'self' https://shop.example.com" in page.headers["Content-Security-Policy"]
    )
    default = await aiohttp_client(create_app(make_settings()))
    page = await default.get("/")
    assert page.headers["Content-Security-Policy"].endswith("frame-ancestors 'self'")
