"""The gateway sends a linking code by the channel that owns the address, and the customer reads
only whether it went (never the code), whatever the provider does."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from channels.linking import LINK_CODE_KEY, LinkCodes
from profile_store.linking import check_code, request_link
from profile_store.repository import resolve_customer


def turn(request_id: Any) -> list[dict[str, Any]]:
    return [
        {"recipient_id": "x", "text": "Noted."},
        {
            "recipient_id": "x",
            "custom": {
                LINK_CODE_KEY: {
                    "request": request_id,
                    "sent": "I've sent a code.",
                    "failed": "I couldn't send a code.",
                    "message": "Your code is {code}.",
                }
            },
        },
    ]


def asked(sessions: sessionmaker[Session], channel: str, address: str) -> tuple[str, int]:
    with sessions.begin() as s:
        cid = resolve_customer(s, "web", f"sess-{address}").id
        return cid, request_link(s, cid, channel, address).id


async def test_the_code_goes_to_the_address_and_links_when_typed_back(
    sessions: sessionmaker[Session],
) -> None:
    sent: list[tuple[str, str, str]] = []

    async def by_mail(address: str, code: str, text: str) -> bool:
        sent.append((address, code, text))
        return True

    codes = LinkCodes(sessions)
    codes.register("email", by_mail)
    cid, request_id = asked(sessions, "email", "jo@example.org")
    out = await codes.replace(cid, turn(request_id))
    assert [m.get("text") for m in out] == ["Noted.", "I've sent a code."]
    assert all("custom" not in m for m in out)
    [(address, code, text)] = sent
    assert address == "jo@example.org" and text == f"Your code is {code}."
    assert code not in str(out)
    with sessions.begin() as s:
        assert check_code(s, cid, code).outcome == "linked"


async def test_what_could_not_be_sent_says_so(sessions: sessionmaker[Session]) -> None:
    async def broken(address: str, code: str, text: str) -> bool:
        raise ConnectionError("the provider is down")

    codes = LinkCodes(sessions)
    codes.register("email", broken)
    cid, request_id = asked(sessions, "email", "jo@example.org")
    out = await codes.replace(cid, turn(request_id))
    assert out[1]["text"] == "I couldn't send a code."
    # No channel configured for WhatsApp: said, not crashed.
    cid, request_id = asked(sessions, "whatsapp", "447700900123")
    assert (await codes.replace(cid, turn(request_id)))[1]["text"] == "I couldn't send a code."


async def test_a_request_of_another_customer_is_never_sent(sessions: sessionmaker[Session]) -> None:
    sent: list[str] = []

    async def by_mail(address: str, code: str, text: str) -> bool:
        sent.append(address)
        return True

    codes = LinkCodes(sessions)
    codes.register("email", by_mail)
    _, theirs = asked(sessions, "email", "victim@example.org")
    mine, _ = asked(sessions, "email", "me@example.org")
    out = await codes.replace(mine, turn(theirs))
    assert out[1]["text"] == "I couldn't send a code." and sent == []
    out = await codes.replace(mine, turn("not a number"))
    assert out[1]["text"] == "I couldn't send a code."
