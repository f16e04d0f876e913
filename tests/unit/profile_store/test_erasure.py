"""The right to erasure, done completely: every profile row about the customer, the Rasa tracker
events of every id they ever had, nothing of them left in the SQLite files; what may remain is
an opted-out address as a keyed hash, and an audit line naming the customer only by hash."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    Sequence,
    String,
    Table,
    Text,
    create_engine,
    event,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.orm import Session, sessionmaker

from profile_store.db import make_engine, make_sessionmaker, migrate
from profile_store.email import record_sent_email
from profile_store.erasure import erase_everything
from profile_store.handoff import ConversationStatus, move_conversation, record_event
from profile_store.linking import LinkEvent, LinkRequest, issue_code, merge_customers, request_link
from profile_store.messages import claim_inbound, record_outbound, update_outbound
from profile_store.models import Base, Consent, Customer, Identity
from profile_store.privacy import (
    ErasureAudit,
    FormerSender,
    Suppression,
    compact_sqlite,
    customer_hash,
    is_suppressed,
    make_tracker_engine,
    secure_delete,
    sender_ids_of,
)
from profile_store.repository import (
    UnknownCustomer,
    erase_customer,
    record_habit,
    record_offer_event,
    record_preference,
    resolve_customer,
    set_name,
)
from rapport import cli

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
KEY = "unit-test-suppression-key"

# Rasa 3.6's SQLTrackerStore.SQLEvent (rasa/core/tracker_store.py), column for column.
RASA = MetaData()
RASA_EVENTS = Table(
    "events",
    RASA,
    Column("id", Integer, Sequence("events_seq", optional=True), primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)

ANNE_MAIL = "Anne.Smith@Example.org"  # stored as Anne.Smith@example.org
ANNE_PHONE = "+33 6 11 22 33 44"  # stored as 33611223344
ANNE_WEB = "anne-web-session-7f3a91"
BEA_REST = "bea-rest-sender-5c2e"
# What Anne (and Bea, merged into her) wrote, and where they can be reached.
ANNE_WORDS = (
    "I adore Comte, the older the better",
    "allergic to peanuts, seriously allergic",
    "I come every Saturday morning before the market",
    "I love lamb shoulder, slow roasted",
    "is my parcel on its way to the Rue des Lilas",
)
ANNE_ADDRESSES = (
    "Anne.Smith@example.org",
    "33611223344",
    ANNE_WEB,
    BEA_REST,
    "anne.other@example.net",  # an address she asked to link, never proven
)
ANNE_OTHER = ("Annelise", "<m1.anne@mail.example.org>", "wamid.ANNE1")
CARL_WORDS = "Carl likes smoked duck"


@dataclass
class World:
    anne: str
    bea: str  # merged into Anne before the erasure
    carl: str  # somebody else, untouched

    @property
    def needles(self) -> list[str]:
        return [self.anne, self.bea, *ANNE_WORDS, *ANNE_ADDRESSES, *ANNE_OTHER]


def create_rasa_tracker(engine: Engine) -> None:
    RASA.create_all(engine)


def _said(sender: str, text_: str, at: datetime, **metadata: str) -> dict[str, object]:
    data = {
        "event": "user",
        "timestamp": at.timestamp(),
        "metadata": metadata,
        "text": text_,
        "parse_data": {"intent": {"name": "inform", "confidence": 0.9}, "text": text_},
        "input_channel": "rest",
    }
    return {
        "sender_id": sender,
        "type_name": "user",
        "timestamp": at.timestamp(),
        "intent_name": "inform",
        "action_name": None,
        "data": json.dumps(data),
    }


def _answered(sender: str, text_: str, at: datetime) -> dict[str, object]:
    data = {"event": "bot", "timestamp": at.timestamp(), "text": text_, "metadata": {}}
    return {
        "sender_id": sender,
        "type_name": "bot",
        "timestamp": at.timestamp(),
        "intent_name": None,
        "action_name": None,
        "data": json.dumps(data),
    }


def build_world(sessions: sessionmaker[Session], tracker: Engine) -> World:
    """Anne on email, WhatsApp and the web, with a whole relationship; Bea (REST) merged into
    her; Carl, who once asked to link Anne's number and whose link log names her address."""
    t1, t2 = NOW - timedelta(days=3), NOW - timedelta(days=2)
    with sessions.begin() as s:
        anne = resolve_customer(s, "email", ANNE_MAIL).id
        s.add(Identity(customer_id=anne, channel="whatsapp", address="33611223344"))
        s.add(Identity(customer_id=anne, channel="web", address=ANNE_WEB))
        set_name(s, anne, "Annelise")
        record_preference(
            s, anne, subject="comté", polarity="like", stated=ANNE_WORDS[0], channel="web"
        )
        record_preference(
            s,
            anne,
            subject="peanuts",
            polarity="avoid",
            reason="allergy",
            stated=ANNE_WORDS[1],
            channel="whatsapp",
        )
        record_habit(
            s, anne, what="shops for the weekend", stated=ANNE_WORDS[2], channel="email", at=t1
        )
        # A "no" on WhatsApp, later a "yes" by email: only the WhatsApp number stays opted out.
        s.add(Consent(customer_id=anne, purpose="offers", channel="whatsapp", granted=False, at=t1))
        s.add(Consent(customer_id=anne, purpose="offers", channel="email", granted=True, at=t2))
        record_offer_event(s, anne, offer_id="OFF-COMTE", event="presented", channel="web")
        claim_inbound(s, "email", ANNE_OTHER[1], "Anne.Smith@example.org", anne)
        claim_inbound(s, "whatsapp", ANNE_OTHER[2], "33611223344", anne)
        # A message from her number before anyone knew whose it was.
        claim_inbound(s, "whatsapp", "wamid.BEFORE", "33611223344", None)
        record_outbound(s, "email", "reply-anne-1", "Anne.Smith@example.org", anne)
        update_outbound(
            s,
            "email",
            idempotency_key="reply-anne-1",
            status="failed",
            error="550 mailbox Anne.Smith@example.org is full",
        )
        record_sent_email(
            s,
            "<s1@shop.example>",
            "Anne.Smith@example.org",
            "Your Comté, Annelise",
            [{"number": 1, "title": "Yes", "payload": "/affirm"}],
            anne,
        )
        issue_code(s, request_link(s, anne, "email", "anne.other@example.net", now=NOW).id, now=NOW)
        move_conversation(
            s,
            anne,
            allowed_from=frozenset({ConversationStatus.BOT}),
            to=ConversationStatus.WAITING,
            agent_id=None,
            at=NOW,
        )
        record_event(s, customer_id=anne, action="hand_over", actor="bot", detail={"why": "asked"})

        bea = resolve_customer(s, "rest", BEA_REST).id
        record_preference(
            s, bea, subject="lamb shoulder", polarity="like", stated=ANNE_WORDS[3], channel="rest"
        )
        claim_inbound(s, "rest", "rest-msg-1", BEA_REST, bea)

        carl = resolve_customer(s, "email", "carl@example.com").id
        record_preference(
            s, carl, subject="smoked duck", polarity="like", stated=CARL_WORDS, channel="email"
        )
        claim_inbound(s, "email", "<m1.carl@mail.example.com>", "carl@example.com", carl)
        request_link(s, carl, "whatsapp", ANNE_PHONE, now=NOW)
        s.add(
            LinkEvent(
                customer_id=carl,
                action="unlink",
                channel="email",
                address="Anne.Smith@example.org",
                by="staff:marie",
                at=t1,
            )
        )
    with sessions.begin() as s:
        merge_customers(s, anne, bea, now=NOW)
    with tracker.begin() as conn:
        conn.execute(
            insert(RASA_EVENTS),
            [
                _said(bea, ANNE_WORDS[3], t1, channel="rest", address=BEA_REST),
                _said(anne, ANNE_WORDS[0], t2, channel="web", address=ANNE_WEB),
                _answered(anne, "Noted, Annelise: you adore Comte.", t2),
                _said(anne, ANNE_WORDS[4], NOW, channel="whatsapp", address="33611223344"),
                _said(carl, CARL_WORDS, t2, channel="email", address="carl@example.com"),
            ],
        )
    return World(anne=anne, bea=bea, carl=carl)


def dump_profile(s: Session) -> dict[str, str]:
    """Every table of the profile store, each row as text."""
    return {
        table.name: "\n".join(
            " | ".join(str(v) for v in row) for row in s.execute(select(table)).all()
        )
        for table in Base.metadata.sorted_tables
    }


def dump_tracker(engine: Engine) -> str:
    with engine.connect() as conn:
        return "\n".join(
            " | ".join(str(v) for v in row) for row in conn.execute(select(RASA_EVENTS))
        )


def found_in(dump: str, needles: list[str]) -> list[str]:
    lowered = dump.lower()
    return [n for n in needles if n.lower() in lowered]


def check_everything_erased(sessions: sessionmaker[Session], tracker: Engine, world: World) -> None:
    with sessions.begin() as s:
        tables = dump_profile(s)
        leftovers = {name: found_in(rows, world.needles) for name, rows in tables.items()}
        assert {name: found for name, found in leftovers.items() if found} == {}
        # What may remain: her WhatsApp number, opted out, as a keyed hash; one audit line.
        assert is_suppressed(s, "whatsapp", ANNE_PHONE, key=KEY)
        assert not is_suppressed(s, "email", ANNE_MAIL, key=KEY)
        assert [row.channel for row in s.scalars(select(Suppression))] == ["whatsapp"]
        [audit] = s.scalars(select(ErasureAudit)).all()
        assert (audit.customer_hash, audit.by) == (customer_hash(KEY, world.anne), "staff:marie")
        assert audit.counts["tracker_events"] == 4
        # Carl keeps everything of his own; his log line keeps the unlink, not her address.
        assert s.get(Customer, world.carl) is not None
        assert CARL_WORDS in tables["preference"]
        [carl_link] = s.scalars(select(LinkEvent).where(LinkEvent.customer_id == world.carl))
        assert (carl_link.action, carl_link.address) == ("unlink", "(erased)")
        assert s.scalar(select(func.count()).select_from(LinkRequest)) == 0
        assert s.scalar(select(func.count()).select_from(FormerSender)) == 0
    events = dump_tracker(tracker)
    assert found_in(events, world.needles) == []
    assert CARL_WORDS in events and world.carl in events


# --- SQLite -----------------------------------------------------------------------------------


@pytest.fixture
def tracker(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    create_rasa_tracker(engine)
    yield engine
    engine.dispose()


def _erase(sessions: sessionmaker[Session], tracker: Engine, cid: str, **kw: object) -> object:
    with sessions.begin() as s:
        return erase_everything(
            s, cid, tracker_url=str(tracker.url), by="staff:marie", key=KEY, now=NOW, **kw
        )


def test_erasure_leaves_nothing_of_the_customer_in_any_table_nor_in_the_tracker(
    sessions: sessionmaker[Session], tracker: Engine
) -> None:
    world = build_world(sessions, tracker)
    with sessions.begin() as s:
        before = dump_profile(s)
        assert sender_ids_of(s, world.anne) == [world.anne, world.bea]
    # Every needle is there before: the check below is not vacuous.
    assert set(found_in("\n".join(before.values()) + dump_tracker(tracker), world.needles)) == set(
        world.needles
    )

    report = _erase(sessions, tracker, world.anne)

    assert report.sender_ids == (world.anne, world.bea)  # type: ignore[attr-defined]
    assert report.tracker_events == 4  # type: ignore[attr-defined]
    assert report.suppressed == 1  # type: ignore[attr-defined]
    check_everything_erased(sessions, tracker, world)


def test_no_byte_of_the_customer_is_left_in_the_sqlite_files(
    sessions: sessionmaker[Session], tracker: Engine, database_url: str, tmp_path: Path
) -> None:
    # As on SQLite builds that do not zero deleted bytes by default (Debian's do).
    for engine in (sessions.kw["bind"], tracker):
        engine.dispose()
        event.listen(engine, "connect", _secure_delete_off)
    world = build_world(sessions, tracker)
    # Carl says a lot afterwards: the pages holding Anne's rows split, and a split leaves copies
    # of the rows in free space, which only a rewrite of the file (VACUUM) takes away.
    with sessions.begin() as s:
        for i in range(300):
            record_preference(
                s,
                world.carl,
                subject=f"cheese {i}",
                polarity="like",
                stated=f"{CARL_WORDS}, and cheese number {i} too",
                channel="email",
            )
    _erase(sessions, tracker, world.anne)
    compact_sqlite(sessions.kw["bind"])

    profile_db = Path(database_url.removeprefix("sqlite:///"))
    files = [*profile_db.parent.glob(profile_db.name + "*"), *tmp_path.glob("tracker.db*")]
    raw = b"".join(f.read_bytes() for f in files).lower()
    assert [n for n in world.needles if n.lower().encode() in raw] == []
    assert CARL_WORDS.lower().encode() in raw  # the check reads the right files


def _secure_delete_off(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.execute("PRAGMA secure_delete = OFF")


def _plain_sqlite(path: Path) -> Engine:
    """A SQLite engine in WAL mode whose deletes leave deleted bytes behind (not every build's
    default: Debian's zeroes them), to show what compact_sqlite and secure_delete take away."""
    engine = make_engine(f"sqlite:///{path}")

    event.listen(engine, "connect", _secure_delete_off)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)"))
        conn.execute(
            text("INSERT INTO note (body) VALUES (:body)"),
            [{"body": f"{'kept ' if i % 2 else 'secret '}{i:04d} " * 20} for i in range(400)],
        )
    return engine


def _raw(path: Path) -> bytes:
    return b"".join(f.read_bytes() for f in path.parent.glob(path.name + "*"))


def test_compact_sqlite_leaves_no_deleted_byte_in_the_file_nor_in_its_log(tmp_path: Path) -> None:
    path = tmp_path / "plain.db"
    engine = _plain_sqlite(path)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM note WHERE body LIKE 'secret%'"))
    assert b"secret 0002" in _raw(path), "a plain delete leaves the words on disk"
    compact_sqlite(engine)
    assert b"secret " not in _raw(path) and b"kept 0001" in _raw(path)
    engine.dispose()


def test_secure_delete_is_on_while_deleting_and_the_connection_is_left_as_it_was(
    tmp_path: Path,
) -> None:
    """Deleted rows are zeroed; copies that page splits left in free space are not (a root page
    keeps its old rows when it becomes an interior page): hence compact_sqlite after a commit."""
    engine = _plain_sqlite(tmp_path / "plain.db")
    with engine.connect() as conn:
        with secure_delete(conn):
            assert conn.execute(text("PRAGMA secure_delete")).scalar() == 1
            conn.execute(text("DELETE FROM note WHERE body LIKE 'secret%'"))
        assert conn.execute(text("PRAGMA secure_delete")).scalar() == 0
        conn.commit()
    engine.dispose()


def test_a_tracker_database_rasa_never_created_is_left_alone(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with sessions.begin() as s:
        cid = resolve_customer(s, "rest", "dora").id
    missing = tmp_path / "nowhere" / "tracker.db"
    with sessions.begin() as s:
        report = erase_everything(s, cid, tracker_url=f"sqlite:///{missing}", by="cli:x", key=KEY)
    assert report.tracker_events == 0 and not missing.exists()
    with sessions.begin() as s:
        report = erase_everything(
            s, resolve_customer(s, "rest", "eve").id, tracker_url=None, by="cli:x", key=KEY
        )
    assert report.tracker_events is None


def test_without_suppression_no_hash_is_kept_and_the_audit_says_so(
    sessions: sessionmaker[Session], tracker: Engine
) -> None:
    world = build_world(sessions, tracker)
    report = _erase(sessions, tracker, world.anne, suppress=False)
    assert report.suppressed == 0  # type: ignore[attr-defined]
    with sessions.begin() as s:
        assert s.scalar(select(func.count()).select_from(Suppression)) == 0
        assert not is_suppressed(s, "whatsapp", ANNE_PHONE, key=KEY)
        assert s.scalar(select(ErasureAudit.counts))["suppressed"] == 0


def test_a_no_given_last_on_any_channel_suppresses_every_address_that_can_be_written_to(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        cid = resolve_customer(s, "email", "fay@example.org").id
        s.add(Identity(customer_id=cid, channel="whatsapp", address="4477001122"))
        s.add(Identity(customer_id=cid, channel="web", address="fay-web"))
        s.add(Consent(customer_id=cid, purpose="offers", channel="web", granted=False, at=NOW))
    with sessions.begin() as s:
        erase_everything(s, cid, tracker_url=None, by="customer", key=KEY)
    with sessions.begin() as s:
        assert is_suppressed(s, "email", "fay@EXAMPLE.org", key=KEY)  # as the channel writes it
        assert is_suppressed(s, "whatsapp", "+44 77 00 11 22", key=KEY)
        assert sorted(s.scalars(select(Suppression.channel))) == ["email", "whatsapp"]
        # Another key cannot tell which address it was.
        assert not is_suppressed(s, "email", "fay@example.org", key="another key")


def test_a_customer_erased_once_is_unknown_the_second_time(
    sessions: sessionmaker[Session], tracker: Engine
) -> None:
    world = build_world(sessions, tracker)
    _erase(sessions, tracker, world.anne)
    with pytest.raises(UnknownCustomer), sessions.begin() as s:
        erase_everything(s, world.anne, tracker_url=None, by="cli:x", key=KEY)


def test_a_failing_tracker_leaves_the_profile_as_it_was(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """The tracker goes first: if it cannot be erased, nothing is committed and it can be rerun."""
    with sessions.begin() as s:
        cid = resolve_customer(s, "rest", "gus").id
    not_a_database = tmp_path / "tracker.db"
    not_a_database.write_bytes(b"this is not a database" * 100)
    with pytest.raises(Exception), sessions.begin() as s:  # noqa: B017 - the driver's own error
        erase_everything(s, cid, tracker_url=f"sqlite:///{not_a_database}", by="cli:x", key=KEY)
    with sessions.begin() as s:
        assert s.get(Customer, cid) is not None


def test_erase_customer_of_the_repository_also_takes_the_rows_naming_their_addresses(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        cid = resolve_customer(s, "whatsapp", "4477009988").id
        claim_inbound(s, "whatsapp", "wamid.EARLY", "4477009988", None)
    with sessions.begin() as s:
        erase_customer(s, cid)
    with sessions.begin() as s:
        assert "4477009988" not in "".join(dump_profile(s).values())


def test_the_cli_erases_everything_with_the_settings_tracker(
    sessions: sessionmaker[Session],
    tracker: Engine,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    world = build_world(sessions, tracker)
    monkeypatch.setenv("RAPPORT_DATABASE_URL", database_url)
    monkeypatch.setenv("RAPPORT_TRACKER_DB_URL", str(tracker.url))
    monkeypatch.setenv("RAPPORT_SUPPRESSION_KEY", KEY)
    monkeypatch.setenv("RAPPORT_SESSION_SECRET", "unit-test")
    assert cli.main(["profile", "erase", f"whatsapp:{ANNE_PHONE}"]) == 2  # no --yes
    erase = ["profile", "erase", f"whatsapp:{ANNE_PHONE}", "--yes", "--by", "staff:marie"]
    assert cli.main(erase) == 0
    said = capsys.readouterr().out
    assert f"erased customer {world.anne}" in said and "4 tracker events of 2 sender" in said
    check_everything_erased(sessions, tracker, world)
    assert cli.main(["profile", "erase", world.anne, "--yes"]) == 1


# --- PostgreSQL -------------------------------------------------------------------------------

ADMIN_URL = os.environ.get(
    "RAPPORT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture
def postgres_urls() -> Iterator[tuple[str, str]]:
    """Two fresh databases: the profile store and Rasa's tracker store."""
    try:
        admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
        pytest.skip(f"PostgreSQL not reachable at {ADMIN_URL}: {exc.__class__.__name__}")
    names = [f"rapport_test_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'create database "{name}"'))
    base = ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{names[0]}", f"{base}/{names[1]}"
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'drop database if exists "{name}" with (force)'))
        admin.dispose()


def test_erasure_on_postgres(postgres_urls: tuple[str, str]) -> None:
    profile_url, tracker_url = postgres_urls
    migrate(profile_url)
    engine = make_engine(profile_url)
    tracker = make_tracker_engine(tracker_url)
    create_rasa_tracker(tracker)
    sessions = make_sessionmaker(engine)
    try:
        world = build_world(sessions, tracker)
        with sessions.begin() as s:
            report = erase_everything(
                s, world.anne, tracker_url=tracker_url, by="staff:marie", key=KEY, now=NOW
            )
        assert report.tracker_events == 4
        check_everything_erased(sessions, tracker, world)
    finally:
        tracker.dispose()
        engine.dispose()
