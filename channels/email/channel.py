"""One inbound mail, by SMTP or IMAP: decide, ask Rasa, answer in the same thread."""

from __future__ import annotations

import asyncio
import enum
import json
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from channels.conversation import (
    ConversationContext,
    RejectedMessage,
    check_address,
    handle_message,
)
from channels.email.outbound import SendFailed, Smarthost
from channels.email.parsing import InboundMail, MalformedMail, parse_mail
from channels.email.rendering import Choice, choices_of, compose, match_choice, reply_subject
from channels.rasa_client import RasaError, custom_payload
from profile_store.email import latest_sent_email, record_sent_email, sent_email
from profile_store.export import export_customer
from profile_store.messages import claim_inbound, record_outbound, update_outbound
from profile_store.repository import find_customer

log = logging.getLogger(__name__)

CHANNEL = "email"

UNVERIFIED = (
    "We received an email in your name that we could not verify (it failed the sender checks "
    "of our mail server), so we did not read it. If you wrote it, please write again from your "
    "usual mailbox, or contact the shop directly."
)
EMPTY = "We could not find any text in your email. Please write your message in the email itself."
TOO_LONG = "Your email is too long for us to read in one go. Could you write it more briefly?"


class Outcome(enum.Enum):
    """What became of one mail; the SMTP listener and the IMAP poller act on it."""

    ANSWERED = "answered"
    IGNORED = "ignored"  # automated, from ourselves, rate-limited or a duplicate: no answer
    MALFORMED = "malformed"  # unreadable: refused (SMTP 554) or skipped (IMAP)
    RETRY = "retry"  # Rasa unavailable: the mail must be offered again later


class SenderRateLimit:
    """At most `limit` mails per sender per `window_s`: a loop with a responder stops there."""

    def __init__(self, limit: int, window_s: float = 3600.0) -> None:
        self.limit = limit
        self.window_s = window_s
        self._times: dict[str, deque[float]] = {}

    def allow(self, sender: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        times = self._times.setdefault(sender, deque())
        while times and now - times[0] >= self.window_s:
            times.popleft()
        if len(times) >= self.limit:
            return False
        times.append(now)
        # Forget idle senders so the table does not grow with every address ever seen.
        if len(self._times) > 10_000:
            for key in [k for k, v in self._times.items() if not v]:
                del self._times[key]
        return True


EXPORT_FILE_KEY = "rapport_export_file"  # bot/actions/review.py: attach the customer's export
EXPORT_FILE = "my-data.json"


def _asks_export_file(message: dict[str, Any]) -> bool:
    return bool(custom_payload(message, EXPORT_FILE_KEY))


@dataclass
class EmailChannel:
    conversation: ConversationContext
    sessionmaker: sessionmaker[Session]
    smarthost: Smarthost
    shop_address: str
    shop_name: str
    rate_limit: SenderRateLimit
    authserv_id: str = ""
    # The one-click unsubscribe link for an address (channels/unsubscribe.py), if any.
    unsubscribe_link: Callable[[str], str] | None = None

    async def receive(self, raw: bytes, envelope_sender: str | None = None) -> Outcome:
        """Process one mail end to end; never raises for anything the mail itself contains."""
        try:
            mail = parse_mail(raw, envelope_sender=envelope_sender, authserv_id=self.authserv_id)
            check_address(mail.sender)
        except (MalformedMail, RejectedMessage) as exc:
            log.warning("malformed mail refused: %s", exc)
            return Outcome.MALFORMED
        if mail.sender.lower() == self.shop_address.lower():
            log.info("mail %s from our own address ignored", mail.message_id)
            return Outcome.IGNORED
        if mail.automated:
            log.info("%s %s from %s: no answer", mail.automated, mail.message_id, mail.sender)
            return Outcome.IGNORED
        if not self.rate_limit.allow(mail.sender):
            log.warning("rate limit: mail %s from %s gets no answer", mail.message_id, mail.sender)
            return Outcome.IGNORED
        if mail.authenticated is False:
            return await self._answer_without_rasa(mail, UNVERIFIED, "unverified")
        return await self._converse(mail)

    async def _converse(self, mail: InboundMail) -> Outcome:
        choices = await asyncio.to_thread(self._choices_for, mail)
        text = match_choice(mail.text, choices) or mail.text
        metadata: dict[str, Any] = {
            "authenticated": mail.authenticated,  # True, or None where the relay did not check
            "subject": mail.subject[:200],
        }
        try:
            messages = await handle_message(
                self.conversation, CHANNEL, mail.sender, text, mail.message_id, metadata
            )
        except RejectedMessage as rejected:
            reason = TOO_LONG if rejected.code == "message_too_long" else EMPTY
            return await self._answer_without_rasa(mail, reason, rejected.code)
        except RasaError:
            return Outcome.RETRY
        if not messages:
            # A duplicate (already answered), or a turn where the bot had nothing to say.
            return Outcome.IGNORED
        await self._send(mail, messages, key=f"reply:{mail.message_id}")
        return Outcome.ANSWERED

    async def _answer_without_rasa(self, mail: InboundMail, text: str, why: str) -> Outcome:
        """A fixed answer that never reaches Rasa nor the profile; once per Message-ID."""
        claimed = await asyncio.to_thread(self._claim_unprocessed, mail)
        if not claimed:
            return Outcome.IGNORED
        log.info("mail %s from %s answered without Rasa (%s)", mail.message_id, mail.sender, why)
        await self._send(mail, [{"text": text}], key=f"reply:{mail.message_id}", remember=False)
        return Outcome.ANSWERED

    def _claim_unprocessed(self, mail: InboundMail) -> bool:
        # No customer is resolved: an unverified mail must not even create a profile.
        with self.sessionmaker.begin() as session:
            return claim_inbound(session, CHANNEL, mail.message_id, mail.sender, None)

    def _choices_for(self, mail: InboundMail) -> list[Choice]:
        """The numbered choices of the mail being answered (else of our latest to the sender)."""
        with self.sessionmaker() as session:
            sent = None
            for ref in reversed(mail.references):
                found = sent_email(session, ref)
                if found is not None and found.address == mail.sender:
                    sent = found
                    break
            if sent is None:
                sent = latest_sent_email(session, mail.sender)
            if sent is None:
                return []
            return [Choice(**c) for c in sent.choices or []]

    async def _send(
        self,
        mail: InboundMail,
        messages: list[dict[str, Any]],
        *,
        key: str,
        remember: bool = True,
    ) -> None:
        wants_export = any(_asks_export_file(m) for m in messages)
        messages = [m for m in messages if not _asks_export_file(m)]
        reply = compose(
            shop_address=self.shop_address,
            shop_name=self.shop_name,
            to=mail.sender,
            subject=reply_subject(mail.subject),
            messages=messages,
            in_reply_to=mail.message_id,
            references=mail.references,
        )
        if wants_export:
            # The right of access by mail: the export itself, attached (bot/actions/review.py).
            data = await asyncio.to_thread(self._export_of, mail.sender)
            if data is not None:
                reply.add_attachment(
                    data, maintype="application", subtype="json", filename=EXPORT_FILE
                )
        await self.send(mail.sender, reply, messages, key=key, remember=remember)

    def _export_of(self, address: str) -> bytes | None:
        with self.sessionmaker() as session:
            customer = find_customer(session, f"{CHANNEL}:{address}")
            if customer is None:
                return None
            export = export_customer(session, customer.id)
        return json.dumps(export, ensure_ascii=False, indent=2).encode("utf-8")

    async def send(
        self,
        address: str,
        reply: Any,
        messages: list[dict[str, Any]],
        *,
        key: str,
        remember: bool = True,
    ) -> bool:
        """Send once per idempotency key; True when the smarthost took it."""
        if self.unsubscribe_link is not None and "List-Unsubscribe" not in reply:
            # RFC 8058: the mail client's own "Unsubscribe" button posts to this link.
            reply["List-Unsubscribe"] = f"<{self.unsubscribe_link(address)}>"
            reply["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        choices = [asdict(c) for c in choices_of(messages)]
        message_id = str(reply["Message-ID"])
        is_new = await asyncio.to_thread(
            self._record, key, address, message_id, str(reply["Subject"]), choices, remember
        )
        if not is_new:
            log.info("mail for %s already sent (%s)", address, key)
            return False
        try:
            await self.smarthost.send(reply)
        except SendFailed as exc:
            log.error("could not send the answer to %s: %s", address, exc)
            await asyncio.to_thread(self._mark, key, "failed", str(exc))
            return False
        await asyncio.to_thread(self._mark, key, "sent", None)
        return True

    def _record(
        self,
        key: str,
        address: str,
        message_id: str,
        subject: str,
        choices: list[dict[str, Any]],
        remember: bool,
    ) -> bool:
        with self.sessionmaker.begin() as session:
            customer = find_customer(session, f"{CHANNEL}:{address}") if remember else None
            customer_id = customer.id if customer is not None else None
            row, is_new = record_outbound(session, CHANNEL, key, address, customer_id)
            if not is_new and row.status == "sent":
                return False
            row.provider_id = message_id
            if remember:
                record_sent_email(session, message_id, address, subject, choices, customer_id)
            return True

    def _mark(self, key: str, status: str, error: str | None) -> None:
        with self.sessionmaker.begin() as session:
            update_outbound(session, CHANNEL, idempotency_key=key, status=status, error=error)
