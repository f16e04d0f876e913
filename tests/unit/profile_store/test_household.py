"""Facts about household members and time-bounded facts: stored, superseded, expired, exported."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session, sessionmaker

import profile_store.email  # noqa: F401  (their tables, as migrations/env.py registers them)
import profile_store.handoff  # noqa: F401
import profile_store.messages  # noqa: F401
from profile_store.db import make_engine, make_sessionmaker, migrate
from profile_store.export import export_customer
from profile_store.models import Base, Preference
from profile_store.repository import (
    active_preferences,
    forget_preferences,
    preference_history,
    record_preference,
    resolve_customer,
)

MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
# "this week I'm off red meat", said on Monday: holds until the end of Sunday, UTC.
END_OF_SUNDAY = datetime(2026, 12, 6, 23, 59, 59, tzinfo=UTC)


def _fact(
    s: Session, cid: str, subject: str, polarity: str, stated: str, **kw: object
) -> Preference:
    return record_preference(
        s,
        cid,
        subject=subject,
        polarity=polarity,
        stated=stated,
        channel="web",
        **kw,  # type: ignore[arg-type]
    )


def _customer(sessions: sessionmaker[Session], address: str) -> str:
    with sessions.begin() as s:
        return resolve_customer(s, "web", address).id


def _current(s: Session, cid: str, now: datetime = MONDAY) -> list[tuple[str, str, str | None]]:
    return [(p.subject, p.polarity.value, p.member) for p in active_preferences(s, cid, now=now)]


def test_the_customers_fact_and_a_members_fact_on_one_subject_are_both_kept(
    sessions: sessionmaker[Session],
) -> None:
    cid = _customer(sessions, "lamb")
    with sessions.begin() as s:
        _fact(s, cid, "lamb", "like", "I love lamb", at=MONDAY)
        _fact(s, cid, "lamb", "dislike", "my husband hates lamb", member="husband", at=MONDAY)
    with sessions.begin() as s:
        assert _current(s, cid) == [("lamb", "like", None), ("lamb", "dislike", "husband")]
        assert preference_history(s, cid, now=MONDAY) == []


def test_a_newer_fact_supersedes_only_the_same_members(sessions: sessionmaker[Session]) -> None:
    cid = _customer(sessions, "members")
    later = MONDAY + timedelta(hours=1)
    with sessions.begin() as s:
        _fact(s, cid, "lamb", "like", "I love lamb", at=MONDAY)
        _fact(s, cid, "lamb", "dislike", "my husband hates lamb", member="husband", at=MONDAY)
        _fact(s, cid, "lamb", "like", "the kids like lamb", member="kids", at=MONDAY)
        # The husband changed his mind; "Husband" is the same person as "husband".
        _fact(s, cid, "Lamb", "like", "Husband likes lamb now", member=" Husband ", at=later)
    with sessions.begin() as s:
        current = active_preferences(s, cid, now=later)
        assert [(p.stated, p.member) for p in current] == [
            ("I love lamb", None),
            ("the kids like lamb", "kids"),
            ("Husband likes lamb now", "Husband"),
        ]
        history = preference_history(s, cid, now=later)
        assert [(p.stated, p.superseded_at) for p in history] == [("my husband hates lamb", later)]


def test_a_fact_past_its_until_is_no_longer_current_but_kept_as_history(
    sessions: sessionmaker[Session],
) -> None:
    cid = _customer(sessions, "expiry")
    with sessions.begin() as s:
        _fact(
            s,
            cid,
            "red meat",
            "avoid",
            "this week I'm off red meat",
            at=MONDAY,
            until=END_OF_SUNDAY,
        )
        _fact(s, cid, "comté", "like", "I love Comté", at=MONDAY)
    with sessions.begin() as s:
        assert _current(s, cid, END_OF_SUNDAY - timedelta(seconds=1)) == [
            ("red meat", "avoid", None),
            ("comté", "like", None),
        ]
        next_monday = END_OF_SUNDAY + timedelta(seconds=1)
        assert _current(s, cid, next_monday) == [("comté", "like", None)]
        [expired] = preference_history(s, cid, now=next_monday)
        assert expired.stated == "this week I'm off red meat"
        assert expired.until == END_OF_SUNDAY and expired.superseded_at is None
        # Without `now`, the current time decides.
        real = {p.subject for p in active_preferences(s, cid)}
        assert ("red meat" in real) == (datetime.now(UTC) < END_OF_SUNDAY)


def test_a_time_bounded_fact_hides_an_open_ended_one_only_while_it_holds(
    sessions: sessionmaker[Session],
) -> None:
    cid = _customer(sessions, "lent")
    with sessions.begin() as s:
        _fact(s, cid, "lamb", "like", "I love lamb", at=MONDAY - timedelta(days=30))
        _fact(s, cid, "lamb", "avoid", "no lamb for me this week", at=MONDAY, until=END_OF_SUNDAY)
    with sessions.begin() as s:
        assert _current(s, cid) == [("lamb", "avoid", None)]
        assert _current(s, cid, END_OF_SUNDAY + timedelta(days=1)) == [("lamb", "like", None)]
    with sessions.begin() as s:
        # A new open-ended word on lamb ends both.
        _fact(
            s, cid, "lamb", "dislike", "actually I've gone off lamb", at=MONDAY + timedelta(days=1)
        )
    with sessions.begin() as s:
        later = END_OF_SUNDAY + timedelta(days=1)
        assert _current(s, cid, later) == [("lamb", "dislike", None)]
        assert len(preference_history(s, cid, now=later)) == 2


def test_a_naive_until_is_refused(sessions: sessionmaker[Session]) -> None:
    cid = _customer(sessions, "naive")
    with sessions.begin() as s, pytest.raises(ValueError, match="naive"):
        _fact(s, cid, "wine", "avoid", "no wine in January", until=datetime(2027, 1, 31))


def test_until_and_member_round_trip_as_utc(sessions: sessionmaker[Session]) -> None:
    cid = _customer(sessions, "tz")
    # The end of Sunday in Paris, given in Paris time (UTC+1 in December): stored as UTC.
    paris_midnight = datetime(2026, 12, 7, 0, 0, tzinfo=timezone(timedelta(hours=1)))
    with sessions.begin() as s:
        _fact(
            s,
            cid,
            "sesame",
            "avoid",
            "my daughter is allergic to sesame",
            reason="allergy",
            member="daughter",
            until=paris_midnight,
            at=MONDAY,
        )
    with sessions.begin() as s:
        [pref] = active_preferences(s, cid, now=MONDAY)
        assert pref.member == "daughter"
        assert pref.until == datetime(2026, 12, 6, 23, 0, tzinfo=UTC)
        assert pref.until.utcoffset() == timedelta(0)


def test_export_says_who_and_until(sessions: sessionmaker[Session]) -> None:
    cid = _customer(sessions, "export")
    with sessions.begin() as s:
        _fact(
            s,
            cid,
            "rabbit",
            "dislike",
            "my husband can't stand rabbit",
            member="husband",
            strength=-2,
            at=MONDAY,
        )
        _fact(
            s,
            cid,
            "red meat",
            "avoid",
            "this week I'm off red meat",
            until=END_OF_SUNDAY,
            at=MONDAY + timedelta(minutes=1),
        )
        _fact(
            s,
            cid,
            "wine",
            "avoid",
            "no wine last week",
            at=MONDAY - timedelta(days=7),
            until=MONDAY - timedelta(days=1),
        )
    with sessions.begin() as s:
        doc = export_customer(s, cid, now=MONDAY + timedelta(hours=1))
    assert doc["preferences"] == [
        {
            "subject": "rabbit",
            "polarity": "dislike",
            "reason": None,
            "category": None,
            "who": "husband",
            "until": None,
            "stated": "my husband can't stand rabbit",
            "channel": "web",
            "at": "2026-11-30T09:00:00Z",
        },
        {
            "subject": "red meat",
            "polarity": "avoid",
            "reason": None,
            "category": None,
            "who": None,
            "until": "2026-12-06T23:59:59Z",
            "stated": "this week I'm off red meat",
            "channel": "web",
            "at": "2026-11-30T09:01:00Z",
        },
    ]
    with sessions.begin() as s:
        after = export_customer(s, cid, now=END_OF_SUNDAY + timedelta(seconds=1))
    assert [p["subject"] for p in after["preferences"]] == ["rabbit"]


def test_forgetting_a_subject_tells_back_the_members_facts_too(
    sessions: sessionmaker[Session],
) -> None:
    cid = _customer(sessions, "forget")
    with sessions.begin() as s:
        _fact(s, cid, "lamb", "like", "I love lamb")
        _fact(s, cid, "lamb", "dislike", "my husband hates lamb", member="husband")
        _fact(
            s,
            cid,
            "lamb",
            "avoid",
            "no lamb last week",
            until=datetime.now(UTC) - timedelta(days=1),
        )
    with sessions.begin() as s:
        removed = forget_preferences(s, cid, ["lamb"])
        assert sorted(p.stated for p in removed) == ["I love lamb", "my husband hates lamb"]
    with sessions.begin() as s:
        assert active_preferences(s, cid) == [] and preference_history(s, cid) == []


def test_the_migration_adds_nullable_columns_and_keeps_existing_facts(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/old.db"
    migrate(url, "0002")  # the schema before the household migration
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("insert into customer (id, created_at) values ('c1', '2026-01-01')"))
        conn.execute(
            text(
                "insert into preference (customer_id, subject, polarity, stated, channel, at) "
                "values ('c1', 'lamb', 'like', 'I love lamb', 'web', '2026-01-01 10:00:00')"
            )
        )
    engine.dispose()
    migrate(url)
    engine = make_engine(url)
    columns = {c["name"]: c for c in inspect(engine).get_columns("preference")}
    assert columns["member"]["nullable"] and columns["until"]["nullable"]
    with make_sessionmaker(engine).begin() as s:
        [pref] = active_preferences(s, "c1")
        assert (pref.subject, pref.member, pref.until) == ("lamb", None, None)
    engine.dispose()


def test_the_models_match_the_migrations(database_url: str) -> None:
    # Every column a model declares (member and until included) exists as a migration made it.
    engine = make_engine(database_url)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    engine.dispose()
