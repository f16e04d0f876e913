"""Human handoff: who answers each customer (bot or staff), staff accounts, and the action log."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import JSON, Enum, ForeignKey, String, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from profile_store.messages import InboundMessage
from profile_store.models import Base, UTCDateTime, utcnow


class ConversationStatus(enum.StrEnum):
    BOT = "bot"  # the bot answers
    WAITING = "waiting"  # handed over, no agent yet; the bot is paused
    AGENT = "agent"  # an agent answers; the bot is paused
    CLOSED = "closed"  # an agent closed it; the customer's next message goes to the bot


class Conversation(Base):
    """The one ongoing conversation of a customer; no row means `bot`."""

    __tablename__ = "conversation"
    customer_id: Mapped[str] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[ConversationStatus] = mapped_column(
        Enum(
            ConversationStatus,
            name="conversation_status",
            values_callable=lambda e: [m.value for m in e],
            native_enum=False,
            length=16,
        ),
        default=ConversationStatus.BOT,
        index=True,
    )
    agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_account.id", ondelete="SET NULL")
    )
    # Since when the customer has been waiting for a person (the queue's order).
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StaffAccount(Base):
    """A member of staff who can log in to the console; the password is an argon2 hash."""

    __tablename__ = "staff_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    first_name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class HandoffEvent(Base):
    """One recorded event: a transition (by anyone) or a staff action (reply, fact, login).

    Rows with a `staff_id` are the staff action log: who did what, to whom, when.
    """

    __tablename__ = "handoff_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    # "customer", "bot", "system" or "staff"; with staff_id when it was a member of staff.
    actor: Mapped[str] = mapped_column(String(16))
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_account.id", ondelete="SET NULL"), index=True
    )
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class UsernameTaken(ValueError):
    pass


MIN_PASSWORD_CHARS = 10
_hasher = PasswordHasher()  # argon2id with argon2-cffi's current recommended parameters
# Verified when the username is unknown, so a wrong username costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_CHARS:
        raise ValueError(f"the password must have at least {MIN_PASSWORD_CHARS} characters")
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; always does the work of one argon2 verification."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def add_staff(session: Session, username: str, first_name: str, password_hash: str) -> StaffAccount:
    if session.scalar(select(StaffAccount).where(StaffAccount.username == username)) is not None:
        raise UsernameTaken(username)
    account = StaffAccount(username=username, first_name=first_name, password_hash=password_hash)
    session.add(account)
    session.flush()
    return account


def find_staff(session: Session, username: str) -> StaffAccount | None:
    return session.scalar(
        select(StaffAccount).where(StaffAccount.username == username, StaffAccount.active)
    )


def conversation_of(session: Session, customer_id: str) -> Conversation | None:
    return session.get(Conversation, customer_id)


def status_of(session: Session, customer_id: str) -> ConversationStatus:
    status = session.scalar(
        select(Conversation.status).where(Conversation.customer_id == customer_id)
    )
    return ConversationStatus.BOT if status is None else status


def move_conversation(
    session: Session,
    customer_id: str,
    *,
    allowed_from: frozenset[ConversationStatus],
    to: ConversationStatus,
    agent_id: int | None,
    at: datetime,
) -> ConversationStatus | None:
    """Move to `to` if the status is one of `allowed_from`, atomically; the old status or None.

    A conditional UPDATE, so two agents taking the same conversation at once (even on two
    gateway replicas) cannot both succeed.
    """
    if session.get(Conversation, customer_id) is None:
        session.add(Conversation(customer_id=customer_id, status=ConversationStatus.BOT))
        session.flush()
    before = status_of(session, customer_id)
    values: dict[str, Any] = {"status": to, "agent_id": agent_id, "updated_at": at}
    if to is ConversationStatus.WAITING:
        values["waiting_since"] = at
    elif to is not ConversationStatus.AGENT:
        values["waiting_since"] = None
    result = session.execute(
        update(Conversation)
        .where(
            Conversation.customer_id == customer_id,
            Conversation.status == before,
            Conversation.status.in_(list(allowed_from)),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        return None
    session.expire_all()
    return before


def record_event(
    session: Session,
    *,
    customer_id: str | None,
    action: str,
    actor: str,
    staff_id: int | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> HandoffEvent:
    event = HandoffEvent(
        customer_id=customer_id,
        action=action,
        actor=actor,
        staff_id=staff_id,
        from_status=from_status,
        to_status=to_status,
        detail=detail or {},
        at=at or utcnow(),
    )
    session.add(event)
    session.flush()
    return event


def events_of(session: Session, customer_id: str) -> list[HandoffEvent]:
    return list(
        session.scalars(
            select(HandoffEvent)
            .where(HandoffEvent.customer_id == customer_id)
            .order_by(HandoffEvent.at, HandoffEvent.id)
        )
    )


def latest_inbound(session: Session, customer_id: str) -> InboundMessage | None:
    """The customer's latest message: where a staff answer goes (their own channel)."""
    return session.scalar(
        select(InboundMessage)
        .where(InboundMessage.customer_id == customer_id)
        .order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc())
        .limit(1)
    )


def waiting_queue(session: Session) -> list[Conversation]:
    """Conversations waiting for a person, oldest first."""
    return list(
        session.scalars(
            select(Conversation)
            .where(Conversation.status == ConversationStatus.WAITING)
            .order_by(Conversation.waiting_since, Conversation.customer_id)
        )
    )


def recent_customers(
    session: Session, since: datetime, limit: int = 50
) -> list[tuple[str, datetime]]:
    """(customer id, last message at) of customers who wrote since `since`, latest first."""
    last = func.max(InboundMessage.received_at)
    rows = session.execute(
        select(InboundMessage.customer_id, last)
        .where(InboundMessage.customer_id.is_not(None), InboundMessage.received_at >= since)
        .group_by(InboundMessage.customer_id)
        .order_by(last.desc())
        .limit(limit)
    )
    return [(str(cid), at) for cid, at in rows]
