"""The right to erasure: a customer and everything about them, in the profile store and in Rasa's
tracker, under every id they ever had; an opted-out address stays only as a keyed hash."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import Column, Engine, Table, delete, select, tuple_, update
from sqlalchemy.orm import Session

import profile_store.analytics  # noqa: F401  (its table refers to customers)
import profile_store.audit  # noqa: F401  (its table refers to customers)
import profile_store.email  # noqa: F401  (its tables refer to customers and addresses)
import profile_store.handoff  # noqa: F401  (idem)
import profile_store.messages  # noqa: F401  (idem)
from profile_store.email import SentEmail
from profile_store.linking import LinkEvent, LinkRequest
from profile_store.messages import InboundMessage, OutboundMessage
from profile_store.models import Base, Consent, Customer, Identity
from profile_store.privacy import (
    TRACKER_EVENTS_TABLE,
    ErasureAudit,
    compact_sqlite,
    customer_hash,
    has_tracker_events,
    make_tracker_engine,
    secure_delete,
    sender_ids_of,
    suppression_key,
)
from profile_store.privacy import suppress as suppress_address
from profile_store.repository import _when, get_customer

# Only these channels can be written to first (a mail, a WhatsApp template): their opted-out
# addresses are the ones worth suppressing.
PROACTIVE_CHANNELS = ("email", "whatsapp")
# Another customer's log line that named one of the erased addresses keeps the line, not this.
ERASED_ADDRESS = "(erased)"


@dataclass(frozen=True)
class ErasureReport:
    """What an erasure removed (numbers only, plus the sender ids for a later tracker pass)."""

    customer_hash: str
    sender_ids: tuple[str, ...]
    profile_rows: dict[str, int] = field(default_factory=dict)  # table -> rows deleted
    redacted_rows: int = 0  # other customers' log lines whose address was blanked
    tracker_events: int | None = None  # None: no tracker database was given
    suppressed: int = 0  # opted-out addresses kept as keyed hashes

    @property
    def total_profile_rows(self) -> int:
        return sum(self.profile_rows.values())


def erase_everything(
    session: Session,
    customer_id: str,
    *,
    tracker_url: str | None,
    suppress: bool = True,
    by: str,
    key: str | None = None,
    now: datetime | None = None,
) -> ErasureReport:
    """Erase a customer completely: every row about them in the profile store, and the Rasa
    tracker events of every sender id they ever had (their id, and those of customers merged
    into them by linking). Raises repository.UnknownCustomer.

    What remains: a `suppression` hash for each of their email and WhatsApp addresses that was
    opted out (unless `suppress` is False), and one `erasure_audit` line (`by`, when, the
    customer as a keyed hash). `key` is the hashing secret (default: RAPPORT_SUPPRESSION_KEY,
    else var/suppression_key). `by` says who asked: "customer", "staff:<username>", ...

    Transactions: the profile rows are deleted in `session` and the caller commits (then calls
    `compact_sqlite(engine)` on SQLite so that no deleted byte stays in the file). The tracker
    events are deleted and committed here, in their own database (`tracker_url`, SQLite or
    PostgreSQL; None leaves the tracker alone): if that fails nothing is committed in the
    profile store and the erasure can simply be run again.

    From a custom action: Rasa saves the tracker after the action returns, and, finding none of
    the current session's events stored any more, writes the whole session again. So run
    `erase_tracker_events(tracker_url, report.sender_ids)` once more after that turn (e.g. the
    gateway, when Rasa has answered), or the last session survives the erasure.
    """
    at = _when(now)
    key = key or suppression_key()
    get_customer(session, customer_id)
    session.flush()
    senders = tuple(sender_ids_of(session, customer_id))
    addresses = _addresses_of(session, customer_id)
    opted_out = _opted_out(session, customer_id, addresses) if suppress else []

    rows, redacted = erase_profile_rows(session, customer_id, addresses)
    for channel, address in opted_out:
        suppress_address(session, channel, address, key=key, at=at)
    report = ErasureReport(
        customer_hash=customer_hash(key, customer_id),
        sender_ids=senders,
        profile_rows=rows,
        redacted_rows=redacted,
        suppressed=len(opted_out),
    )
    if tracker_url is not None:
        report = replace(report, tracker_events=erase_tracker_events(tracker_url, senders))
    session.add(
        ErasureAudit(
            customer_hash=report.customer_hash,
            by=by[:80],
            at=at,
            counts={
                "profile_rows": report.total_profile_rows,
                "redacted_rows": report.redacted_rows,
                "tracker_events": report.tracker_events,
                "suppressed": report.suppressed,
            },
        )
    )
    session.flush()
    return report


def erase_profile_rows(
    session: Session,
    customer_id: str,
    addresses: list[tuple[str, str]] | None = None,
) -> tuple[dict[str, int], int]:
    """Delete the customer and every profile row about them: ({table: rows}, rows redacted).

    Rows referring to the customer are found on the metadata (a table added later is erased
    too); rows that name one of their addresses without naming them (a message before the
    customer was known, a code another customer asked to send them) go as well.
    """
    if addresses is None:
        addresses = _addresses_of(session, customer_id)
    counts: dict[str, int] = {}

    def count(table: str, result: object) -> None:
        counts[table] = counts.get(table, 0) + int(getattr(result, "rowcount", 0) or 0)

    with secure_delete(session):
        if addresses:
            pairs = tuple_(InboundMessage.channel, InboundMessage.address).in_(addresses)
            count("inbound_message", session.execute(delete(InboundMessage).where(pairs)))
            pairs = tuple_(OutboundMessage.channel, OutboundMessage.address).in_(addresses)
            count("outbound_message", session.execute(delete(OutboundMessage).where(pairs)))
            emails = [a for c, a in addresses if c == "email"]
            if emails:
                count(
                    "email_sent",
                    session.execute(delete(SentEmail).where(SentEmail.address.in_(emails))),
                )
            pairs = tuple_(LinkRequest.channel, LinkRequest.address).in_(addresses)
            count("link_request", session.execute(delete(LinkRequest).where(pairs)))
            # Another customer's link log keeps that a link happened, not whose address it was.
            redacted = session.execute(
                update(LinkEvent)
                .where(
                    tuple_(LinkEvent.channel, LinkEvent.address).in_(addresses),
                    LinkEvent.customer_id != customer_id,
                )
                .values(address=ERASED_ADDRESS)
            )
            redacted_rows = int(getattr(redacted, "rowcount", 0) or 0)
        else:
            redacted_rows = 0
        for table, column in _referring_tables():
            count(table.name, session.execute(delete(table).where(column == customer_id)))
        count("customer", session.execute(delete(Customer).where(Customer.id == customer_id)))
    # Objects loaded before the bulk deletes would otherwise be flushed back or read stale.
    session.expire_all()
    return {t: n for t, n in counts.items() if n}, redacted_rows


def erase_tracker_events(tracker: str | Engine, sender_ids: Iterable[str]) -> int:
    """Delete Rasa's tracker events of these sender ids (committed); how many went.

    A database where Rasa has not created its table yet has nothing to delete.
    """
    ids = sorted(set(sender_ids))
    engine = make_tracker_engine(tracker) if isinstance(tracker, str) else tracker
    try:
        if not ids or not has_tracker_events(engine):
            return 0
        deleted = 0
        with engine.begin() as connection, secure_delete(connection):
            for chunk in _chunks(ids, 500):
                result = connection.execute(
                    delete(TRACKER_EVENTS_TABLE).where(TRACKER_EVENTS_TABLE.c.sender_id.in_(chunk))
                )
                deleted += int(result.rowcount or 0)
        compact_sqlite(engine)
        return deleted
    finally:
        if isinstance(tracker, str):
            engine.dispose()


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _addresses_of(session: Session, customer_id: str) -> list[tuple[str, str]]:
    return [
        (channel, address)
        for channel, address in session.execute(
            select(Identity.channel, Identity.address)
            .where(Identity.customer_id == customer_id)
            .order_by(Identity.id)
        )
    ]


def _opted_out(
    session: Session, customer_id: str, addresses: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    """Their email and WhatsApp addresses under a "no": the latest answer to some purpose is a
    refusal, given on that channel or anywhere (a "no" said on one channel holds on all)."""
    latest_anywhere: dict[str, bool] = {}
    latest_on: dict[tuple[str, str], bool] = {}
    for consent in session.scalars(
        select(Consent).where(Consent.customer_id == customer_id).order_by(Consent.at, Consent.id)
    ):
        latest_anywhere[consent.purpose] = consent.granted
        latest_on[(consent.purpose, consent.channel)] = consent.granted
    refused_everywhere = not all(latest_anywhere.values())
    refused_on = {channel for (_, channel), granted in latest_on.items() if not granted}
    return [
        (channel, address)
        for channel, address in addresses
        if channel in PROACTIVE_CHANNELS and (refused_everywhere or channel in refused_on)
    ]


def _referring_tables() -> Iterator[tuple[Table, Column[str]]]:
    """Every (table, column) with a foreign key to `customer`, children first."""
    customer = Base.metadata.tables["customer"]
    for table in reversed(Base.metadata.sorted_tables):
        for fk in table.foreign_keys:
            if fk.references(customer):
                yield table, fk.parent
