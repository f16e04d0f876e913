"""Messages crossing the gateway: inbound ids processed once (durably), outbound delivery status."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from profile_store.models import Base, UTCDateTime, utcnow


class InboundMessage(Base):
    """A message id seen once per sender and channel; retries of the same id are dropped."""

    __tablename__ = "inbound_message"
    __table_args__ = (UniqueConstraint("channel", "address", "message_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[str] = mapped_column(String(255))
    address: Mapped[str] = mapped_column(String(320))
    customer_id: Mapped[str | None] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class OutboundMessage(Base):
    """A message we sent through a provider, with its latest delivery status."""

    __tablename__ = "outbound_message"
    __table_args__ = (UniqueConstraint("channel", "idempotency_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    # Ours, chosen before sending, so that a retry after a timeout never sends twice.
    idempotency_key: Mapped[str] = mapped_column(String(255))
    provider_id: Mapped[str | None] = mapped_column(String(255), index=True)
    address: Mapped[str] = mapped_column(String(320))
    customer_id: Mapped[str | None] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default="pending")
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def claim_inbound(
    session: Session, channel: str, message_id: str, address: str, customer_id: str | None = None
) -> bool:
    """True the first time (channel, address, message_id) is seen; False for a duplicate."""
    try:
        with session.begin_nested():
            session.add(
                InboundMessage(
                    channel=channel,
                    message_id=message_id,
                    address=address,
                    customer_id=customer_id,
                )
            )
    except IntegrityError:
        return False
    return True


def release_inbound(session: Session, channel: str, message_id: str, address: str) -> None:
    """Forget a claim whose processing failed, so the provider's retry is processed."""
    session.execute(
        delete(InboundMessage).where(
            InboundMessage.channel == channel,
            InboundMessage.address == address,
            InboundMessage.message_id == message_id,
        )
    )


def last_inbound_at(session: Session, channel: str, address: str) -> datetime | None:
    """When this address last wrote to us on this channel (WhatsApp's 24-hour window)."""
    return session.scalar(
        select(InboundMessage.received_at)
        .where(InboundMessage.channel == channel, InboundMessage.address == address)
        .order_by(InboundMessage.received_at.desc())
        .limit(1)
    )


def record_outbound(
    session: Session,
    channel: str,
    idempotency_key: str,
    address: str,
    customer_id: str | None = None,
) -> tuple[OutboundMessage, bool]:
    """The outbound row for this key, and whether it is new (False: already sent or sending)."""
    existing = session.scalar(
        select(OutboundMessage).where(
            OutboundMessage.channel == channel, OutboundMessage.idempotency_key == idempotency_key
        )
    )
    if existing is not None:
        return existing, False
    row = OutboundMessage(
        channel=channel,
        idempotency_key=idempotency_key,
        address=address,
        customer_id=customer_id,
    )
    session.add(row)
    session.flush()
    return row, True


def update_outbound(
    session: Session,
    channel: str,
    *,
    idempotency_key: str | None = None,
    provider_id: str | None = None,
    status: str,
    error: str | None = None,
    new_provider_id: str | None = None,
) -> OutboundMessage | None:
    """Set the status of a sent message, found by our key or the provider's id."""
    query = select(OutboundMessage).where(OutboundMessage.channel == channel)
    if idempotency_key is not None:
        query = query.where(OutboundMessage.idempotency_key == idempotency_key)
    elif provider_id is not None:
        query = query.where(OutboundMessage.provider_id == provider_id)
    else:
        raise ValueError("give idempotency_key or provider_id")
    row = session.scalar(query)
    if row is None:
        return None
    row.status = status
    row.error = error
    if new_provider_id:
        row.provider_id = new_provider_id
    row.updated_at = utcnow()
    return row
