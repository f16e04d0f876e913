"""One-click unsubscribe from the shop's mails (RFC 8058), honoured by the gateway.

Every mail carries `List-Unsubscribe: <https://.../unsubscribe/<token>>` and
`List-Unsubscribe-Post: List-Unsubscribe=One-Click`. The token names the address and is signed
with the gateway's secret, so nobody can unsubscribe someone else by guessing. A POST to the
link (what a mail client's "Unsubscribe" button sends) records the opt-out at once; a GET (a
person following the link, or a scanner checking it) only shows a page with the button, as
RFC 8058 requires.
"""

from __future__ import annotations

import asyncio
import html
import logging

from aiohttp import web

from channels.keys import sessionmaker_key, settings_key
from channels.keywords import STOPPED
from profile_store.addresses import InvalidAddress, normalise_address
from profile_store.consents import record_opt_word
from profile_store.repository import resolve_customer
from rapport.signing import sign, unsign

log = logging.getLogger(__name__)

_CONTEXT = b"rapport/unsubscribe/v1:"
UNSUBSCRIBE_LINK = "the unsubscribe link of an email we sent"


def unsubscribe_token(secret: str, channel: str, address: str) -> str:
    return sign(secret, _CONTEXT, f"{channel}:{address}".encode())


def read_token(secret: str, token: str) -> tuple[str, str] | None:
    """(channel, address) of a token this gateway signed, else None."""
    payload = unsign(secret, _CONTEXT, token)
    try:
        channel, sep, address = (payload or b"").decode().partition(":")
    except UnicodeDecodeError:
        return None
    return (channel, address) if sep else None


def unsubscribe_url(public_url: str, secret: str, channel: str, address: str) -> str:
    return f"{public_url}/unsubscribe/{unsubscribe_token(secret, channel, address)}"


def _page(title: str, body: str, status: int = 200) -> web.Response:
    return web.Response(
        status=status,
        content_type="text/html",
        text=(
            "<!doctype html><html lang=en><meta charset=utf-8>"
            '<meta name=viewport content="width=device-width">'
            f"<title>{html.escape(title)}</title><body><main><h1>{html.escape(title)}</h1>"
            f"{body}</main></body></html>"
        ),
        headers={"Content-Security-Policy": "default-src 'none'; form-action 'self'"},
    )


def _opt_out(request: web.Request, channel: str, address: str) -> None:
    with request.app[sessionmaker_key].begin() as session:
        customer = resolve_customer(session, channel, address)
        record_opt_word(
            session,
            customer.id,
            channel=channel,
            granted=False,
            asked=UNSUBSCRIBE_LINK,
            answer="unsubscribed by the link",
        )


async def confirm_page(request: web.Request) -> web.Response:
    found = read_token(request.app[settings_key].session_secret, request.match_info["token"])
    if found is None:
        return _page("This link is not valid", "<p>Nothing was changed.</p>", status=404)
    return _page(
        "Unsubscribe from our offers?",
        f"<p>{html.escape(found[1])} will receive no more offers.</p>"
        '<form method=post><button type=submit name="List-Unsubscribe" value="One-Click">'
        "Unsubscribe</button></form>",
    )


async def one_click(request: web.Request) -> web.Response:
    found = read_token(request.app[settings_key].session_secret, request.match_info["token"])
    if found is None:
        return _page("This link is not valid", "<p>Nothing was changed.</p>", status=404)
    channel, address = found
    try:
        address = normalise_address(channel, address)
    except InvalidAddress:
        return _page("This link is not valid", "<p>Nothing was changed.</p>", status=404)
    await asyncio.to_thread(_opt_out, request, channel, address)
    log.info("one-click unsubscribe of a %s address", channel)
    return _page("You're unsubscribed", f"<p>{html.escape(STOPPED)}</p>")


def setup(app: web.Application) -> None:
    app.router.add_get("/unsubscribe/{token}", confirm_page)
    app.router.add_post("/unsubscribe/{token}", one_click)
