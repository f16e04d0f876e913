"""What the email channel must remember across restarts: the IMAP cursor and the mails we sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from profile_store.models import Base, UTCDateTime, utcnow


class ImapCursor(Base):
    """How far one mailbox has been read: UIDs only grow while UIDVALIDITY stays the same."""

    __tablename__ = "email_imap_cursor"
    mailbox: Mapped[str] = mapped_column(String(500), primary_key=True)  # user@host/INBOX
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SentEmail(Base):
    """A mail we sent, by its Message-ID: whom it went to and the numbered choices it offered."""

    __tablename__ = "email_sent"
    message_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    address: Mapped[str] = mapped_column(String(320), index=True)
    customer_id: Mapped[str | None] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    subject: Mapped[str] = mapped_column(String(998))
    # [{"number": 1, "title": "Yes", "payload": "/affirm"}, ...]
    choices: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


def imap_cursor(session: Session, mailbox: str) -> tuple[int, int] | None:
    """(UIDVALIDITY, last UID processed) of this mailbox, or None before its first poll."""
    row = session.get(ImapCursor, mailbox)
    return None if row is None else (row.uidvalidity, row.last_uid)


def advance_imap_cursor(session: Session, mailbox: str, uidvalidity: int, last_uid: int) -> None:
    row = session.get(ImapCursor, mailbox)
    if row is None:
        session.add(ImapCursor(mailbox=mailbox, uidvalidity=uidvalidity, last_uid=last_uid))
        return
    row.uidvalidity = uidvalidity
    row.last_uid = last_uid
    row.updated_at = utcnow()


def record_sent_email(
    session: Session,
    message_id: str,
    address: str,
    subject: str,
    choices: list[dict[str, Any]],
    customer_id: str | None = None,
) -> None:
    session.merge(
        SentEmail(
            message_id=message_id,
            address=address,
            customer_id=customer_id,
            subject=subject,
            choices=choices,
        )
    )


def sent_email(session: Session, message_id: str) -> SentEmail | None:
    return session.get(SentEmail, message_id)


def latest_sent_email(session: Session, address: str) -> SentEmail | None:
    """The last mail we sent to this address (where a reply without In-Reply-To belongs)."""
    return session.scalar(
        select(SentEmail)
        .where(SentEmail.address == address)
        .order_by(SentEmail.sent_at.desc())
        .limit(1)
    )
