"""The web chat as customers meet it, in a real Chromium against the real stack:

- an unmodified rasa-webchat 1.0.1 (from the npm registry) on the shop's own site, another
  origin than the gateway: it connects when that site is allowed, and not otherwise;
- the project's own chat page: a reload shows the conversation so far and one greeting.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from rapport.settings import ROOT
from rapport.stack import Stack, free_port
from tests.e2e.conftest import SHOP_SITE, SHOP_SITE_PORT

pytestmark = pytest.mark.e2e

WEBCHAT_VERSION = "1.0.1"
NPM_CACHE = ROOT / "var" / "npm"


@pytest.fixture(scope="session")
def rasa_webchat_js() -> Path:
    """rasa-webchat's published browser bundle, as `npm pack` fetches it (cached in var/npm)."""
    bundle = NPM_CACHE / f"rasa-webchat-{WEBCHAT_VERSION}" / "package" / "lib" / "index.js"
    if bundle.exists():
        return bundle
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is missing: it fetches rasa-webchat from the npm registry")
    NPM_CACHE.mkdir(parents=True, exist_ok=True)
    packed = subprocess.run(
        [npm, "pack", f"rasa-webchat@{WEBCHAT_VERSION}", "--pack-destination", str(NPM_CACHE)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    archive = NPM_CACHE / f"rasa-webchat-{WEBCHAT_VERSION}.tgz"
    if packed.returncode != 0 or not archive.exists():
        pytest.skip(f"npm could not fetch rasa-webchat@{WEBCHAT_VERSION}: {packed.stderr[-500:]}")
    with tarfile.open(archive) as tar:
        tar.extractall(bundle.parents[2], filter="data")
    return bundle


def shop_page(gateway_url: str) -> str:
    """A shop's page embedding rasa-webchat exactly as its README shows, pointed at Rapport."""
    props = {
        "socketUrl": gateway_url,
        "socketPath": "/socket.io/",
        "initPayload": "/greet",
        "customData": {"language": "en"},
        "title": "Our shop",
        "params": {"storage": "session"},
    }
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>The shop</title></head>
<body><h1>Welcome to the shop</h1>
<script src="/rasa-webchat.js"></script>
<script>window.WebChat.default({json.dumps(props)}, null);</script>
</body></html>"""


async def serve_site(port: int, host: str, page: str, bundle: Path) -> web.AppRunner:
    async def index(_: web.Request) -> web.Response:
        return web.Response(text=page, content_type="text/html")

    async def script(_: web.Request) -> web.FileResponse:
        return web.FileResponse(bundle)

    app = web.Application()
    app.router.add_get("/", index)
    app.router.add_get("/rasa-webchat.js", script)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


@pytest.fixture(scope="session")
async def shop_sites(stack: Stack, rasa_webchat_js: Path) -> AsyncIterator[dict[str, str]]:
    """The allowed shop site (SHOP_SITE) and one the gateway was not told about."""
    page = shop_page(stack.gateway_url)
    other_port = free_port()
    allowed = await serve_site(SHOP_SITE_PORT, "127.0.0.1", page, rasa_webchat_js)
    other = await serve_site(other_port, "127.0.0.1", page, rasa_webchat_js)
    # "localhost" is another origin than "127.0.0.1" for the browser.
    yield {"allowed": SHOP_SITE, "other": f"http://localhost:{other_port}"}
    await allowed.cleanup()
    await other.cleanup()


async def open_widget(browser: Any, url: str) -> Any:
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(url)
    await page.locator(".rw-launcher").click()
    return page


async def test_rasa_webchat_on_the_shops_own_site_talks_to_the_assistant(
    browser: Any, shop_sites: dict[str, str]
) -> None:
    page = await open_widget(browser, shop_sites["allowed"])
    try:
        # The widget's initPayload: the assistant's welcome.
        await page.locator(".rw-response", has_text="Rapport").first.wait_for(timeout=60_000)
        before = await page.locator(".rw-response").count()
        await page.locator(".rw-new-message").fill("I love Comté")
        await page.locator(".rw-new-message").press("Enter")
        await page.locator(".rw-client", has_text="I love Comté").wait_for(timeout=10_000)
        # The bot's answer names what it heard ("Noted: you love Comté", or it asks).
        answer = page.locator(".rw-response", has_text="Comté").first
        await answer.wait_for(timeout=60_000)
        assert await page.locator(".rw-response").count() > before
    finally:
        await page.context.close()


async def test_a_site_not_allowed_cannot_connect(
    browser: Any, shop_sites: dict[str, str], stack: Stack
) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    try:
        await page.goto(shop_sites["other"])
        await page.wait_for_timeout(8_000)
        # rasa-webchat shows its launcher only once connected.
        assert await page.locator(".rw-launcher").count() == 0, "the widget connected"
        assert await page.locator(".rw-response").count() == 0
        log = stack.log("gateway").read_text(errors="replace")
        assert f"refused a connection from {shop_sites['other']}" in log
    finally:
        await page.context.close()


async def bot_count(page: Any) -> int:
    return int(await page.locator("#messages .msg--bot").count())


async def exchange(page: Any, text: str) -> None:
    """Type one message and wait until the bot has answered it."""
    before = await bot_count(page)
    await page.fill("#input", text)
    await page.press("#input", "Enter")
    # (Locators, not page scripts: the page's CSP forbids evaluating strings.)
    await page.locator("#messages .msg--bot").nth(before).wait_for(timeout=60_000)
    await page.locator("#typing").wait_for(state="hidden", timeout=60_000)
    await page.wait_for_timeout(800)  # the turn's last bubbles


async def test_a_reload_shows_the_conversation_and_greets_once(browser: Any, stack: Stack) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    try:
        await page.goto(f"{stack.gateway_url}/")
        await page.locator("#status", has_text="Online").wait_for(timeout=60_000)
        await page.locator("#messages .msg--bot").first.wait_for(timeout=60_000)
        said = ["Hi, I'm Philippe", "I love Comté", "do you deliver?", "thanks"]
        for text in said:
            await exchange(page, text)
        before_reload = await page.locator("#messages .msg").all_text_contents()

        await page.reload()
        await page.locator("#status", has_text="Online").wait_for(timeout=60_000)
        await page.wait_for_timeout(3_000)  # time for a (wrong) second greeting to arrive
        after = await page.locator("#messages .msg").all_text_contents()
        customer = await page.locator("#messages .msg--user").all_text_contents()
        assert customer == said, "the four exchanges are back, in order"
        greetings = [t for t in after if "I'm Rapport" in t or "Welcome back" in t]
        assert len(greetings) == 1, after
        assert after == before_reload, "the same conversation as before the reload"

        await exchange(page, "hello again")
        last = (await page.locator("#messages .msg--bot").all_text_contents())[-1]
        assert "Welcome back" not in last and "I'm Rapport" not in last, last
    finally:
        await context.close()
