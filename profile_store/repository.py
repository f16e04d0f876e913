"""Repository functions: each takes a session; the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from profile_store.addresses import InvalidAddress, normalise_address
from profile_store.models import (
    Customer,
    Habit,
    Identity,
    Offer,
    OfferEvent,
    OfferEventKind,
    Polarity,
    Preference,
    Product,
    utcnow,
)

CHANNELS = ("web", "whatsapp", "email", "rest", "staff")


class UnknownCustomer(LookupError):
    pass


def _when(at: datetime | None) -> datetime:
    if at is None:
        return utcnow()
    if at.tzinfo is None:
        raise ValueError("naive datetime given to the profile store; use timezone-aware UTC")
    return at


def resolve_customer(
    session: Session, channel: str, address: str, *, verified: bool = True
) -> Customer:
    """Return the customer owning (channel, address), creating both on first contact."""
    address = normalise_address(channel, address)
    found = session.execute(
        select(Customer)
        .join(Identity)
        .where(Identity.channel == channel, Identity.address == address)
    ).scalar_one_or_none()
    if found is not None:
        return found
    customer = Customer()
    customer.identities.append(Identity(channel=channel, address=address, verified=verified))
    try:
        with session.begin_nested():
            session.add(customer)
    except IntegrityError:
        # Another process created the same identity between our read and our write.
        return session.execute(
            select(Customer)
            .join(Identity)
            .where(Identity.channel == channel, Identity.address == address)
        ).scalar_one()
    return customer


def find_customer(session: Session, ref: str) -> Customer | None:
    """Find by customer id, or by "channel:address" (e.g. "whatsapp:+33612345678")."""
    customer = session.get(Customer, ref)
    if customer is not None:
        return customer
    channel, sep, address = ref.partition(":")
    if not sep:
        return None
    try:
        address = normalise_address(channel, address)
    except InvalidAddress:
        return None
    return session.execute(
        select(Customer)
        .join(Identity)
        .where(Identity.channel == channel, Identity.address == address)
    ).scalar_one_or_none()


def get_customer(session: Session, customer_id: str) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise UnknownCustomer(customer_id)
    return customer


def set_name(session: Session, customer_id: str, name: str) -> Customer:
    customer = get_customer(session, customer_id)
    customer.name = name.strip()[:120]
    return customer


def _same_subject(subject: str) -> Any:
    return func.lower(Preference.subject) == subject.strip().lower()


def _member(member: str | None) -> str | None:
    """The member word as stored: trimmed, spaces collapsed; empty means the customer."""
    cleaned = " ".join((member or "").split())[:40]
    return cleaned or None


def _same_member(member: str | None) -> Any:
    if member is None:
        return Preference.member.is_(None)
    return func.lower(Preference.member) == member.lower()


def _key(pref: Preference) -> tuple[str, str | None]:
    """Facts with the same key speak about the same thing: one subject, one person."""
    return pref.subject.strip().lower(), pref.member.lower() if pref.member else None


def record_preference(
    session: Session,
    customer_id: str,
    *,
    subject: str,
    polarity: Polarity | str,
    stated: str,
    channel: str,
    reason: str | None = None,
    category: str | None = None,
    strength: int | None = None,
    conversation_id: str | None = None,
    at: datetime | None = None,
    member: str | None = None,
    until: datetime | None = None,
) -> Preference:
    """Store a stated fact; an earlier fact on the same subject and member becomes history.

    `member`: who in the household it is about (None: the customer). `until`: when a
    time-bounded fact stops holding. A time-bounded fact does not end an open-ended one on the
    same subject: it hides it while it holds ("I love lamb", then "no lamb this week": lamb
    is loved again next week). A newer open-ended fact ends both.
    """
    get_customer(session, customer_id)
    now = _when(at)
    if until is not None and until.tzinfo is None:
        raise ValueError("naive `until` given to the profile store; use timezone-aware UTC")
    member = _member(member)
    for older in session.scalars(
        select(Preference).where(
            Preference.customer_id == customer_id,
            Preference.superseded_at.is_(None),
            _same_subject(subject),
            _same_member(member),
        )
    ):
        if until is not None and older.until is None:
            continue
        older.superseded_at = now
    pref = Preference(
        customer_id=customer_id,
        subject=subject.strip(),
        polarity=Polarity(polarity),
        reason=reason,
        category=category,
        strength=strength,
        stated=stated.strip(),
        channel=channel,
        conversation_id=conversation_id,
        at=now,
        member=member,
        until=until,
    )
    session.add(pref)
    session.flush()
    return pref


def _latest_per_key(rows: Iterable[Preference]) -> list[Preference]:
    """The latest fact per subject and member (a time-bounded one hides an open-ended one)."""
    latest: dict[tuple[str, str | None], Preference] = {}
    for row in rows:
        key = _key(row)
        seen = latest.get(key)
        if seen is None or (row.at, row.id) > (seen.at, seen.id):
            latest[key] = row
    return sorted(latest.values(), key=lambda p: (p.at, p.id))


def active_preferences(
    session: Session, customer_id: str, *, now: datetime | None = None
) -> list[Preference]:
    """What holds now: not superseded, not past its `until`, oldest first."""
    now = _when(now)
    return _latest_per_key(
        session.scalars(
            select(Preference).where(
                Preference.customer_id == customer_id,
                Preference.superseded_at.is_(None),
                or_(Preference.until.is_(None), Preference.until > now),
            )
        )
    )


def preference_history(
    session: Session, customer_id: str, *, now: datetime | None = None
) -> list[Preference]:
    """What no longer holds: superseded, expired, or hidden by a newer time-bounded fact."""
    current = {p.id for p in active_preferences(session, customer_id, now=now)}
    return [
        p
        for p in session.scalars(
            select(Preference)
            .where(Preference.customer_id == customer_id)
            .order_by(Preference.at, Preference.id)
        )
        if p.id not in current
    ]


def forget_preferences(
    session: Session, customer_id: str, subjects: Iterable[str]
) -> list[Preference]:
    """Erase the facts (and their history) on these subjects; "*" erases every fact and habit.

    Returns the erased facts that held until now, whoever in the household they were about.
    """
    wanted = [s.strip().lower() for s in subjects if s.strip()]
    current = {p.id for p in active_preferences(session, customer_id)}
    if "*" in wanted:
        removed = list(
            session.scalars(select(Preference).where(Preference.customer_id == customer_id))
        )
        session.execute(delete(Preference).where(Preference.customer_id == customer_id))
        session.execute(delete(Habit).where(Habit.customer_id == customer_id))
        return [p for p in removed if p.id in current]
    removed = []
    for subject in wanted:
        rows = list(
            session.scalars(
                select(Preference).where(
                    Preference.customer_id == customer_id, _same_subject(subject)
                )
            )
        )
        for row in rows:
            session.delete(row)
        removed.extend(r for r in rows if r.id in current)
    session.flush()
    return removed


def record_habit(
    session: Session,
    customer_id: str,
    *,
    what: str,
    stated: str,
    channel: str,
    when: str | None = None,
    frequency: str | None = None,
    conversation_id: str | None = None,
    at: datetime | None = None,
) -> Habit:
    get_customer(session, customer_id)
    habit = Habit(
        customer_id=customer_id,
        what=what,
        when=when,
        frequency=frequency,
        stated=stated.strip(),
        channel=channel,
        conversation_id=conversation_id,
        at=_when(at),
    )
    session.add(habit)
    session.flush()
    return habit


def habits(session: Session, customer_id: str) -> list[Habit]:
    return list(
        session.scalars(
            select(Habit).where(Habit.customer_id == customer_id).order_by(Habit.at, Habit.id)
        )
    )


def record_offer_event(
    session: Session,
    customer_id: str,
    *,
    offer_id: str,
    event: OfferEventKind | str,
    channel: str,
    conversation_id: str | None = None,
) -> OfferEvent:
    row = OfferEvent(
        customer_id=customer_id,
        offer_id=offer_id,
        event=OfferEventKind(event),
        channel=channel,
        conversation_id=conversation_id,
    )
    session.add(row)
    session.flush()
    return row


def offer_events(session: Session, customer_id: str) -> list[OfferEvent]:
    return list(
        session.scalars(
            select(OfferEvent)
            .where(OfferEvent.customer_id == customer_id)
            .order_by(OfferEvent.at, OfferEvent.id)
        )
    )


def erase_customer(session: Session, customer_id: str) -> None:
    """Every row about the customer in the profile store, but not Rasa's tracker: the right to
    erasure is profile_store.erasure.erase_everything."""
    from profile_store.erasure import erase_profile_rows  # it builds on this module

    get_customer(session, customer_id)
    erase_profile_rows(session, customer_id)


# --- catalogue ---------------------------------------------------------------------------

PRODUCT_FIELDS = (
    "name",
    "category",
    "tags",
    "synonyms",
    "allergens",
    "diets",
    "price",
    "unit",
    "description",
    "made_from",
)
OPTIONAL_FIELDS: dict[str, Any] = {
    "made_from": [],
    "for_diets": [],
}  # catalogue fields a row may leave out
OFFER_FIELDS = (
    "title",
    "description",
    "product_skus",
    "category",
    "tag",
    "discount",
    "valid_from",
    "valid_to",
    "weekend",
    "for_diets",
)


def upsert_catalogue(
    session: Session,
    products: Iterable[Mapping[str, Any]],
    offers: Iterable[Mapping[str, Any]],
) -> dict[str, int]:
    """Insert or update products (by sku) and offers (by id); re-importing changes nothing."""
    counts = {
        f"{kind}_{outcome}": 0
        for kind in ("products", "offers")
        for outcome in ("created", "updated", "unchanged")
    }
    for row in products:
        counts[_upsert(session, Product, row["sku"], row, PRODUCT_FIELDS, "products")] += 1
    for row in offers:
        counts[_upsert(session, Offer, row["id"], row, OFFER_FIELDS, "offers")] += 1
    session.flush()
    return counts


def _upsert(
    session: Session,
    model: type[Any],
    key: str,
    row: Mapping[str, Any],
    fields: tuple[str, ...],
    kind: str,
) -> str:
    row = {**OPTIONAL_FIELDS, **row}
    values = {f: list(row[f]) if isinstance(row[f], tuple) else row[f] for f in fields}
    if "price" in values:
        values["price"] = Decimal(str(values["price"])).quantize(Decimal("0.01"))
    existing = session.get(model, key)
    if existing is None:
        session.add(model(**{("sku" if model is Product else "id"): key}, **values))
        return f"{kind}_created"
    changed = False
    for f, v in values.items():
        if getattr(existing, f) != v:
            setattr(existing, f, v)
            changed = True
    return f"{kind}_updated" if changed else f"{kind}_unchanged"


def all_products(session: Session) -> list[Product]:
    return list(session.scalars(select(Product).order_by(Product.sku)))


def all_offers(session: Session) -> list[Offer]:
    return list(session.scalars(select(Offer).order_by(Offer.id)))


def ensure_customer(session: Session, customer_id: str) -> Customer:
    """The customer whose tracker this is; created bare when Rasa is talked to directly."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        customer = Customer(id=customer_id[:64])
        session.add(customer)
        session.flush()
    return customer
