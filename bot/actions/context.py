"""What every action needs: the profile store, who is talking, where, and the catalogue."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import TypeVar

from rasa_sdk import Tracker
from sqlalchemy.orm import Session, sessionmaker

from offers.catalogue import Catalogue
from offers.catalogue import Offer as CatalogueOffer
from offers.catalogue import Product as CatalogueProduct
from offers.reasons import CHANNEL_WORDS, day_words
from profile_store.db import make_engine, make_sessionmaker
from profile_store.repository import all_offers, all_products
from rapport.settings import Settings
from tastes import Vocabulary, display_case, proper_nouns

T = TypeVar("T")

_lock = threading.Lock()
_sessionmaker: sessionmaker[Session] | None = None
_catalogue: tuple[float, Catalogue, Vocabulary] | None = None
CATALOGUE_TTL_S = 60.0


def sessions() -> sessionmaker[Session]:
    """The process's session factory, made on first use (never at import)."""
    global _sessionmaker
    with _lock:
        if _sessionmaker is None:
            _sessionmaker = make_sessionmaker(make_engine(Settings.from_env().database_url))
        return _sessionmaker


def configure(factory: sessionmaker[Session] | None) -> None:
    """Point the actions at another database (tests); None goes back to the environment's."""
    global _sessionmaker, _catalogue
    with _lock:
        _sessionmaker, _catalogue = factory, None


async def in_transaction(work: Callable[[Session], T]) -> T:
    """Run one use case in one transaction, off the event loop (the engine is synchronous)."""

    def run() -> T:
        with sessions().begin() as session:
            return work(session)

    return await asyncio.to_thread(run)


def customer_id(tracker: Tracker) -> str:
    return tracker.sender_id


def intent_name(tracker: Tracker) -> str | None:
    """The intent Rasa read in the latest message."""
    return (tracker.latest_message.get("intent") or {}).get("name")


def sender_address(tracker: Tracker) -> str | None:
    """The sender's address on their channel, as the gateway gave it (None if it did not)."""
    metadata = tracker.latest_message.get("metadata") or {}
    value = metadata.get("address") if isinstance(metadata, dict) else None
    return value if isinstance(value, str) and value else None


def channel(tracker: Tracker) -> str:
    metadata = tracker.latest_message.get("metadata") or {}
    value = metadata.get("channel") if isinstance(metadata, dict) else None
    return value if value in CHANNEL_WORDS else "rest"


def conversation_id(tracker: Tracker) -> str:
    """The sender id plus the start of the current Rasa session: one conversation."""
    started = 0.0
    for event in reversed(tracker.events):
        if event.get("event") == "session_started":
            started = float(event.get("timestamp") or 0.0)
            break
    return f"{tracker.sender_id[:40]}@{int(started)}"


def latest_text(tracker: Tracker) -> str:
    return str(tracker.latest_message.get("text") or "")


def today() -> date:
    return datetime.now(UTC).date()


def said_when(channel_name: str, at: datetime, *, on: date | None = None) -> str:
    """Customer-facing provenance: 'on the website on 3 March'."""
    return f"{CHANNEL_WORDS.get(channel_name, 'here')} on {day_words(at, on or today())}"


def _load_catalogue(session: Session) -> Catalogue:
    products = tuple(
        CatalogueProduct(
            sku=p.sku,
            name=p.name,
            category=p.category,
            tags=tuple(p.tags),
            synonyms=tuple(p.synonyms),
            allergens=tuple(p.allergens),
            diets=tuple(p.diets),
            price=p.price,
            unit=p.unit,
            description=p.description,
            made_from=tuple(p.made_from or ()),
        )
        for p in all_products(session)
    )
    offers = tuple(
        CatalogueOffer(
            id=o.id,
            title=o.title,
            description=o.description,
            product_skus=tuple(o.product_skus),
            category=o.category,
            tag=o.tag,
            discount=o.discount,
            valid_from=o.valid_from,
            valid_to=o.valid_to,
            weekend=o.weekend,
            for_diets=tuple(o.for_diets or ()),
        )
        for o in all_offers(session)
    )
    return Catalogue(products=products, offers=offers)


def vocabulary_entries(catalogue: Catalogue) -> list[tuple[str, str | None, list[str]]]:
    """(term, category, synonyms) for every product name and tag, cased as a sentence needs."""
    proper = proper_nouns(
        [p.name for p in catalogue.products]
        + [p.description for p in catalogue.products]
        + [f"{o.title}. {o.description}" for o in catalogue.offers]
    )
    entries: list[tuple[str, str | None, list[str]]] = []
    for p in catalogue.products:
        entries.append((display_case(p.name, proper), p.category, list(p.synonyms)))
        entries.extend((display_case(tag, proper), p.category, []) for tag in p.tags)
    return entries


async def catalogue() -> tuple[Catalogue, Vocabulary]:
    """The imported catalogue and the vocabulary built from it, refreshed every minute."""
    global _catalogue
    now = time.monotonic()
    if _catalogue is None or now - _catalogue[0] > CATALOGUE_TTL_S:
        loaded = await in_transaction(_load_catalogue)
        vocabulary = Vocabulary.from_entries(vocabulary_entries(loaded))
        _catalogue = (now, loaded, vocabulary)
    return _catalogue[1], _catalogue[2]
