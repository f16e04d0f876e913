"""Verified identity linking: one customer on every channel, joined only with a one-time code.

A customer asks to link an address of another channel; a code is sent there, and only that
customer typing it back proves they hold both. Nothing is ever merged because two addresses
look alike. When the address already belongs to another customer, that customer's whole
relationship (facts, habits, consents, offers, messages, conversation) joins the one who typed
the code, and opposite facts are settled without losing either: one stays current, the other
becomes history.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import (
    Column,
    ColumnElement,
    ForeignKey,
    Index,
    String,
    Table,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

import profile_store.audit  # noqa: F401  (its table refers to customers: merged too)
import profile_store.email  # noqa: F401  (its tables refer to customers: merged too)
import profile_store.messages  # noqa: F401  (idem)
from profile_store.addresses import InvalidAddress, normalise_address
from profile_store.handoff import Conversation, ConversationStatus
from profile_store.models import (
    Base,
    Consent,
    Customer,
    Identity,
    Polarity,
    Preference,
    UTCDateTime,
    utcnow,
)
from profile_store.privacy import record_former_sender
from profile_store.repository import _key, _when, active_preferences, get_customer

CODE_TTL = timedelta(minutes=10)
MAX_TRIES = 5
LINKABLE_CHANNELS = ("email", "whatsapp")  # a code can be sent there
PER_TARGET_PER_HOUR = 3  # codes sent to one (channel, address) in an hour, whoever asks
PER_CUSTOMER_PER_HOUR = 5  # link requests by one customer in an hour

CODE_DIGITS = 6
RATE_WINDOW = timedelta(hours=1)
# Digits of an international number (E.164: at most 15), as normalise_phone writes them.
_WHATSAPP_NUMBER = re.compile(r"\d{7,15}")
# A conversation in one of these needs nobody: the other customer's can take its place.
_QUIET = frozenset({ConversationStatus.BOT, ConversationStatus.CLOSED})

RefusalCode = Literal["rate_limited", "invalid_address", "already_linked", "not_linkable"]
Outcome = Literal["linked", "wrong", "expired", "exhausted", "no_request"]


class LinkRefused(Exception):
    """A link request the store will not make; `code` says why, `message` says it in a sentence."""

    def __init__(self, code: RefusalCode, message: str) -> None:
        super().__init__(message)
        self.code: RefusalCode = code
        self.message = message


def _new_salt() -> str:
    return secrets.token_hex(16)


class LinkRequest(Base):
    """A customer's wish to link one address; the code sent there is kept only as a salted hash.

    Open while neither used nor cancelled; a code is issued once (`expires_at` set then) and
    dies after CODE_TTL or MAX_TRIES wrong tries. A customer has at most one open request.
    """

    __tablename__ = "link_request"
    # The per-address rate limit counts a target's recent requests, whoever asked.
    __table_args__ = (Index("ix_link_request_target", "channel", "address", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[str] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(320))
    code_hash: Mapped[str | None] = mapped_column(String(64))
    salt: Mapped[str] = mapped_column(String(32), default=_new_salt)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    tries: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LinkEvent(Base):
    """One address linked to or unlinked from a customer: by whom, when (the export's `links`)."""

    __tablename__ = "link_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[str] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(8))  # "link" | "unlink"
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(320))
    by: Mapped[str] = mapped_column(String(80))  # "customer" or "staff:<username>"
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


@dataclass(frozen=True)
class Conflict:
    """Two linked customers said opposite things about one subject: which polarity holds now."""

    subject: str
    member: str | None
    kept: str  # the polarity kept current
    set_aside: str  # the polarity kept as history
    kept_stated: str
    set_aside_stated: str


@dataclass(frozen=True)
class CheckResult:
    outcome: Outcome
    tries_left: int = 0
    channel: str | None = None
    address: str | None = None
    merged_customer: str | None = None  # the customer who joined this one, gone now
    conflicts: tuple[Conflict, ...] = ()


# --- requests and codes ----------------------------------------------------------------


def _linkable_address(channel: str, address: str) -> str:
    """The address as stored, if a code can be sent there; LinkRefused otherwise."""
    if channel not in LINKABLE_CHANNELS:
        raise LinkRefused("not_linkable", f"A code cannot be sent by {channel}.")
    try:
        normalised = normalise_address(channel, address)
    except InvalidAddress as exc:
        raise LinkRefused("invalid_address", f"{address!r} is not an email address.") from exc
    # normalise_phone leaves anything that is not a number as it is: no code goes there.
    if channel == "whatsapp" and not _WHATSAPP_NUMBER.fullmatch(normalised):
        raise LinkRefused("invalid_address", f"{address!r} is not a WhatsApp number.")
    return normalised


def _owner(session: Session, channel: str, address: str) -> Identity | None:
    return session.scalar(
        select(Identity).where(Identity.channel == channel, Identity.address == address)
    )


def _recent_requests(session: Session, since: datetime, *where: ColumnElement[bool]) -> int:
    count = session.scalar(
        select(func.count()).select_from(LinkRequest).where(LinkRequest.created_at > since, *where)
    )
    return count or 0


def _open_requests(session: Session, customer_id: str) -> list[LinkRequest]:
    return list(
        session.scalars(
            select(LinkRequest).where(
                LinkRequest.customer_id == customer_id,
                LinkRequest.used_at.is_(None),
                LinkRequest.cancelled_at.is_(None),
            )
        )
    )


def request_link(
    session: Session, customer_id: str, channel: str, address: str, *, now: datetime | None = None
) -> LinkRequest:
    """A new request to link (channel, address) to this customer; its code is issued apart.

    Raises LinkRefused (not_linkable, invalid_address, already_linked, rate_limited). The
    customer's earlier open requests are cancelled: only the latest code can link.
    """
    now = _when(now)
    get_customer(session, customer_id)
    address = _linkable_address(channel, address)
    owner = _owner(session, channel, address)
    if owner is not None and owner.customer_id == customer_id:
        raise LinkRefused("already_linked", "That address is already linked to you.")
    since = now - RATE_WINDOW
    target = (LinkRequest.channel == channel, LinkRequest.address == address)
    if _recent_requests(session, since, *target) >= PER_TARGET_PER_HOUR:
        raise LinkRefused("rate_limited", "Too many codes were sent to that address this hour.")
    if _recent_requests(session, since, LinkRequest.customer_id == customer_id) >= (
        PER_CUSTOMER_PER_HOUR
    ):
        raise LinkRefused("rate_limited", "Too many link requests this hour.")
    for earlier in _open_requests(session, customer_id):
        earlier.cancelled_at = now
    request = LinkRequest(
        customer_id=customer_id,
        channel=channel,
        address=address,
        salt=_new_salt(),
        created_at=now,
    )
    session.add(request)
    session.flush()
    return request


def _digest(salt: str, code: str) -> str:
    return hmac.new(salt.encode(), code.encode(), hashlib.sha256).hexdigest()


def issue_code(session: Session, request_id: int, *, now: datetime | None = None) -> str | None:
    """The request's code, returned once (only its hash is kept); None if it cannot have one.

    None when the request is unknown, cancelled, used, or was already given a code.
    """
    now = _when(now)
    request = session.scalar(
        select(LinkRequest)
        .where(LinkRequest.id == request_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if (
        request is None
        or request.cancelled_at is not None
        or request.used_at is not None
        or request.code_hash is not None
    ):
        return None
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    request.code_hash = _digest(request.salt, code)
    request.expires_at = now + CODE_TTL
    session.flush()
    return code


def _latest_with_code(session: Session, customer_id: str, *, lock: bool) -> LinkRequest | None:
    """The customer's latest request with a code, neither used nor cancelled."""
    query = (
        select(LinkRequest)
        .where(
            LinkRequest.customer_id == customer_id,
            LinkRequest.code_hash.is_not(None),
            LinkRequest.used_at.is_(None),
            LinkRequest.cancelled_at.is_(None),
        )
        .order_by(LinkRequest.created_at.desc(), LinkRequest.id.desc())
        .limit(1)
        .execution_options(populate_existing=True)
    )
    # Two tries at once must not both count as the first (PostgreSQL; SQLite serialises writes).
    return session.scalar(query.with_for_update() if lock else query)


def open_request(
    session: Session, customer_id: str, *, now: datetime | None = None
) -> LinkRequest | None:
    """The request whose code the customer can still type: issued, not expired, tries left."""
    now = _when(now)
    request = _latest_with_code(session, customer_id, lock=False)
    if request is None or request.tries >= MAX_TRIES:
        return None
    if request.expires_at is None or now >= request.expires_at:
        return None
    return request


def _as_typed(code: str) -> str:
    """The code without the spaces or dashes a person may type inside it ("004 211")."""
    return re.sub(r"[\s\-]", "", code)


def check_code(
    session: Session, customer_id: str, code: str, *, now: datetime | None = None
) -> CheckResult:
    """Check a code typed by this customer against their own latest request, and link on success.

    Only this customer's request is looked at, so a code sent for someone else's request never
    links anything. A wrong code costs a try; the MAX_TRIES-th wrong one kills the request.
    """
    now = _when(now)
    request = _latest_with_code(session, customer_id, lock=True)
    if request is None or request.code_hash is None or request.expires_at is None:
        return CheckResult("no_request")
    channel, address = request.channel, request.address
    if request.tries >= MAX_TRIES:
        return CheckResult("exhausted", channel=channel, address=address)
    if now >= request.expires_at:
        return CheckResult("expired", channel=channel, address=address)
    if not hmac.compare_digest(_digest(request.salt, _as_typed(code)), request.code_hash):
        request.tries += 1
        session.flush()
        left = MAX_TRIES - request.tries
        outcome: Outcome = "wrong" if left else "exhausted"
        return CheckResult(outcome, tries_left=left, channel=channel, address=address)
    request.used_at = now
    merged, conflicts = _join(session, customer_id, channel, address, now)
    session.add(
        LinkEvent(
            customer_id=customer_id,
            action="link",
            channel=channel,
            address=address,
            by="customer",
            at=now,
        )
    )
    session.flush()
    return CheckResult(
        "linked", channel=channel, address=address, merged_customer=merged, conflicts=conflicts
    )


def _join(
    session: Session, customer_id: str, channel: str, address: str, now: datetime
) -> tuple[str | None, tuple[Conflict, ...]]:
    """Give the proven address to the customer: (the customer merged in, if any; conflicts)."""
    owner = _owner(session, channel, address)
    if owner is None:
        get_customer(session, customer_id)  # raises UnknownCustomer
        # Added by its key, not through Customer.identities: no collection event on a parent
        # the session may already have let go of.
        session.add(
            Identity(
                customer_id=customer_id,
                channel=channel,
                address=address,
                verified=True,
                created_at=now,
            )
        )
        session.flush()
        return None, ()
    merged = None if owner.customer_id == customer_id else owner.customer_id
    conflicts = () if merged is None else merge_customers(session, customer_id, merged, now=now)
    proven = _owner(session, channel, address)
    assert proven is not None
    proven.verified = True
    return merged, conflicts


# --- merging two customers -------------------------------------------------------------


def merge_customers(
    session: Session, into_id: str, from_id: str, *, now: datetime | None = None
) -> tuple[Conflict, ...]:
    """Make `from_id`'s whole relationship `into_id`'s, then delete `from_id`.

    Every row that refers to `from_id` moves (provenance unchanged), found on the metadata so
    that no table is cascaded away. Opposite current facts on one subject: an avoid stays,
    otherwise the newer; the other becomes history (each is returned as a Conflict). Per consent
    purpose the stricter side wins. One conversation is kept: the one someone is in (waiting or
    with an agent), else `into_id`'s. `from_id`'s open link requests are cancelled. The name is
    `into_id`'s, else `from_id`'s.
    """
    now = _when(now)
    if into_id == from_id:
        raise ValueError("a customer cannot be merged into themselves")
    into = get_customer(session, into_id)
    source = get_customer(session, from_id)
    session.flush()
    conflicts = _settle_preferences(session, into_id, from_id, now)
    opt_outs = _opt_outs_to_keep(session, into_id, from_id, now)
    _keep_one_conversation(session, into_id, from_id)
    for request in _open_requests(session, from_id):
        request.cancelled_at = now
    if not into.name:
        into.name = source.name
    session.flush()
    for table, column in _references_to_customers():
        session.execute(update(table).where(column == from_id).values({column.name: into_id}))
    # Rasa keeps `from_id`'s messages under that id: an erasure of `into_id` must find them.
    record_former_sender(session, into_id, from_id, at=now)
    session.execute(delete(Customer).where(Customer.id == from_id))
    # Objects loaded before the bulk moves still name `from_id`; read them again when used.
    session.expire_all()
    session.add_all(
        Consent(customer_id=into_id, purpose=purpose, channel="link", granted=False, at=at)
        for purpose, at in opt_outs
    )
    session.flush()
    return conflicts


def _references_to_customers() -> Iterator[tuple[Table, Column[str]]]:
    """Every (table, column) that refers to a customer on the metadata.

    Read from the metadata rather than listed, so that a table added later (once its module is
    imported, as this module imports the channels' tables) is moved, not cascaded away.
    """
    customer = Base.metadata.tables["customer"]
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.references(customer):
                yield table, fk.parent


def _wins(a: Preference, b: Preference) -> bool:
    """Whether `a` stays current over `b`: an avoid is never set aside, else the newer."""
    if (a.polarity is Polarity.AVOID) != (b.polarity is Polarity.AVOID):
        return a.polarity is Polarity.AVOID
    return (a.at, a.id) > (b.at, b.id)


def _settle_preferences(
    session: Session, into_id: str, from_id: str, now: datetime
) -> tuple[Conflict, ...]:
    theirs = {_key(p): p for p in active_preferences(session, from_id, now=now)}
    conflicts = []
    for mine in active_preferences(session, into_id, now=now):
        other = theirs.get(_key(mine))
        if other is None or other.polarity == mine.polarity:
            continue
        kept, set_aside = (mine, other) if _wins(mine, other) else (other, mine)
        _set_aside(session, kept, set_aside.customer_id, now)
        conflicts.append(
            Conflict(
                subject=kept.subject,
                member=kept.member,
                kept=kept.polarity.value,
                set_aside=set_aside.polarity.value,
                kept_stated=kept.stated,
                set_aside_stated=set_aside.stated,
            )
        )
    session.flush()
    return tuple(conflicts)


def _set_aside(session: Session, kept: Preference, loser_id: str, now: datetime) -> None:
    """Supersede the losing side's facts on `kept`'s subject, as a newer statement would.

    Any of them newer than `kept` (an older avoid won) would otherwise show on top of it. An
    older open-ended one behind a time-bounded `kept` is only hidden while `kept` holds, as
    record_preference does for one customer.
    """
    for row in session.scalars(
        select(Preference).where(
            Preference.customer_id == loser_id, Preference.superseded_at.is_(None)
        )
    ):
        if _key(row) != _key(kept):
            continue
        newer = (row.at, row.id) > (kept.at, kept.id)
        if newer or kept.until is None or row.until is not None:
            row.superseded_at = now


def _latest_consents(session: Session, customer_id: str) -> dict[str, Consent]:
    latest: dict[str, Consent] = {}
    for consent in session.scalars(
        select(Consent).where(Consent.customer_id == customer_id).order_by(Consent.at, Consent.id)
    ):
        latest[consent.purpose] = consent
    return latest


def _opt_outs_to_keep(
    session: Session, into_id: str, from_id: str, now: datetime
) -> list[tuple[str, datetime]]:
    """(purpose, at) of the opt-outs to add so that one side's latest "no" is the merged latest."""
    mine, theirs = _latest_consents(session, into_id), _latest_consents(session, from_id)
    opt_outs = []
    for purpose in sorted(mine.keys() | theirs.keys()):
        sides = [c for c in (mine.get(purpose), theirs.get(purpose)) if c is not None]
        merged = max(sides, key=lambda c: (c.at, c.id))
        if merged.granted and any(not c.granted for c in sides):
            # Never dated before the opt-in it overrides, whatever `now` the caller gave.
            opt_outs.append((purpose, max(now, merged.at)))
    return opt_outs


def _keep_one_conversation(session: Session, into_id: str, from_id: str) -> None:
    """One conversation per customer: keep the one someone is in, else `into_id`'s."""
    theirs = session.get(Conversation, from_id)
    if theirs is None:
        return
    mine = session.get(Conversation, into_id)
    if mine is None or (mine.status in _QUIET and theirs.status not in _QUIET):
        if mine is not None:
            session.delete(mine)
            session.flush()
        # Its key is the customer: moved by the bulk update, so forget the object keyed by it.
        session.expunge(theirs)
    else:
        session.delete(theirs)
        session.flush()


# --- unlinking and reading ---------------------------------------------------------------


def unlink(
    session: Session,
    customer_id: str,
    channel: str,
    address: str,
    *,
    by: str,
    now: datetime | None = None,
) -> bool:
    """Detach one address: it becomes a new customer of its own, with nothing else.

    The facts stay with the customer (their `channel` still says where they were stated).
    False when the address is not theirs or is their last one.
    """
    now = _when(now)
    try:
        address = normalise_address(channel, address)
    except InvalidAddress:
        return False
    identities = identities_of(session, customer_id)
    identity = next((i for i in identities if (i.channel, i.address) == (channel, address)), None)
    if identity is None or len(identities) < 2:
        return False
    alone = Customer(created_at=now)
    session.add(alone)
    identity.customer = alone
    session.add(
        LinkEvent(
            customer_id=customer_id,
            action="unlink",
            channel=channel,
            address=address,
            by=by,
            at=now,
        )
    )
    session.flush()
    return True


def identities_of(session: Session, customer_id: str) -> list[Identity]:
    return list(
        session.scalars(
            select(Identity).where(Identity.customer_id == customer_id).order_by(Identity.id)
        )
    )


def link_events(session: Session, customer_id: str) -> list[LinkEvent]:
    return list(
        session.scalars(
            select(LinkEvent)
            .where(LinkEvent.customer_id == customer_id)
            .order_by(LinkEvent.at, LinkEvent.id)
        )
    )
