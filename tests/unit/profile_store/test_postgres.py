"""The same migrations and repository on PostgreSQL, the production database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from profile_store.db import make_engine, make_sessionmaker, migrate
from profile_store.export import export_customer
from profile_store.repository import record_preference, resolve_customer

ADMIN_URL = os.environ.get(
    "RAPPORT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    try:
        admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
        pytest.skip(f"PostgreSQL not reachable at {ADMIN_URL}: {exc.__class__.__name__}")
    name = f"rapport_test_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'create database "{name}"'))
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'drop database if exists "{name}" with (force)'))
        admin.dispose()


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
