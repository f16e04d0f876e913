"""Webhook notifications shaped exactly like Meta's documented Cloud API examples, and signing.

Sources: Meta's "Webhooks payload examples" / "messages webhook reference" pages (text,
interactive button_reply and list_reply, image, audio, sticker, location, unsupported, reaction,
and the sent / delivered / read / failed statuses). Only the values change.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from typing import Any

import aiohttp

from channels.whatsapp.signature import SIGNATURE_HEADER, sign
from rapport.stack import Stack
from tests.e2e.whatsapp.standin import GraphStandIn

WABA_ID = "102290129340398"
DISPLAY_PHONE_NUMBER = "15550783881"
PHONE_NUMBER_ID = "106540352242922"
APP_SECRET = "e2e-app-secret-4f1c2a"
VERIFY_TOKEN = "e2e-verify-token-meatyhamhock"
ACCESS_TOKEN = "EAAJB-e2e-access-token"

_counter = itertools.count(1)


def new_wamid() -> str:
    # Real ids look like "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUQ0N0VFMDA2MTQ0RkJFNkNDNAA="
    return f"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQz{time.time_ns():x}{next(_counter):04d}AA="


def notification(value: dict[str, Any]) -> dict[str, Any]:
    """The envelope every Cloud API messages notification has."""
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": WABA_ID,
                "changes": [
                    {
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": DISPLAY_PHONE_NUMBER,
                                "phone_number_id": PHONE_NUMBER_ID,
                            },
                            **value,
                        },
                        "field": "messages",
                    }
                ],
            }
        ],
    }


def _incoming(wa_id: str, name: str, message: dict[str, Any]) -> dict[str, Any]:
    return notification(
        {
            "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
            "messages": [
                {"from": wa_id, "id": new_wamid(), "timestamp": str(int(time.time())), **message}
            ],
        }
    )


def text(wa_id: str, body: str, name: str = "Sheena Nelson") -> dict[str, Any]:
    return _incoming(wa_id, name, {"text": {"body": body}, "type": "text"})


def button_reply(
    wa_id: str, button_id: str, title: str, name: str = "Sheena Nelson"
) -> dict[str, Any]:
    return _incoming(
        wa_id,
        name,
        {
            "context": {"from": DISPLAY_PHONE_NUMBER, "id": new_wamid()},
            "type": "interactive",
            "interactive": {
                "type": "button_reply",
                "button_reply": {"id": button_id, "title": title},
            },
        },
    )


def list_reply(
    wa_id: str, row_id: str, title: str, description: str = "", name: str = "Sheena Nelson"
) -> dict[str, Any]:
    return _incoming(
        wa_id,
        name,
        {
            "context": {"from": DISPLAY_PHONE_NUMBER, "id": new_wamid()},
            "type": "interactive",
            "interactive": {
                "type": "list_reply",
                "list_reply": {"id": row_id, "title": title, "description": description},
            },
        },
    )


def image(wa_id: str, name: str = "Sheena Nelson") -> dict[str, Any]:
    return _incoming(
        wa_id,
        name,
        {
            "type": "image",
            "image": {
                "caption": "This is a caption",
                "mime_type": "image/jpeg",
                "sha256": "81d3bd8a8db4868c9520ed47186e8b7c5789e61ff79f7f834be6950b808a90d3",
                "id": "2754859441498128",
            },
        },
    )


def audio(wa_id: str, name: str = "Sheena Nelson") -> dict[str, Any]:
    return _incoming(
        wa_id,
        name,
        {
            "type": "audio",
            "audio": {
                "mime_type": "audio/ogg; codecs=opus",
                "sha256": "yZPh3Q7ILmYy0tCeHhuZ3Nu5rzLMYQ8/zv1ZQ+rqa1Y=",
                "id": "1003383421387256",
                "voice": True,
            },
        },
    )


def sticker(wa_id: str, name: str = "Sheena Nelson") -> dict[str, Any]:
    return _incoming(
        wa_id,
        name,
        {
            "type": "sticker",
            "sticker": {
                "mime_type": "image/webp",
                "sha256": "XsBQfXJzKIGbnDeEWIr8RJ2YBAXfB4phtiJqCXMWv7w=",
                "id": "1027346075513470",
                "animated": False,
            },
        },
    )


def location(wa_id: str, name: str = "Sheena Nelson") -> dict[str, Any]:
    return _incoming(
        wa_id,
        name,
        {
            "type": "location",
            "location": {
                "address": "1 Hacker Way, Menlo Park, CA 94025",
                "latitude": 37.483307,
                "longitude": -122.148981,
                "name": "Main Street Beach",
                "url": "https://foursquare.com/v/4d7031d35b5df7744",
            },
        },
    )


def unsupported(wa_id: str, name: str = "Sheena Nelson") -> dict[str, Any]:
    return _incoming(
        wa_id,
        name,
        {
            "errors": [
                {
                    "code": 131051,
                    "details": "Message type is not currently supported",
                    "title": "Unsupported message type",
                }
            ],
            "type": "unsupported",
        },
    )


def reaction(wa_id: str, to_message: str, name: str = "Sheena Nelson") -> dict[str, Any]:
    return _incoming(
        wa_id,
        name,
        {"reaction": {"message_id": to_message, "emoji": "\U0001f600"}, "type": "reaction"},
    )


def status(wamid: str, wa_id: str, state: str) -> dict[str, Any]:
    """A sent / delivered / read / failed status for one of our messages."""
    item: dict[str, Any] = {
        "id": wamid,
        "status": state,
        "timestamp": str(int(time.time())),
        "recipient_id": wa_id,
    }
    if state in ("sent", "delivered"):
        item["conversation"] = {
            "id": "a75d17ad06104c51166f948319b03c6a",
            "origin": {"type": "service"},
        }
        item["pricing"] = {"billable": True, "pricing_model": "CBP", "category": "service"}
    if state == "failed":
        item["errors"] = [
            {
                "code": 131026,
                "title": "Message undeliverable",
                "message": "Message undeliverable",
                "error_data": {"details": "Message Undeliverable."},
            }
        ]
    return notification({"statuses": [item]})


def message_id(payload: dict[str, Any]) -> str:
    return str(payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"])


def signed(payload: dict[str, Any], secret: str = APP_SECRET) -> tuple[bytes, dict[str, str]]:
    """The exact bytes Meta would post and their headers."""
    raw = json.dumps(payload).encode("utf-8")
    return raw, {"Content-Type": "application/json", SIGNATURE_HEADER: sign(raw, secret)}


class Meta:
    """Plays Meta: posts notifications to the gateway's webhook, reads the stand-in's inbox."""

    def __init__(self, stack: Stack, graph: GraphStandIn) -> None:
        self.url = f"{stack.gateway_url}/webhooks/whatsapp"
        self.graph = graph

    async def post_raw(self, raw: bytes, headers: dict[str, str]) -> int:
        async with (
            aiohttp.ClientSession() as http,
            http.post(self.url, data=raw, headers=headers) as response,
        ):
            return response.status

    async def post(self, payload: dict[str, Any], secret: str = APP_SECRET) -> int:
        raw, headers = signed(payload, secret)
        return await self.post_raw(raw, headers)

    async def replies(
        self, wa_id: str, *, after: int, quiet_s: float = 1.5, timeout_s: float = 60
    ) -> list[dict[str, Any]]:
        """The messages sent to `wa_id` after the first `after`, once the gateway falls quiet."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        seen, stable_since = -1, loop.time()
        while loop.time() < deadline:
            count = len(self.graph.to(wa_id))
            if count != seen:
                seen, stable_since = count, loop.time()
            elif count > after and loop.time() - stable_since >= quiet_s:
                break
            await asyncio.sleep(0.1)
        return self.graph.to(wa_id)[after:]

    async def say(self, payload: dict[str, Any], wa_id: str) -> list[dict[str, Any]]:
        before = len(self.graph.to(wa_id))
        assert await self.post(payload) == 200
        return await self.replies(wa_id, after=before)


def bodies(messages: list[dict[str, Any]]) -> str:
    """Everything the customer reads in these messages."""
    out = []
    for m in messages:
        if m["type"] == "text":
            out.append(m["text"]["body"])
        elif m["type"] == "interactive":
            out.append(m["interactive"]["body"]["text"])
    return "\n".join(out)
