"""What the right to erasure needs to be complete, and what may lawfully outlive a customer.

- `former_sender`: the ids a customer's conversations were kept under before a merge
  (linking.merge_customers deletes the customer merged away, but Rasa's tracker still holds
  their messages under that id), so an erasure finds every tracker of the person.
- `suppression`: an opted-out address, kept only as a keyed hash, so that the shop never writes
  to it again after the customer is erased.
- `erasure_audit`: that an erasure happened, by whom, when; the customer only as a keyed hash.

And what makes a delete final: `secure_delete` and `compact_sqlite` for SQLite files, and an
engine on Rasa's tracker database (`make_tracker_engine`), from which we only ever delete.

The key is a server secret (`RAPPORT_SUPPRESSION_KEY`, else generated once into
var/suppression_key): without it a hash cannot be checked against a guessed address.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextlib import suppress as suppress_error
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Engine,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    delete,
    event,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Mapped, Session, mapped_column

from profile_store.addresses import InvalidAddress, normalise_address
from profile_store.models import Base, UTCDateTime, utcnow

KEY_ENV = "RAPPORT_SUPPRESSION_KEY"
# Read by suppression_key(), which rapport.settings also calls for Settings.suppression_key.
KEY_FILE = Path(__file__).resolve().parent.parent / "var" / "suppression_key"
# Rasa's SQL tracker store keeps every event in this one table, keyed by `sender_id`.
TRACKER_EVENTS = "events"
# Its columns that we use; Rasa creates the table and owns it (rasa.core.tracker_store.SQLEvent).
TRACKER_EVENTS_TABLE = Table(
    TRACKER_EVENTS,
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("timestamp", Float),
)


class FormerSender(Base):
    """An id this customer's conversations were kept under before another customer joined them."""

    __tablename__ = "former_sender"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[str] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    sender_id: Mapped[str] = mapped_column(String(255))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Suppression(Base):
    """An address never to be messaged again: its keyed hash, never the address itself."""

    __tablename__ = "suppression"
    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ErasureAudit(Base):
    """One erasure: who asked for it, when, which customer (keyed hash), how much went."""

    __tablename__ = "erasure_audit"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_hash: Mapped[str] = mapped_column(String(64), index=True)
    by: Mapped[str] = mapped_column(String(80))  # "customer", "staff:<username>", "cli:<user>"
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Numbers only: rows per table, tracker events, addresses suppressed.
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# --- the key and the hashes ---------------------------------------------------------------


def suppression_key(env: Mapping[str, str] | None = None, path: Path = KEY_FILE) -> str:
    """RAPPORT_SUPPRESSION_KEY, else the key in var/suppression_key (created on first use)."""
    given = (os.environ if env is None else env).get(KEY_ENV)
    if given:
        return given
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def keyed_hash(key: str, kind: str, value: str) -> str:
    """HMAC-SHA256 of `kind:value`: the same input always gives the same hash under one key."""
    if not key:
        raise ValueError("an empty key would make the hashes reversible by guessing")
    return hmac.new(key.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def address_hash(key: str, channel: str, address: str) -> str:
    with suppress_error(InvalidAddress):  # hashed as given: it can only match the same text
        address = normalise_address(channel, address)
    return keyed_hash(key, channel, address)


def customer_hash(key: str, customer_id: str) -> str:
    return keyed_hash(key, "customer", customer_id)


# --- suppression ----------------------------------------------------------------------------


def suppress(
    session: Session,
    channel: str,
    address: str,
    *,
    key: str | None = None,
    at: datetime | None = None,
) -> None:
    """Never message (channel, address) again; idempotent."""
    digest = address_hash(key or suppression_key(), channel, address)
    if session.get(Suppression, digest) is None:
        session.add(Suppression(hash=digest, channel=channel, at=at or utcnow()))
        session.flush()


def is_suppressed(session: Session, channel: str, address: str, *, key: str | None = None) -> bool:
    """Whether an erased customer opted this address out: check before any proactive message."""
    digest = address_hash(key or suppression_key(), channel, address)
    return session.get(Suppression, digest) is not None


def lift_suppression(
    session: Session, channel: str, address: str, *, key: str | None = None
) -> bool:
    """Forget the suppression of an address whose owner opted in again; whether there was one."""
    digest = address_hash(key or suppression_key(), channel, address)
    result = session.execute(delete(Suppression).where(Suppression.hash == digest))
    return bool(getattr(result, "rowcount", 0))


# --- former sender ids ----------------------------------------------------------------------


def record_former_sender(
    session: Session, customer_id: str, sender_id: str, *, at: datetime | None = None
) -> None:
    """`sender_id`'s conversations now belong to `customer_id` (called by merge_customers)."""
    session.add(FormerSender(customer_id=customer_id, sender_id=sender_id, at=at or utcnow()))


def sender_ids_of(session: Session, customer_id: str) -> list[str]:
    """Every id Rasa may keep this customer's messages under: theirs, then former ones."""
    former = session.scalars(
        select(FormerSender.sender_id)
        .where(FormerSender.customer_id == customer_id)
        .order_by(FormerSender.id)
    )
    ids = [customer_id]
    ids.extend(s for s in former if s not in ids)
    return ids


# --- deleting for good ------------------------------------------------------------------------


@contextmanager
def secure_delete(connection: Connection | Session) -> Iterator[None]:
    """On SQLite, deleted rows are overwritten with zeros rather than left in free pages."""
    if _dialect(connection) != "sqlite":
        yield
        return
    # Some builds have it on by default (Debian's): leave the connection as it was found.
    current = int(connection.execute(text("PRAGMA secure_delete")).scalar() or 0)
    was = {0: "OFF", 2: "FAST"}.get(current, "ON")
    connection.execute(text("PRAGMA secure_delete = ON"))
    try:
        yield
    finally:
        connection.execute(text(f"PRAGMA secure_delete = {was}"))


def _dialect(connection: Connection | Session) -> str:
    bind = connection.get_bind() if isinstance(connection, Session) else connection
    return bind.dialect.name


def compact_sqlite(engine: Engine) -> None:
    """After a commit that deleted personal data: rewrite a SQLite file without any leftovers.

    VACUUM rebuilds the file from the rows that remain (old versions of updated rows, left in a
    page's free space, go too); in WAL mode the log is then folded in and truncated, since it
    still holds the pages as they were written. Nothing to do on other databases.
    """
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        connection.execute(text("VACUUM"))
        if str(connection.execute(text("PRAGMA journal_mode")).scalar()).lower() == "wal":
            connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


def has_tracker_events(engine: Engine) -> bool:
    """Whether Rasa has created its events table there (a SQLite file is not created to look)."""
    database = engine.url.database
    on_disk = engine.dialect.name == "sqlite" and database and database != ":memory:"
    if on_disk and not Path(str(database)).exists():
        return False
    return inspect(engine).has_table(TRACKER_EVENTS)


def make_tracker_engine(url: str) -> Engine:
    """An engine on Rasa's tracker database, which we only ever delete from.

    Not profile_store.db.make_engine: that one turns SQLite files to WAL, and this file is Rasa's.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    if parsed.drivername in ("postgresql", "postgres"):
        url = str(parsed.set(drivername="postgresql+psycopg"))
    return create_engine(url, pool_pre_ping=True)
