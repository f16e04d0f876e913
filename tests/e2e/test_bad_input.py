"""Bad and hostile input against the real gateway: clear errors, no crash, nothing written."""

from __future__ import annotations

import sqlite3
from typing import Any

import aiohttp
import pytest

from rapport.stack import Stack
from tests.e2e.conftest import WebChatCustomer, texts

pytestmark = pytest.mark.e2e


def counts(stack: Stack) -> tuple[int, int]:
    db = stack.workdir / "profile.db"
    with sqlite3.connect(db) as conn:
        customers = conn.execute("select count(*) from customer").fetchone()[0]
        facts = conn.execute("select count(*) from preference").fetchone()[0]
    return customers, facts


async def errors_for(customer: WebChatCustomer, payload: Any) -> list[dict[str, Any]]:
    await customer.client.emit("user_uttered", payload)
    return await customer.replies(quiet_s=0.5, timeout_s=10)


async def test_rejected_web_chat_messages_get_a_clear_error_and_write_nothing(
    stack: Stack,
) -> None:
    before = counts(stack)
    customer = WebChatCustomer(stack.gateway_url)
    sid = await customer.connect()
    cases = {
        "empty_message": {"message": "   ", "session_id": sid},
        "message_too_long": {"message": "I love lamb " * 1000, "session_id": sid},
        "malformed_payload": "just a string",
        "session_mismatch": {"message": "I love lamb", "session_id": "someone-else.sig"},
        "invalid_message": {"message": "I love \ud800 lamb", "session_id": sid},
    }
    for expected, payload in cases.items():
        replies = await errors_for(customer, payload)
        assert [r["event"] for r in replies] == ["rapport_error"], (expected, replies)
        assert replies[0]["code"] == expected
        assert replies[0]["message"], "the error says what is wrong"
    assert counts(stack) == before, "nothing is written for a rejected message"

    # The same socket still works afterwards.
    assert "lamb" in texts(await customer.say("I quite like lamb")).lower()
    await customer.close()


async def test_invalid_utf8_on_the_socket_does_not_hurt_the_gateway(stack: Stack) -> None:
    before = counts(stack)
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"{stack.gateway_url}/socket.io/?EIO=4&transport=websocket")
        await ws.receive(timeout=5)  # engine.io open packet
        await ws.send_str("40")  # socket.io connect
        await ws.receive(timeout=5)
        await ws.send_frame(
            b'42["user_uttered",{"message":"\xff\xfe caf\xe9"}]', aiohttp.WSMsgType.TEXT
        )
        msg = await ws.receive(timeout=5)
        assert msg.type in (
            aiohttp.WSMsgType.CLOSE,
            aiohttp.WSMsgType.CLOSED,
            aiohttp.WSMsgType.CLOSING,
            aiohttp.WSMsgType.ERROR,
        )
        await ws.close()
        async with http.get(f"{stack.gateway_url}/health") as health:
            assert health.status == 200
    assert counts(stack) == before


async def test_rest_rejects_bad_bodies_clearly(stack: Stack) -> None:
    url, auth = stack.rest_url, stack.rest_headers()
    before = counts(stack)
    bad = [
        (b"\xff\xfe not utf-8", 400),
        (b"{not json", 400),
        (b'{"sender": "x", "message": ""}', 400),
        (b'{"sender": "", "message": "hi"}', 400),
        (b'{"sender": "x", "message": 42}', 400),
        (b'{"sender": "x", "message": "' + b"a" * 10_000 + b'"}', 400),
        (b'{"sender": "x", "message": "' + b"a" * 100_000 + b'"}', 413),
    ]
    async with aiohttp.ClientSession() as http:
        for body, status in bad:
            async with http.post(
                url, data=body, headers={**auth, "Content-Type": "application/json"}
            ) as resp:
                assert resp.status == status, body[:40]
                assert (await resp.json())["error"]
        assert counts(stack) == before
        async with http.post(url, json={"sender": "rest-1", "message": "I adore Comté"}) as resp:
            assert resp.status == 401, "no token, no answer"
            assert resp.headers["WWW-Authenticate"].startswith("Bearer")
        assert counts(stack) == before
        async with http.post(
            url, json={"sender": "rest-1", "message": "I adore Comté"}, headers=auth
        ) as resp:
            assert resp.status == 200
            replies = await resp.json()
    assert replies and all(r["recipient_id"] == "rest-1" for r in replies)
    assert "Comté" in " ".join(r.get("text", "") for r in replies)
