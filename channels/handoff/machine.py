"""The conversation state machine, in one place: who answers a customer, bot or staff.

    bot ──hand_over──► waiting ──take──► agent ──hand_back──► bot
     │                   │                 │
     └───────take────────┼─────────────────┘ (staff take over a bot conversation)
                         └──hand_back / close──► closed ──reopen (customer writes)──► bot

Each transition changes the status with one conditional UPDATE (so two agents cannot both
take a conversation, even on two gateway replicas), records one HandoffEvent with who and
when, then tells Rasa: `pause` when a person takes over, `resume` when the bot answers
again. The status check that silences the bot is in channels.conversation.handle_message;
this module only moves the status.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from channels.delivery import UnknownChannel
from channels.handoff.hub import ConsoleHub
from channels.handoff.rasa_tracker import RasaTracker
from channels.handoff.schedule import OpeningSchedule, describe_when
from channels.rasa_client import RasaError
from profile_store.handoff import (
    ConversationStatus,
    StaffAccount,
    conversation_of,
    latest_inbound,
    move_conversation,
    record_event,
    status_of,
)
from profile_store.models import Customer, Polarity, utcnow
from profile_store.repository import record_preference

log = logging.getLogger(__name__)

BOT = ConversationStatus.BOT
WAITING = ConversationStatus.WAITING
AGENT = ConversationStatus.AGENT
CLOSED = ConversationStatus.CLOSED

HANDOFF_REQUEST = {"handoff": "request"}  # the custom payload of utter_request_human
STAFF_CHANNEL = "staff"  # provenance of facts staff enter on a customer's behalf


@dataclass(frozen=True)
class Transition:
    sources: frozenset[ConversationStatus]
    target: ConversationStatus


TRANSITIONS: dict[str, Transition] = {
    "hand_over": Transition(frozenset({BOT, CLOSED}), WAITING),
    "take": Transition(frozenset({BOT, WAITING, CLOSED}), AGENT),
    "hand_back": Transition(frozenset({WAITING, AGENT}), BOT),
    "close": Transition(frozenset({WAITING, AGENT}), CLOSED),
    "reopen": Transition(frozenset({CLOSED}), BOT),
}
PAUSED = frozenset({WAITING, AGENT})  # Rasa is paused exactly in these


class HandoffRefused(Exception):
    """A staff action that is not allowed now; `code` is machine-readable, `status` HTTP."""

    def __init__(self, code: str, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Actor:
    """Who caused an event: the customer, the bot, or a member of staff."""

    kind: str
    staff_id: int | None = None
    username: str | None = None
    first_name: str | None = None

    @classmethod
    def staff(cls, account: StaffAccount) -> Actor:
        return cls("staff", account.id, account.username, account.first_name)


CUSTOMER = Actor("customer")
THE_BOT = Actor("bot")

Deliver = Callable[[str, str, list[dict[str, Any]]], Awaitable[None]]
LockFor = Callable[[object], asyncio.Lock]


def staff_text(first_name: str, text: str) -> str:
    """How a staff answer reads on every channel: with the agent's first name."""
    return f"{first_name} (staff): {text}"


class Handoff:
    """Transitions and staff actions on one customer's conversation, with their effects."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        tracker: RasaTracker,
        schedule: OpeningSchedule,
        hub: ConsoleHub,
        lock_for: LockFor,
        deliver: Deliver,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.tracker = tracker
        self.schedule = schedule
        self.hub = hub
        self.lock_for = lock_for
        self._deliver = deliver
        self._clock = clock

    # --- reads -------------------------------------------------------------------------

    async def status(self, customer_id: str) -> ConversationStatus:
        def read() -> ConversationStatus:
            with self.sessions() as session:
                return status_of(session, customer_id)

        return await asyncio.to_thread(read)

    # --- transitions ---------------------------------------------------------------------

    async def transition(
        self, customer_id: str, name: str, actor: Actor, **detail: Any
    ) -> ConversationStatus:
        """Apply a named transition under the customer's lock (ordered with their messages)."""
        async with self.lock_for(customer_id):
            return await self.transition_locked(customer_id, name, actor, **detail)

    async def transition_locked(
        self, customer_id: str, name: str, actor: Actor, **detail: Any
    ) -> ConversationStatus:
        """The same, for a caller that already holds the customer's lock (handle_message)."""
        move = TRANSITIONS[name]
        now = self._clock()

        def write() -> tuple[ConversationStatus, str | None]:
            with self.sessions.begin() as session:
                if session.get(Customer, customer_id) is None:
                    raise HandoffRefused("unknown_customer", "No such customer.", 404)
                before = move_conversation(
                    session,
                    customer_id,
                    allowed_from=move.sources,
                    to=move.target,
                    agent_id=actor.staff_id if move.target is AGENT else None,
                    at=now,
                )
                if before is None:
                    raise self._refusal(session, customer_id, name)
                record_event(
                    session,
                    customer_id=customer_id,
                    action=name,
                    actor=actor.kind,
                    staff_id=actor.staff_id,
                    from_status=before.value,
                    to_status=move.target.value,
                    detail=detail,
                    at=now,
                )
                return before, actor.first_name

        before, agent = await asyncio.to_thread(write)
        if move.target in PAUSED and before not in PAUSED:
            await self._tell_rasa(customer_id, [{"event": "pause"}])
        elif move.target not in PAUSED and before in PAUSED:
            await self._tell_rasa(customer_id, [{"event": "resume"}])
        self.hub.publish(
            {
                "type": "status",
                "customer_id": customer_id,
                "status": move.target.value,
                "transition": name,
                "by": actor.first_name or actor.kind,
                "agent": agent if move.target is AGENT else None,
                "at": now.isoformat(),
            }
        )
        return move.target

    def _refusal(self, session: Session, customer_id: str, name: str) -> HandoffRefused:
        conversation = conversation_of(session, customer_id)
        status = conversation.status if conversation else BOT
        if name == "take" and status is AGENT:
            holder = session.get(StaffAccount, conversation.agent_id) if conversation else None
            who = holder.first_name if holder else "someone else"
            return HandoffRefused("already_taken", f"{who} has already taken this conversation.")
        return HandoffRefused(
            "not_allowed", f"Cannot {name.replace('_', ' ')} a conversation that is {status}."
        )

    async def _tell_rasa(self, customer_id: str, events: list[dict[str, Any]]) -> None:
        try:
            await self.tracker.append(customer_id, events)
        except RasaError as exc:
            # The gateway's status check silences the bot anyway; the tracker only loses the
            # marker, so the status change stands.
            log.warning("could not append %s for %s: %s", events, customer_id, exc)

    # --- called by handle_message, under the customer's lock ----------------------------

    async def customer_wrote(
        self, customer_id: str, channel: str, text: str, status: ConversationStatus
    ) -> None:
        self.hub.publish(
            {
                "type": "message",
                "customer_id": customer_id,
                "from": "customer",
                "channel": channel,
                "status": status.value,
                "text": text,
                "at": self._clock().isoformat(),
            }
        )

    async def keep_paused(self, customer_id: str, said: list[dict[str, Any]]) -> None:
        """Rasa answered although paused: its session expired and reset it; pause again."""
        if said:
            log.warning("Rasa answered %s while paused; pausing again", customer_id)
            await self._tell_rasa(customer_id, [{"event": "pause"}])

    async def bot_replied(
        self, customer_id: str, messages: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """The bot's messages as the customer should get them; a hand-over request acted on."""
        shown = [m for m in messages if m.get("custom") != HANDOFF_REQUEST]
        if len(shown) != len(messages):
            await self.transition_locked(customer_id, "hand_over", THE_BOT)
            shown.extend(await self._announce_hand_over(customer_id))
        for message in shown:
            self._publish_bot(customer_id, message)
        return shown

    async def _announce_hand_over(self, customer_id: str) -> list[dict[str, Any]]:
        now = self._clock()
        try:
            if self.schedule.is_open(now):
                return await self.tracker.execute(customer_id, "utter_handing_over")
            opening = self.schedule.next_opening(now)
            when = describe_when(opening, now) if opening else "as soon as we can"
            await self.tracker.append(
                customer_id, [{"event": "slot", "name": "handoff_when", "value": when}]
            )
            return await self.tracker.execute(customer_id, "utter_handing_over_closed")
        except RasaError as exc:
            log.warning("could not announce the hand-over to %s: %s", customer_id, exc)
            return []

    def _publish_bot(self, customer_id: str, message: dict[str, Any]) -> None:
        text = message.get("text")
        if isinstance(text, str) and text:
            self.hub.publish(
                {
                    "type": "message",
                    "customer_id": customer_id,
                    "from": "bot",
                    "text": text,
                    "at": self._clock().isoformat(),
                }
            )

    # --- staff actions -------------------------------------------------------------------

    async def take(self, customer_id: str, staff: Actor) -> ConversationStatus:
        return await self.transition(customer_id, "take", staff)

    async def close(self, customer_id: str, staff: Actor) -> ConversationStatus:
        return await self.transition(customer_id, "close", staff)

    async def hand_back(self, customer_id: str, staff: Actor) -> ConversationStatus:
        """Give the conversation back to the bot, which tells the customer it is back."""
        async with self.lock_for(customer_id):
            status = await self.transition_locked(customer_id, "hand_back", staff)
            try:
                said = await self.tracker.execute(customer_id, "utter_bot_back")
                # A turn ends with listening: without it the next message would be predicted
                # from "utter_bot_back" rather than from a fresh turn, and rules would not match.
                await self.tracker.append(
                    customer_id, [{"event": "action", "name": "action_listen"}]
                )
            except RasaError as exc:
                log.warning("could not say the bot is back to %s: %s", customer_id, exc)
                return status
            if said:
                await self._send(customer_id, said)
                for message in said:
                    self._publish_bot(customer_id, message)
            return status

    async def reply(self, customer_id: str, staff: Actor, text: str) -> str:
        """Send an agent's answer on the customer's own channel and into the Rasa tracker."""
        text = text.strip()
        if not text:
            raise HandoffRefused("empty_reply", "The reply is empty.", 400)
        if len(text) > 4000:
            raise HandoffRefused("reply_too_long", "The reply is too long (4000 characters).", 400)
        async with self.lock_for(customer_id):

            def check() -> None:
                with self.sessions() as session:
                    conversation = conversation_of(session, customer_id)
                    if conversation is None or conversation.status is not AGENT:
                        status = conversation.status if conversation else BOT
                        raise HandoffRefused(
                            "not_taken" if status is not CLOSED else "closed",
                            f"Take the conversation before replying (it is {status}).",
                        )
                    if conversation.agent_id != staff.staff_id:
                        raise HandoffRefused("not_yours", "Another agent has this conversation.")

            await asyncio.to_thread(check)
            shown = staff_text(staff.first_name or "Staff", text)
            channel = await self._send(customer_id, [{"text": shown}])
            await self._tell_rasa(
                customer_id,
                [
                    {
                        "event": "bot",
                        "text": shown,
                        "metadata": {
                            "agent": staff.username,
                            "first_name": staff.first_name,
                            "channel": channel,
                        },
                    }
                ],
            )
            await self._log(customer_id, "reply", staff, {"channel": channel, "chars": len(text)})
            self.hub.publish(
                {
                    "type": "message",
                    "customer_id": customer_id,
                    "from": "agent",
                    "agent": staff.first_name,
                    "text": shown,
                    "at": self._clock().isoformat(),
                }
            )
            return shown

    async def _send(self, customer_id: str, messages: list[dict[str, Any]]) -> str:
        """Deliver on the channel of the customer's latest message; that channel's name."""

        def where() -> tuple[str, str] | None:
            with self.sessions() as session:
                inbound = latest_inbound(session, customer_id)
                return (inbound.channel, inbound.address) if inbound else None

        found = await asyncio.to_thread(where)
        if found is None:
            raise HandoffRefused("no_channel", "The customer has never written to us.")
        channel, address = found
        try:
            await self._deliver(channel, address, messages)
        except UnknownChannel as exc:
            raise HandoffRefused(
                "undeliverable", f"Messages cannot be sent on the customer's channel ({channel})."
            ) from exc
        return channel

    async def add_fact(
        self,
        customer_id: str,
        staff: Actor,
        *,
        subject: str,
        polarity: str,
        stated: str,
        reason: str | None = None,
    ) -> None:
        """Add or correct a fact on the customer's behalf, marked as entered by staff."""
        subject = subject.strip()
        stated = stated.strip()
        if not subject or len(subject) > 200:
            raise HandoffRefused("invalid_fact", "Give a subject (at most 200 characters).", 400)
        if polarity not in {p.value for p in Polarity}:
            raise HandoffRefused("invalid_fact", "Polarity is like, dislike or avoid.", 400)
        if not stated or len(stated) > 2000:
            raise HandoffRefused("invalid_fact", "Say what the customer told you.", 400)
        reason = (reason or "").strip()[:40] or None

        def write() -> None:
            with self.sessions.begin() as session:
                if session.get(Customer, customer_id) is None:
                    raise HandoffRefused("unknown_customer", "No such customer.", 404)
                # A newer statement on the same subject supersedes the older one: correcting
                # a fact keeps the customer's original words as history.
                record_preference(
                    session,
                    customer_id,
                    subject=subject,
                    polarity=polarity,
                    stated=stated,
                    channel=STAFF_CHANNEL,
                    reason=reason,
                )
                record_event(
                    session,
                    customer_id=customer_id,
                    action="fact",
                    actor=staff.kind,
                    staff_id=staff.staff_id,
                    detail={"subject": subject, "polarity": polarity},
                )

        await asyncio.to_thread(write)
        self.hub.publish({"type": "profile", "customer_id": customer_id})

    async def _log(
        self, customer_id: str | None, action: str, staff: Actor, detail: dict[str, Any]
    ) -> None:
        def write() -> None:
            with self.sessions.begin() as session:
                record_event(
                    session,
                    customer_id=customer_id,
                    action=action,
                    actor=staff.kind,
                    staff_id=staff.staff_id,
                    detail=detail,
                )

        await asyncio.to_thread(write)
