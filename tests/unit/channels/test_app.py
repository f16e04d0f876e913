"""The gateway application: health, our chat page and its assets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from channels.app import STATIC_DIR, create_app, render_index
from rapport.settings import Settings
from tests.unit.channels.conftest import FakeRasa

# Same loop as the project's session-scoped fixtures.
on_session_loop = pytest.mark.asyncio(loop_scope="session")


class FakeActionServer:
    """The action server's /health as bot/actions/readiness.py answers it."""

    def __init__(self) -> None:
        self.status = "loading"
        self.url = ""

    async def health(self, request: web.Request) -> web.Response:
        if self.status == "ready":
            return web.json_response({"status": "ok"})
        return web.json_response({"status": self.status}, status=503)


@pytest.fixture
async def fake_actions() -> Any:
    actions = FakeActionServer()
    app = web.Application()
    app.router.add_get("/health", actions.health)
    server = TestServer(app)
    await server.start_server()
    actions.url = str(server.make_url("")).rstrip("/")
    yield actions
    await server.close()


@on_session_loop
async def test_health_says_ready_only_when_rasa_and_the_loaded_action_server_are(
    aiohttp_client: Any,
    make_settings: Callable[..., Settings],
    fake_rasa: FakeRasa,
    fake_actions: FakeActionServer,
) -> None:
    settings = make_settings(rasa_url=fake_rasa.url, action_url=fake_actions.url)
    client = await aiohttp_client(create_app(settings))

    loading = await (await client.get("/health")).json()
    fake_actions.status = "ready"
    ready = await (await client.get("/health")).json()

    assert loading == {
        "status": "starting",
        "ready": False,
        "rasa_reachable": True,
        "actions": "loading",
    }
    assert ready == {"status": "ok", "ready": True, "rasa_reachable": True, "actions": "ready"}
    # Rasa's first (slow) understanding was spent by the gateway, once, not by a customer.
    assert len(fake_rasa.parsed) == 1
    await client.get("/health")
    assert len(fake_rasa.parsed) == 1


@on_session_loop
async def test_health_says_when_rasa_and_actions_are_down(
    aiohttp_client: Any, make_settings: Callable[..., Settings]
) -> None:
    client = await aiohttp_client(create_app(make_settings()))

    response = await client.get("/health")

    assert response.status == 200, "the gateway itself is up"
    assert await response.json() == {
        "status": "starting",
        "ready": False,
        "rasa_reachable": False,
        "actions": "unreachable",
    }


@on_session_loop
async def test_the_chat_page_and_its_assets_are_served_locally(
    aiohttp_client: Any, make_settings: Callable[..., Settings]
) -> None:
    client = await aiohttp_client(create_app(make_settings()))

    page = await client.get("/")
    html = await page.text()

    assert page.status == 200
    assert "<h1>Rapport — " in html
    assert 'maxlength="50"' in html  # the server's limit, not a copy of it
    assert "http://" not in html and "https://" not in html  # no CDN
    for asset in ("/static/vendor/socket.io.min.js", "/static/chat.js", "/static/chat.css"):
        assert f'"{asset}"' in html
        served = await client.get(asset)
        assert served.status == 200, asset
    vendored = await (await client.get("/static/vendor/socket.io.min.js")).text()
    assert vendored.startswith("/*!\n * Socket.IO v4.")
    assert "MIT License" in vendored[:200]


def test_the_shop_name_is_text_not_markup() -> None:
    page = render_index("<script>alert(1)</script> & Co", max_message_chars=2000)

    assert "<script>alert(1)</script>" not in page
    assert "Rapport — &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in page


def test_bot_text_is_never_parsed_as_html_by_the_page() -> None:
    script = (STATIC_DIR / "chat.js").read_text()

    assert "textContent" in script
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script


def test_an_empty_session_secret_is_refused(make_settings: Callable[..., Settings]) -> None:
    with pytest.raises(ValueError, match="session_secret"):
        create_app(make_settings(session_secret=""))
