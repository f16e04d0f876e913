"""The gateway's own SMTP listener (aiosmtpd), for a domain's MX or a relay that forwards to us.

The mail is processed before the final reply to DATA, so the sending server is our queue: a
250 means answered (or deliberately ignored), a 451 makes it retry later (Rasa unavailable),
a 552 refuses an oversized mail and a 554 an unreadable one. Nothing is spooled by us.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from channels.email.channel import EmailChannel, Outcome
from channels.email.parsing import MalformedMail, normalise_address

log = logging.getLogger(__name__)


class InboundHandler:
    """aiosmtpd handler: only the shop's address is a valid recipient."""

    def __init__(self, channel: EmailChannel) -> None:
        self.channel = channel
        self.shop = normalise_address(channel.shop_address).lower()

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        try:
            wanted = normalise_address(address).lower() == self.shop
        except MalformedMail:
            wanted = False
        if not wanted:
            # We are nobody's relay: mail for anyone else is refused before its data is sent.
            return "550 5.1.1 No such recipient here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        if not isinstance(raw, bytes):
            raw = str(raw or "").encode("utf-8", errors="replace")
        try:
            outcome = await self.channel.receive(raw, envelope_sender=envelope.mail_from or "")
        except Exception:  # a bug of ours must not lose the mail: the sender retries it
            log.exception("failed to process mail from %s", envelope.mail_from)
            return "451 4.3.0 Temporary failure, please retry later"
        if outcome is Outcome.MALFORMED:
            return "554 5.6.0 Message unreadable: no valid From address or broken MIME"
        if outcome is Outcome.RETRY:
            return "451 4.3.0 The assistant is unavailable, please retry later"
        return "250 2.0.0 OK"


async def start_listener(
    channel: EmailChannel, host: str, port: int, max_bytes: int
) -> asyncio.Server:
    """Listen on host:port in the running loop (the gateway's), so handlers share its resources."""
    handler = InboundHandler(channel)
    loop = asyncio.get_running_loop()

    def factory() -> Any:
        return SMTP(
            handler,
            data_size_limit=max_bytes,
            enable_SMTPUTF8=True,
            hostname=channel.shop_address.rpartition("@")[2] or None,
            ident="Rapport",
            timeout=300,
            loop=loop,
        )

    server = await loop.create_server(factory, host=host, port=port)
    log.info("email: SMTP listener on %s:%d for %s", host, port, channel.shop_address)
    return server
