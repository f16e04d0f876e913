"""The email channel: customers write to the shop and get one answer per mail, in the thread.

Inbound by the gateway's SMTP listener and/or by polling an IMAP mailbox (both chosen by
settings); outbound through the shop's smarthost. `email_channel` is the gateway's cleanup
context; it does nothing unless `settings.email_enabled`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from channels import delivery
from channels.email.channel import CHANNEL, EmailChannel, Outcome, SenderRateLimit
from channels.email.imap import ImapMailbox, ImapPoller
from channels.email.outbound import Smarthost
from channels.email.rendering import compose, reply_subject
from channels.email.smtp_inbound import start_listener
from channels.keys import conversation_key, sessionmaker_key, settings_key
from channels.linking import CodeSender
from channels.unsubscribe import unsubscribe_url
from profile_store.email import latest_sent_email

log = logging.getLogger(__name__)

email_channel_key = web.AppKey("email_channel", EmailChannel)

__all__ = ["CHANNEL", "EmailChannel", "Outcome", "email_channel", "email_channel_key"]


async def email_channel(app: web.Application) -> AsyncIterator[None]:
    """Start the SMTP listener and the IMAP poller the settings ask for; stop them on cleanup."""
    settings = app[settings_key]
    if not settings.email_enabled:
        yield
        return
    channel = EmailChannel(
        conversation=app[conversation_key],
        sessionmaker=app[sessionmaker_key],
        smarthost=Smarthost(
            host=settings.smtp_relay_host,
            port=settings.smtp_relay_port,
            user=settings.smtp_relay_user,
            password=settings.smtp_relay_password,
            starttls=settings.smtp_relay_starttls,
        ),
        shop_address=settings.email_address,
        shop_name=settings.shop_name,
        rate_limit=SenderRateLimit(settings.email_max_per_sender_per_hour),
        authserv_id=settings.email_authserv_id,
        unsubscribe_link=lambda address: unsubscribe_url(
            settings.gateway_public_url, settings.session_secret, CHANNEL, address
        ),
    )
    app[email_channel_key] = channel
    delivery.register(app, CHANNEL, _deliverer(channel))
    codes = app[conversation_key].link_codes
    if codes is not None:
        codes.register(CHANNEL, _code_sender(channel))
    server: asyncio.Server | None = None
    poller: asyncio.Task[None] | None = None
    if settings.smtp_listen_port:
        server = await start_listener(
            channel, settings.smtp_listen_host, settings.smtp_listen_port, settings.email_max_bytes
        )
    if settings.imap_host:
        mailbox = ImapMailbox(
            host=settings.imap_host,
            port=settings.imap_port,
            user=settings.imap_user,
            password=settings.imap_password,
            mailbox=settings.imap_mailbox,
            use_ssl=settings.imap_ssl,
        )
        imap = ImapPoller(channel, mailbox, app[sessionmaker_key], settings.email_max_bytes)
        poller = asyncio.create_task(imap.run(settings.imap_poll_s), name="email-imap-poller")
        log.info("email: polling IMAP %s every %.0f s", mailbox.cursor_key, settings.imap_poll_s)
    yield
    if poller is not None:
        poller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poller
    if server is not None:
        server.close()
        await server.wait_closed()


def _code_sender(channel: EmailChannel) -> CodeSender:
    """A linking code: a mail of its own (no thread), not remembered as a conversation."""

    async def send(address: str, code: str, text: str) -> bool:
        messages = [{"text": text}]
        mail = compose(
            shop_address=channel.shop_address,
            shop_name=channel.shop_name,
            to=address,
            subject=f"Your code for {channel.shop_name}: {code}",
            messages=messages,
            automatic=False,
        )
        return await channel.send(
            address, mail, messages, key=f"code:{uuid.uuid4().hex}", remember=False
        )

    return send


def _deliverer(channel: EmailChannel) -> delivery.Deliverer:
    """Staff answers and proactive messages: a new mail, in the last thread with the customer."""

    async def deliver(address: str, messages: list[dict[str, Any]]) -> None:
        def last_thread() -> tuple[str | None, str]:
            with channel.sessionmaker() as session:
                sent = latest_sent_email(session, address)
                if sent is None:
                    return None, f"A message from {channel.shop_name}"
                return sent.message_id, reply_subject(sent.subject)

        in_reply_to, subject = await asyncio.to_thread(last_thread)
        mail = compose(
            shop_address=channel.shop_address,
            shop_name=channel.shop_name,
            to=address,
            subject=subject,
            messages=messages,
            in_reply_to=in_reply_to,
            references=[],
            automatic=False,  # written or decided by people, not a reply of the robot
        )
        await channel.send(address, mail, messages, key=f"deliver:{uuid.uuid4().hex}")

    return deliver
