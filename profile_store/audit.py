"""The access audit: who looked at, exported, changed or erased a customer's profile, and when.

`staff_audit` names the customer by id, so a customer's lines go when they are erased (the
erasure finds them by `customer_id`, like every row about them). The erasure itself is the
`erasure_audit` line (profile_store.privacy), which names the customer only as a keyed hash;
`latest_audit` reads both, so the console shows erasures by anyone (staff, CLI, the customer).

`by` says who, as in the other logs: "staff:<username>", "cli:<login>", "customer".
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from profile_store.models import Base, Customer, UTCDateTime, utcnow
from profile_store.privacy import ErasureAudit

LATEST = 200  # lines the console shows


class AuditAction(enum.StrEnum):
    VIEW_PROFILE = "view_profile"
    EXPORT = "export"
    ADD_FACT = "add_fact"
    UNLINK = "unlink"
    ERASE = "erase"  # kept in erasure_audit, never here: this line would name the customer


class StaffAudit(Base):
    """One access to a customer's profile: who, what, which customer, when."""

    __tablename__ = "staff_audit"
    id: Mapped[int] = mapped_column(primary_key=True)
    by: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[str] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


@dataclass(frozen=True)
class AuditLine:
    """A line as the console shows it: an erased customer appears only as a keyed hash."""

    at: datetime
    by: str
    action: str
    customer_id: str | None
    customer_name: str | None = None
    customer_hash: str | None = None


def record_access(
    session: Session,
    customer_id: str,
    action: AuditAction,
    *,
    by: str,
    at: datetime | None = None,
) -> None:
    """Log one access, in the caller's transaction (so it is kept only if the access happened)."""
    if action is AuditAction.ERASE:
        raise ValueError("erasures are audited by erase_everything, with the customer hashed")
    session.add(
        StaffAudit(by=by[:80], action=action.value, customer_id=customer_id, at=at or utcnow())
    )
    session.flush()


def accesses_of(session: Session, customer_id: str) -> list[StaffAudit]:
    """One customer's audit lines, oldest first."""
    return list(
        session.scalars(
            select(StaffAudit)
            .where(StaffAudit.customer_id == customer_id)
            .order_by(StaffAudit.at, StaffAudit.id)
        )
    )


def latest_audit(session: Session, limit: int = LATEST) -> list[AuditLine]:
    """The latest `limit` lines, accesses and erasures together, newest first."""
    accesses = session.execute(
        select(StaffAudit, Customer.name)
        .join(Customer, Customer.id == StaffAudit.customer_id)
        .order_by(StaffAudit.at.desc(), StaffAudit.id.desc())
        .limit(limit)
    )
    erasures = session.scalars(
        select(ErasureAudit).order_by(ErasureAudit.at.desc(), ErasureAudit.id.desc()).limit(limit)
    )
    lines = [
        AuditLine(a.at, a.by, a.action, a.customer_id, customer_name=name) for a, name in accesses
    ] + [
        AuditLine(e.at, e.by, AuditAction.ERASE.value, None, customer_hash=e.customer_hash)
        for e in erasures
    ]
    return sorted(lines, key=lambda line: line.at, reverse=True)[:limit]
