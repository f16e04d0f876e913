"""The one path every channel's messages take: validate, resolve the customer, post to Rasa."""

from __future__ import annotations

import asyncio
import logging
import unicodedata
import weakref
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from channels.erasure import Erasures, erasure_asked
from channels.handoff import CUSTOMER, Handoff
from channels.keywords import STARTED, STOPPED, opt_word
from channels.linking import LinkCodes
from channels.rasa_client import RasaClient, RasaError
from profile_store.consents import record_opt_word
from profile_store.handoff import ConversationStatus
from profile_store.messages import claim_inbound, release_inbound
from profile_store.privacy import lift_suppression
from profile_store.repository import resolve_customer

log = logging.getLogger(__name__)

# Metadata keys the gateway sets itself; a caller's extra metadata never overrides them,
# otherwise a REST caller could claim another customer's address.
RESERVED_METADATA = ("channel", "address", "message_id")
MAX_ADDRESS_CHARS = 320  # profile_store's Identity.address column


class RejectedMessage(ValueError):
    """A message refused before anything was written or sent; `code` is machine-readable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def clean_text(text: object, max_chars: int) -> str:
    """Return the text Rasa should see, or raise RejectedMessage saying why it is refused."""
    if not isinstance(text, str):
        raise RejectedMessage("invalid_message", "The message must be text.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise RejectedMessage("invalid_message", "The message is not valid Unicode text.") from exc
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Control characters (NUL, escape sequences, ...) have no place in a chat message; they
    # would end up in the tracker and in staff's console.
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc").strip()
    if not text:
        raise RejectedMessage("empty_message", "The message is empty.")
    if len(text) > max_chars:
        raise RejectedMessage(
            "message_too_long", f"The message is too long (at most {max_chars} characters)."
        )
    return text


def check_address(address: object) -> str:
    """Return a channel address as is, or raise RejectedMessage if it cannot be one."""
    if not isinstance(address, str) or not address.strip():
        raise RejectedMessage("invalid_sender", "The sender must be a non-empty string.")
    if len(address) > MAX_ADDRESS_CHARS:
        raise RejectedMessage(
            "invalid_sender", f"The sender is too long (at most {MAX_ADDRESS_CHARS} characters)."
        )
    try:
        address.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise RejectedMessage("invalid_sender", "The sender is not valid Unicode text.") from exc
    if any(unicodedata.category(ch) == "Cc" for ch in address):
        raise RejectedMessage("invalid_sender", "The sender contains control characters.")
    return address


class _Locks:
    """One asyncio.Lock per key, forgotten as soon as nobody holds or awaits it."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[object, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    def __call__(self, key: object) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        return lock


@dataclass
class ConversationContext:
    """What handle_message needs: the profile store, Rasa, and the in-process ordering state."""

    sessionmaker: sessionmaker[Session]
    rasa: RasaClient
    max_message_chars: int
    identity_locks: _Locks = field(default_factory=_Locks)
    customer_locks: _Locks = field(default_factory=_Locks)
    # Who answers each customer, bot or staff (channels/console sets it); None: always the bot.
    handoff: Handoff | None = None
    # Sends the codes that link a customer's channels (channels/linking.py); None: none sent.
    link_codes: LinkCodes | None = None
    # Erases a customer who asked for it, once their turn is over (channels/erasure.py).
    erasures: Erasures | None = None


def _claim(sm: sessionmaker[Session], channel: str, address: str, message_id: str) -> str | None:
    """The customer id, or None when this message id was already processed (durably)."""
    with sm.begin() as session:
        customer_id = resolve_customer(session, channel, address).id
        if not claim_inbound(session, channel, message_id, address, customer_id):
            return None
        return customer_id


def _consent(
    sm: sessionmaker[Session],
    customer_id: str,
    channel: str,
    address: str,
    granted: bool,
    said: str,
) -> None:
    with sm.begin() as session:
        record_opt_word(session, customer_id, channel=channel, granted=granted, answer=said)
        if granted:  # their own yes outweighs an erased customer's no on this address
            lift_suppression(session, channel, address)


def _release(sm: sessionmaker[Session], channel: str, address: str, message_id: str) -> None:
    with sm.begin() as session:
        release_inbound(session, channel, message_id, address)


async def handle_message(
    ctx: ConversationContext,
    channel: str,
    address: str,
    text: object,
    message_id: str,
    extra_metadata: dict[str, Any],
) -> list[dict[str, Any]]:
    """Send one customer message to Rasa and return Rasa's messages.

    Raises RejectedMessage (nothing written, nothing sent) for bad input and RasaError when
    Rasa cannot answer. A message id already processed for this address returns [].
    """
    clean = clean_text(text, ctx.max_message_chars)
    address = check_address(address)
    # The identity lock is taken before the first real await, so the messages of one address
    # keep their arrival order through the database lookup; the customer lock then orders
    # them with the customer's other channels on the way to Rasa.
    async with ctx.identity_locks((channel, address)):
        customer_id = await asyncio.to_thread(
            _claim, ctx.sessionmaker, channel, address, message_id
        )
        if customer_id is None:
            log.info("duplicate message %s from %s:%s ignored", message_id, channel, address)
            return []
        granted = opt_word(clean)
        if granted is not None:
            # STOP / START on any channel: the customer's word on offers, recorded and confirmed
            # at once, whatever the dialogue was doing (WhatsApp answers its own, by Meta's rules).
            await asyncio.to_thread(
                _consent, ctx.sessionmaker, customer_id, channel, address, granted, clean
            )
            log.info(
                "customer %s %s offers (%s)",
                customer_id,
                "opted in to" if granted else "opted out of",
                channel,
            )
            return [{"recipient_id": customer_id, "text": STARTED if granted else STOPPED}]
        metadata = {
            **extra_metadata,
            "channel": channel,
            "address": address,
            "message_id": message_id,
        }
        async with ctx.customer_locks(customer_id):
            handoff = ctx.handoff
            status = ConversationStatus.BOT
            if handoff is not None:
                status = await handoff.status(customer_id)
                if status is ConversationStatus.CLOSED:
                    # A closed conversation reopens with the bot when the customer writes again.
                    status = await handoff.transition_locked(customer_id, "reopen", CUSTOMER)
            try:
                # Even while a person answers, Rasa gets the message (it is paused and only
                # records it) so that the tracker holds the whole transcript.
                messages = await ctx.rasa.send(customer_id, clean, metadata)
            except RasaError as exc:
                # Released so that the provider's retry of this message id is processed.
                await asyncio.to_thread(_release, ctx.sessionmaker, channel, address, message_id)
                # The customer is told to retry; the log keeps the message so it is not lost.
                log.warning(
                    "Rasa failed on message %s of customer %s (%s): %s; message was %r",
                    message_id,
                    customer_id,
                    channel,
                    exc,
                    clean,
                )
                raise
            if ctx.link_codes is not None:
                messages = await ctx.link_codes.replace(customer_id, messages)
            messages, erase = erasure_asked(messages)
            if handoff is not None:
                await handoff.customer_wrote(customer_id, channel, clean, status)
                # THE gate, the only one: while staff have the conversation the bot says
                # nothing to the customer, whatever Rasa answered.
                if status is not ConversationStatus.BOT:
                    await handoff.keep_paused(customer_id, messages)
                    messages = []
                else:
                    messages = await handoff.bot_replied(customer_id, messages)
            if erase and ctx.erasures is not None:
                # Last, when nothing more of this turn will be written: the customer is gone.
                await ctx.erasures.erase(customer_id)
        return messages
