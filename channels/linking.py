"""The gateway's half of linking a customer's channels: sending the one-time code.

When a customer asks to link an address ("link my email jane@example.com"), the action
records a link request and answers with a `rapport_link_code` message instead of text. Here,
before the turn's replies reach the customer, the code is made (profile_store.linking: only its
hash is kept) and sent to that address by the channel that owns it: a mail, or a WhatsApp
message (the authentication template outside the 24-hour window). The customer then sees
"I've sent a code to ..." or, when sending failed, a sentence that says so. The code itself
never goes through Rasa, the tracker or the chat it was asked from.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from channels.rasa_client import custom_payload
from profile_store.linking import LinkRequest, issue_code

log = logging.getLogger(__name__)

LINK_CODE_KEY = "rapport_link_code"  # bot/actions/linking.py writes it
# (address, code, the message carrying it) -> True when the channel's provider took it
CodeSender = Callable[[str, str, str], Awaitable[bool]]


class LinkCodes:
    """The code senders of the channels that can carry one (email, WhatsApp)."""

    def __init__(self, sm: sessionmaker[Session]) -> None:
        self.sessionmaker = sm
        self._senders: dict[str, CodeSender] = {}

    def register(self, channel: str, sender: CodeSender) -> None:
        self._senders[channel] = sender

    async def replace(
        self, customer_id: str, messages: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """The turn's messages, each code request sent and replaced by what the customer reads."""
        out = []
        for message in messages:
            payload = custom_payload(message, LINK_CODE_KEY)
            if not isinstance(payload, dict):
                out.append(message)
                continue
            text = await self._send(customer_id, payload)
            out.append({**{k: v for k, v in message.items() if k != "custom"}, "text": text})
        return out

    async def _send(self, customer_id: str, payload: dict[str, Any]) -> str:
        sent, failed = str(payload.get("sent") or ""), str(payload.get("failed") or "")
        request_id = payload.get("request")
        if not isinstance(request_id, int):
            return failed
        issued = await asyncio.to_thread(self._issue, customer_id, request_id)
        if issued is None:
            log.warning("link request %s of %s: no code to send", request_id, customer_id)
            return failed
        channel, address, code = issued
        sender = self._senders.get(channel)
        if sender is None:
            log.error("no %s channel configured to send a linking code to", channel)
            return failed
        message = str(payload.get("message") or "{code}").replace("{code}", code)
        try:
            ok = await sender(address, code, message)
        except Exception:  # a provider's failure is the customer's "could not send", not a crash
            log.exception("sending a linking code by %s failed", channel)
            ok = False
        if not ok:
            log.warning("the linking code for request %s was not sent by %s", request_id, channel)
        return sent if ok else failed

    def _issue(self, customer_id: str, request_id: int) -> tuple[str, str, str] | None:
        with self.sessionmaker.begin() as session:
            request = session.get(LinkRequest, request_id)
            # Only the conversation that asked may have a code sent for its request.
            if request is None or request.customer_id != customer_id:
                return None
            code = issue_code(session, request_id)
            return None if code is None else (request.channel, request.address, code)
