"""The customer's own export behind a signed link: the JSON file, and a page a person can read.

GET /export/<token>       the export (the same JSON `rapport profile export` prints), as a file
GET /export/<token>/page  the same, readable
Links are made by the bot when the customer asks (rapport/export_links.py) and expire after a
day; an expired or forged link is refused and shows nothing.
"""

from __future__ import annotations

import asyncio
import html
import json
from typing import Any

from aiohttp import web

from channels.keys import sessionmaker_key, settings_key
from profile_store.audit import AuditAction, record_access
from profile_store.export import export_customer
from profile_store.models import Customer
from rapport.export_links import BadLink, read_export_token

_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def _refused(exc: BadLink) -> web.Response:
    text = (
        "This link has expired: ask the shop's assistant again and it will send a new one."
        if exc.expired
        else "This link is not valid."
    )
    return web.Response(status=410 if exc.expired else 404, text=text, headers=_HEADERS)


async def _export(request: web.Request) -> dict[str, Any] | BadLink:
    secret = request.app[settings_key].session_secret
    try:
        cid = read_export_token(secret, request.match_info["token"])
    except BadLink as exc:
        return exc

    def read() -> dict[str, Any] | None:
        with request.app[sessionmaker_key].begin() as session:
            if session.get(Customer, cid) is None:
                return None
            record_access(session, cid, AuditAction.EXPORT, by="customer")
            return export_customer(session, cid)

    found = await asyncio.to_thread(read)
    if found is None:
        return BadLink(expired=False)  # erased since, or merged into another customer
    return found


async def download(request: web.Request) -> web.Response:
    found = await _export(request)
    if isinstance(found, BadLink):
        return _refused(found)
    return web.Response(
        text=json.dumps(found, ensure_ascii=False, indent=2),
        content_type="application/json",
        headers={**_HEADERS, "Content-Disposition": 'attachment; filename="my-data.json"'},
    )


def _rows(items: list[dict[str, Any]], keys: tuple[str, ...]) -> str:
    if not items:
        return "<p>Nothing.</p>"
    head = "".join(f"<th>{html.escape(k)}</th>" for k in keys)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(i.get(k) or ''))}</td>" for k in keys) + "</tr>"
        for i in items
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def readable(export: dict[str, Any], shop_name: str) -> str:
    """The export as a page: one section per kind of data, every value escaped."""
    sections = [
        ("Who you are", _rows([export["customer"]], ("name", "created_at"))),
        ("How you reach us", _rows(export["identities"], ("channel", "address", "verified"))),
        (
            "What you told us about your tastes",
            _rows(
                export["preferences"],
                ("subject", "polarity", "reason", "who", "until", "stated", "channel", "at"),
            ),
        ),
        (
            "Your habits",
            _rows(export["habits"], ("what", "when", "frequency", "stated", "channel", "at")),
        ),
        (
            "Your consents",
            _rows(export["consents"], ("purpose", "granted", "asked", "answer", "channel", "at")),
        ),
        ("Offers we showed you", _rows(export["offers"], ("offer_id", "event", "channel", "at"))),
        (
            "Channels linked and unlinked",
            _rows(export.get("links", []), ("action", "channel", "address", "by", "at")),
        ),
    ]
    title = f"What {shop_name} knows about you"
    return (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width">'
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:60rem;margin:auto;padding:1rem}"
        "table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.3rem;"
        "text-align:left;vertical-align:top}</style>"
        f"<body><h1>{html.escape(title)}</h1>"
        + "".join(f"<h2>{html.escape(h)}</h2>{t}" for h, t in sections)
        + "</body></html>"
    )


async def page(request: web.Request) -> web.Response:
    found = await _export(request)
    if isinstance(found, BadLink):
        return _refused(found)
    return web.Response(
        text=readable(found, request.app[settings_key].shop_name),
        content_type="text/html",
        headers=_HEADERS,
    )


def setup(app: web.Application) -> None:
    app.router.add_get("/export/{token}", download)
    app.router.add_get("/export/{token}/page", page)
