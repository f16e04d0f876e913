"""The WhatsApp channel: each customer message processed once, replies sent once, the rules kept.

Every message of a webhook runs as its own task, kept on the channel, so that the webhook can
wait for them within a bounded time (and tell Meta to retry when Rasa was down) and tests and
shutdown can await them (`drain`).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
import weakref
from collections.abc import Callable, Coroutine, Iterable, Sequence
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.orm import Session, sessionmaker

from channels.conversation import ConversationContext, RejectedMessage, handle_message
from channels.keywords import opt_word
from channels.rasa_client import RasaError
from channels.whatsapp import policy, store
from channels.whatsapp.graph import GraphClient, GraphError
from channels.whatsapp.payload import CustomerMessage, DeliveryStatus, Notification
from channels.whatsapp.render import (
    Template,
    render_all,
    template_message,
    text_message,
)
from profile_store.models import utcnow

log = logging.getLogger(__name__)

CHANNEL = store.CHANNEL
# The bot's offers are found by the time the action recorded them; the action server's clock
# may be a little behind the gateway's.


class OutsideServiceWindow(Exception):
    """The customer last wrote more than 24 hours ago: only a template message may be sent."""


class NoOfferConsent(Exception):
    """The customer has not opted in to offers on WhatsApp (or has sent STOP)."""


class _Locks:
    """One lock per WhatsApp number, so one customer's messages are handled in arrival order."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def __call__(self, key: str) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        return lock


class WhatsAppChannel:
    def __init__(
        self,
        *,
        graph: GraphClient,
        conversation: ConversationContext,
        sessionmaker: sessionmaker[Session],
        phone_number_id: str,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.graph = graph
        self.conversation = conversation
        self.sessionmaker = sessionmaker
        self.phone_number_id = phone_number_id
        self._now = now
        self._tasks: set[asyncio.Task[None]] = set()
        self._detached: weakref.WeakSet[asyncio.Task[None]] = weakref.WeakSet()
        self._messages: weakref.WeakKeyDictionary[asyncio.Task[None], CustomerMessage] = (
            weakref.WeakKeyDictionary()
        )
        self._locks = _Locks()

    # --- tasks ---------------------------------------------------------------------------

    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        message = self._messages.get(task)
        if isinstance(exc, RasaError):
            if task in self._detached and message is not None:
                # Meta was already told 200 and will not retry: tell the customer instead.
                self._spawn(self._send_texts(message, "unavailable", [policy.UNAVAILABLE]))
        elif exc is not None:
            log.error("WhatsApp task failed", exc_info=exc)

    def start(self, notification: Notification) -> list[asyncio.Task[None]]:
        """Start processing every status and message of one webhook notification."""
        tasks = []
        for status in notification.statuses:
            if self._ours(status.phone_number_id):
                tasks.append(self._spawn(self.record_status(status)))
        for message in notification.messages:
            if not self._ours(message.phone_number_id):
                log.warning("message %s for another phone number ignored", message.message_id)
                continue
            task = self._spawn(self.process(message))
            self._messages[task] = message
            tasks.append(task)
        return tasks

    def detach(self, tasks: Iterable[asyncio.Task[None]]) -> None:
        """The webhook stopped waiting for these: they finish in the background."""
        for task in tasks:
            self._detached.add(task)

    async def drain(self, timeout_s: float | None = None) -> None:
        """Wait until every message and status received so far has been handled."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout_s is None else loop.time() + timeout_s
        while self._tasks:
            remaining = None if deadline is None else max(deadline - loop.time(), 0)
            if remaining == 0:
                raise TimeoutError(f"{len(self._tasks)} WhatsApp tasks still running")
            await asyncio.wait(set(self._tasks), timeout=remaining)

    async def close(self, timeout_s: float = 10.0) -> None:
        try:
            await self.drain(timeout_s)
        except TimeoutError:
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _ours(self, phone_number_id: str | None) -> bool:
        # One Meta app can serve several numbers; answer only what was sent to ours.
        return phone_number_id in (None, self.phone_number_id)

    # --- inbound -------------------------------------------------------------------------

    async def process(self, message: CustomerMessage) -> None:
        """Handle one customer message; RasaError means it was not processed (retry it)."""
        async with self._locks(message.wa_id):
            await self._process(message)

    async def _process(self, message: CustomerMessage) -> None:
        sm, wa_id, mid = self.sessionmaker, message.wa_id, message.message_id
        who = await asyncio.to_thread(store.contact, sm, wa_id, message.profile_name)
        cid = who.customer_id
        if message.kind == "reaction":
            # An emoji on one of our messages: it opens the window, it needs no answer.
            await asyncio.to_thread(store.claim, sm, wa_id, mid, cid)
            return
        if not message.readable:
            if await asyncio.to_thread(store.claim, sm, wa_id, mid, cid):
                await self._send_texts(
                    message, "unsupported", [policy.unsupported_reply(message.kind)], cid
                )
            return
        granted = opt_word(message.text) if message.kind == "text" else None
        if granted is not None:
            if await asyncio.to_thread(
                store.claim_and_consent, sm, wa_id, mid, cid, granted, message.text or ""
            ):
                log.info(
                    "customer %s %s offers on WhatsApp",
                    cid,
                    "opted in to" if granted else "opted out of",
                )
                confirmation = policy.START_CONFIRMATION if granted else policy.STOP_CONFIRMATION
                await self._send_texts(message, "consent", [confirmation], cid)
            return
        # A tapped reply button or list row carries the bot's own payload (e.g.
        # /accept_offer{"offer_id": ...}); the bot's actions record what it means.
        text = message.text
        extra = {"profile_name": message.profile_name or who.name, "whatsapp_type": message.kind}
        try:
            replies = await handle_message(self.conversation, CHANNEL, wa_id, text, mid, extra)
        except RejectedMessage as rejected:
            await self._send_texts(message, "rejected", [rejected.message], cid)
            return
        if not replies:
            return
        await self.send_all(wa_id, cid, mid, render_all(wa_id, replies))

    async def record_status(self, status: DeliveryStatus) -> None:
        changed = await asyncio.to_thread(
            store.apply_status, self.sessionmaker, status.provider_id, status.status, status.error
        )
        if status.status == "failed":
            log.warning("WhatsApp could not deliver %s: %s", status.provider_id, status.error)
        if not changed:
            log.debug("status %s for %s not applied", status.status, status.provider_id)

    # --- outbound ------------------------------------------------------------------------

    async def _send_texts(
        self,
        message: CustomerMessage,
        purpose: str,
        texts: Sequence[str],
        customer_id: str | None = None,
    ) -> None:
        cid = customer_id
        if cid is None:
            cid = (
                await asyncio.to_thread(store.contact, self.sessionmaker, message.wa_id, None)
            ).customer_id
        payloads = [text_message(message.wa_id, t) for t in texts]
        await self.send_all(message.wa_id, cid, f"{message.message_id}:{purpose}", payloads)

    async def send_all(
        self,
        wa_id: str,
        customer_id: str | None,
        key_prefix: str,
        payloads: Sequence[dict[str, Any]],
    ) -> list[str]:
        """Send in order, each under the key `<prefix>:<index>`; returns each one's outcome."""
        outcomes = []
        for index, payload in enumerate(payloads):
            outcomes.append(
                await self.send_one(f"{key_prefix}:{index}", wa_id, customer_id, payload)
            )
        return outcomes

    async def send_one(
        self, key: str, wa_id: str, customer_id: str | None, payload: dict[str, Any]
    ) -> str:
        """Send one message unless this key was ever sent; the outcome is its stored status."""
        sm = self.sessionmaker
        if not await asyncio.to_thread(store.reserve, sm, key, wa_id, customer_id):
            log.info("WhatsApp message %s already sent (or being sent): not sent again", key)
            return "duplicate"
        try:
            wamid = await self.graph.send(payload)
        except GraphError as exc:
            # "unknown": WhatsApp may have it; the key stays taken so it is never sent twice.
            status = "unknown" if exc.ambiguous else "failed"
            log.warning("WhatsApp message %s to %s %s: %s", key, wa_id, status, exc)
            await asyncio.to_thread(store.mark, sm, key, status, error=str(exc)[:1000])
            return status
        await asyncio.to_thread(store.mark, sm, key, "accepted", provider_id=wamid)
        return "accepted"

    async def deliver(self, address: str, messages: list[dict[str, Any]]) -> None:
        """The registered deliverer (staff replies): free-form, so only in the 24-hour window."""
        last = await asyncio.to_thread(store.last_message_at, self.sessionmaker, address)
        if not policy.in_service_window(last, self._now()):
            raise OutsideServiceWindow(
                f"{address} last wrote on WhatsApp at {last}; outside 24 hours only an approved "
                "template message may be sent"
            )
        customer_id = await asyncio.to_thread(store.customer_of, self.sessionmaker, address)
        key = f"deliver:{uuid.uuid4().hex}"
        await self.send_all(address, customer_id, key, render_all(address, messages))

    async def send_code(self, address: str, code: str, text: str, template_name: str) -> bool:
        """A one-time code to link this number: as text in the 24-hour window, otherwise the
        approved authentication template. True when WhatsApp accepted it."""
        last = await asyncio.to_thread(store.last_message_at, self.sessionmaker, address)
        if policy.in_service_window(last, self._now()):
            payload = text_message(address, text)
        else:
            payload = template_message(address, Template(template_name, code=code))
        key = f"code:{uuid.uuid4().hex}"
        return await self.send_one(key, address, None, payload) == "accepted"

    async def send_offer(
        self,
        address: str,
        messages: list[dict[str, Any]],
        template: Template,
        *,
        key: str,
    ) -> Literal["free_form", "template"]:
        """A proactive offer: only with the customer's yes to messages we send first
        (store.may_write_first); a template outside the window.

        `key` identifies this offer to this customer (e.g. "offer:<id>:<date>"): calling again
        with the same key never sends again. Raises NoOfferConsent without an opt-in.
        """
        sm = self.sessionmaker
        customer_id, consented = await asyncio.to_thread(store.may_write_first, sm, address)
        if not consented:
            raise NoOfferConsent(f"{address} has not agreed to messages we send first")
        last = await asyncio.to_thread(store.last_message_at, sm, address)
        if policy.in_service_window(last, self._now()):
            await self.send_all(address, customer_id, key, render_all(address, messages))
            return "free_form"
        await self.send_all(address, customer_id, key, [template_message(address, template)])
        return "template"
