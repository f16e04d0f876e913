"""The same migrations and repository on PostgreSQL, the production database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from profile_store.db import make_engine, make_sessionmaker, migrate
from profile_store.export import export_customer
from profile_store.repository import record_preference, resolve_customer


def test_migrations_and_export_on_postgres(postgres_url: str) -> None:
    migrate(postgres_url)
    engine = make_engine(postgres_url)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as s:
        cid = resolve_customer(s, "email", "anne@example.org").id
        record_preference(
            s, cid, subject="comté", polarity="like", stated="I adore Comté", channel="email"
        )
        record_preference(
            s,
            cid,
            subject="comté",
            polarity="dislike",
            stated="my husband finds Comté too strong this month",
            channel="email",
            member="husband",
            until=datetime.now(UTC) + timedelta(days=3),
        )
    with sessions.begin() as s:
        doc = export_customer(s, cid)
    engine.dispose()
    assert doc["preferences"][0]["stated"] == "I adore Comté"
    assert doc["preferences"][0]["at"].endswith("Z")
    assert [(p["who"], p["until"] is None) for p in doc["preferences"]] == [
        (None, True),
        ("husband", False),
    ]
    assert doc["preferences"][1]["until"].endswith("Z")
